"""Engine against the SimPy reference: two independent implementations of docs/model.md must agree."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import fields

import numpy as np
import pytest
from conftest import model_from

from readiness import model_checks
from readiness._validation.reference import reference_unit_states, simulate_reference
from readiness.config import default_config
from readiness.engine import UnitStateSampler, simulate
from readiness.model import Model, derive_model
from readiness.options import Option, apply_option
from readiness.scenario import draw_unit_starts
from readiness.workload import WorkloadSampler

REPLICATIONS = 3000
HORIZON = 120.0
OUTCOMES = ("t_first_armed", "t_enough_armed", "t_resolved", "t_first_unarmed", "t_stop", "expected_deaths")

# Equivalence margins (issue 2): the 95% confidence interval of each engine-minus-reference difference must lie
# inside these margins. Single sites, every unit free: model_checks.equivalence splits the test by what could
# differ (the SimPy dispatch on the engine's own draws, paired; the unit starts through one site's reach; the
# site weights), because one end-to-end run of 40,000 SimPy attacks against 100,000 left a half-width of 0.006
# on the 10-minute share (near 0.45) and so failed 15% of correct runs (docs/model.md, the two implementations).
# With the everyday workload the SimPy warm-up costs about 4 ms a replication. Single-site attacks were too
# few: 40,000 of them left a half-width of 0.006 on the 10-minute share (near 0.55), so a true difference of
# zero passed the 0.01 margin only 85% of the time (seeds 103/202 gave 0.007). The attack phase given the
# states is the no-workload test's; this one compares the states each warm-up leaves through what they mean
# for one site, integrated exactly over the site and the notification delay (``model_checks.reach_given_states``): the
# per-replication sd falls from 0.50 to 0.08, so 6,000 reference warm-ups give a half-width of about 0.0025.
WORKLOAD_REFERENCE_STATES = 6_000
WORKLOAD_ENGINE_STATES = 12_000
#: An error the workload test must catch: other taskings half as many again (60 -> 90 a day), which raises the
#: 10-minute share by about 0.03 (0.552 -> 0.583) and the mean by 0.5 min.
PLANTED_WORKLOAD = {"workload.other_jobs_per_day": 90.0}


def _engine(model: Model, *, sites: int, replications: int, seed: int,
            unit_states: UnitStateSampler | None = draw_unit_starts) -> dict[str, np.ndarray]:
    outcomes = simulate(model, sites=sites, replications=replications, seed=seed, unit_states=unit_states)
    return {f.name: getattr(outcomes, f.name) for f in fields(outcomes)}


def _metrics(out: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-replication quantities (one column per site) whose means both implementations must share."""
    return {
        "waits over 10 min": (out["t_first_armed"] > 10.0).astype(float),
        "waits over 20 min": (out["t_first_armed"] > 20.0).astype(float),
        "not reached": np.isinf(out["t_first_armed"]).astype(float),
        **{f"{name} (censored)": np.minimum(out[name], HORIZON) for name in OUTCOMES[:5]},
        "expected deaths": out["expected_deaths"],
        "static share": out["static"].astype(float),
        "attackers": out["attackers"].astype(float),
    }


def _assert_same_means(model: Model, sites: int, *, workload: bool = False, engine_model: Model | None = None) -> None:
    """Means per site agree within 4 combined standard errors (plus a hair for zero variance).

    With ``workload`` both start from the everyday workload's unit states (engine: its sampler;
    reference: its own SimPy warm-up); otherwise every unit is free at the attack. ``engine_model``
    (default ``model``) is what the engine runs: another model shows the check can tell them apart.
    """
    assert model.params["horizon_min"] == HORIZON
    states = None if workload else draw_unit_starts  # None: the configured workload sampler
    engine = _metrics(_engine(engine_model or model, sites=sites, replications=REPLICATIONS, seed=11,
                              unit_states=states))
    reference = _metrics(simulate_reference(model, sites=sites, replications=REPLICATIONS, seed=12,
                                            workload=workload))
    problems = []
    for name, a in engine.items():
        b = reference[name]
        se = np.sqrt(a.var(axis=0) / len(a) + b.var(axis=0) / len(b))
        if np.any(np.abs(a.mean(axis=0) - b.mean(axis=0)) > 4.0 * se + 1e-9):
            problems.append(f"{name}: engine {a.mean(axis=0).round(3)}, reference {b.mean(axis=0).round(3)}")
    assert not problems, "; ".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("sites", [1, 3, 5])
def test_same_distribution_on_the_default_model(default_model: Model, sites: int) -> None:
    _assert_same_means(default_model, sites)


@pytest.mark.slow
@pytest.mark.parametrize("doctrine", ["contain", "confront"])
def test_same_distribution_under_each_doctrine_at_a_congested_hour(doctrine: str) -> None:
    """Both doctrines, at the weekday evening peak (blue-light minutes x the hour's congestion factor)."""
    model = model_from({"dispatch": {"doctrine": doctrine}, "scenario": {"attack_time": "Wed 17:10"},
                        "parameters": {"doctrine.engagement_delay_min": 2.0, "doctrine.stop_probability": 0.5}})
    assert model.attack_blue_light_factor() > 1.05
    _assert_same_means(model, 3)


@pytest.mark.slow
def test_same_distribution_with_a_thin_fleet_under_pressure() -> None:
    stressed = {"arv.on_duty": 3, "dispatch.scene_clear_min": 5.0, "harm.siege_probability": 0.6,
                "mutual_aid.threshold_sites": 1, "response.on_duty": 10}
    _assert_same_means(model_from({"parameters": stressed}), 6)


#: Sites spread over 90 minutes, one attacker each: ARVs stay free and later sites come after the moves end,
#: so move-up brings the later sites' first armed officer about 0.6 min sooner (about 5 standard errors).
MOVE_UP_WORLD = {"arv.on_duty": 6, "attack.window_min": 90.0, "attack.extra_attacker_prob": 0.0}


@pytest.mark.slow
@pytest.mark.parametrize("workload", [False, True])
def test_same_distribution_with_move_up(workload: bool) -> None:
    """Move-up (docs/model.md 4.7), from free starts and after everyday jobs; without the workload the check
    also fails the engine without move-up, so it sees what move-up does."""
    model = model_from({"dispatch": {"move_up": True}, "parameters": MOVE_UP_WORLD})
    _assert_same_means(model, 4, workload=workload)
    if not workload:
        with pytest.raises(AssertionError, match="censored"):
            _assert_same_means(model, 4, engine_model=model_from({"parameters": MOVE_UP_WORLD}))


@pytest.mark.slow
def test_same_distribution_with_everyday_workload(default_model: Model) -> None:
    _assert_same_means(default_model, 5, workload=True)


@pytest.mark.slow
def test_same_distribution_with_a_busy_thin_fleet_at_a_random_time() -> None:
    """Heavy demand (pre-emption and lost jobs are common), attack time drawn over the week."""
    busy = {"arv.on_duty": 4, "workload.other_jobs_per_day": 120.0, "workload.force_share": 0.07,
            "workload.firearms_service_median_min": 180.0, "shifts.absence": 0.1}
    model = model_from({"parameters": busy, "workload": {"attack_time": None}})
    _assert_same_means(model, 3, workload=True)


@pytest.mark.slow
@pytest.mark.parametrize("posts", ["stay", "respond"])
def test_same_distribution_with_armed_posts_and_a_team_on_patrol(default_model: Model, posts: str) -> None:
    """Postures (docs/model.md 4.7): ten armed posts on Friday evening and a CTSFO team on patrol near
    Park Lane, with posts that stay or that respond elsewhere."""
    option = Option(name="postures", armed_posts={"top": 10, "hours": "Fri 18:00-Sun 02:00"},
                    ctsfo_patrol=[{"base": "Park Lane (Aston)"}])
    model = apply_option(default_model, option).model
    model = derive_model(model, model.config.model_copy(update={
        "dispatch": model.config.dispatch.model_copy(update={"posts": posts})}))
    posted = np.isin(_engine(model, sites=3, replications=REPLICATIONS, seed=11)["site"], model.posts.lsoa)
    assert posted.mean() > 0.05  # the posts are attacked often enough to be tested (about 6% of sites)
    _assert_same_means(model, 3)


@pytest.fixture(scope="module")
def reference_single_site(default_model: Model) -> dict[str, np.ndarray]:
    return reference_unit_states(default_model, replications=model_checks.EQUIVALENCE_REFERENCE_STATES, seed=101,
                                 workload=False)


@pytest.fixture(scope="module")
def reference_workload_states(default_model: Model) -> dict[str, np.ndarray]:
    return reference_unit_states(default_model, replications=WORKLOAD_REFERENCE_STATES, seed=103)


def _within_margins(engine: Mapping[str, np.ndarray], reference: Mapping[str, np.ndarray]) -> tuple[bool, str]:
    """Two one-sided tests as an interval: the 95% CI of each difference of means inside its margin."""
    rows = model_checks.margin_rows("reach", engine, reference)
    return all(r["ok"] for r in rows), "; ".join(r["quantity"] for r in rows)


def _equivalent(model: Model, reference_model: Model, reference_states: Mapping[str, np.ndarray]) -> tuple[bool, str]:
    """Single-site attacks, every unit free at the attack: the first armed arrival within the margins."""
    rows = model_checks.equivalence(model, reference_model, reference_states, seed=202)
    return all(r["ok"] for r in rows), "; ".join(r["quantity"] for r in rows)


def _engine_states(model: Model, replications: int, seed: int) -> dict[str, np.ndarray]:
    """The engine's unit states at the first shot (the workload sampler the engine uses by default)."""
    sampler, reps = WorkloadSampler(model), np.arange(replications)
    starts = sampler(model, seed, reps)
    return {"minute": sampler.attack_minutes(seed, reps), "position": starts.position, "available": starts.available}


def _states_equivalent(model: Model, reference_states: Mapping[str, np.ndarray]) -> tuple[bool, str]:
    """The everyday workload's unit states, engine against SimPy, through one site's reach within the margins."""
    engine = model_checks.reach_given_states(model, _engine_states(model, WORKLOAD_ENGINE_STATES, seed=202))
    return _within_margins(engine, model_checks.reach_given_states(model, reference_states))


@pytest.mark.slow
def test_engine_and_reference_are_equivalent_within_margins(default_model, reference_single_site):
    ok, report = _equivalent(default_model, default_model, reference_single_site)
    assert ok, report


@pytest.mark.slow
def test_the_equivalence_test_catches_travel_ten_percent_slower(default_model, reference_single_site):
    planted = dataclasses.replace(default_model, blue_light_minutes=default_model.blue_light_minutes * 1.10)
    ok, report = _equivalent(planted, default_model, reference_single_site)
    assert not ok, f"a 10% travel error went unnoticed: {report}"


@pytest.mark.slow
def test_equivalent_within_margins_with_everyday_workload(default_model, reference_workload_states):
    ok, report = _states_equivalent(default_model, reference_workload_states)
    assert ok, report


@pytest.mark.slow
def test_the_workload_equivalence_test_catches_a_busier_workload(default_model, reference_workload_states):
    """PLANTED_WORKLOAD in the engine's warm-up only (the reach is computed on the same model for both)."""
    busier = derive_model(default_model, default_model.config.model_copy(update={"parameters": PLANTED_WORKLOAD}))
    engine = model_checks.reach_given_states(default_model, _engine_states(busier, WORKLOAD_ENGINE_STATES, seed=202))
    ok, report = _within_margins(engine, model_checks.reach_given_states(default_model, reference_workload_states))
    assert not ok, f"a busier workload went unnoticed: {report}"


# Deterministic worlds (no spread, no window, fixed delays, named sites): outcomes must be equal.
FIXED = {"notify.sigma": 0.0, "attack.window_min": 0.0, "response.on_duty": 0, "neighbourhood.on_duty_share": 0.0,
         "attack.extra_attacker_prob": 0.0,
         "attack.mobile_duration_sigma": 0.0, "ctsfo.assault_sigma": 0.0, "harm.siege_probability": 0.0,
         "ctsfo.external_delay_low_min": 45.0, "ctsfo.external_delay_high_min": 45.0,
         "mutual_aid.delay_low_min": 30.0, "mutual_aid.delay_high_min": 30.0,
         "mutual_aid.units_low": 0, "mutual_aid.units_high": 0}
ONE_AID_UNIT = {"mutual_aid.threshold_sites": 0, "mutual_aid.units_low": 1, "mutual_aid.units_high": 1}
CASES = {
    "retask after clearing": (
        [("Stechford", 2), ("ctsfo", 1)], ["E01009003", "E01010282", "E01009146"],
        {"attack.static_share": 1.0, "dispatch.officers_per_attacker": 2, "dispatch.scene_clear_min": 0.0}),
    "siege ended by the regional team": (
        [("Bournville Lane", 1), ("ctsfo", 1)], ["E01009371"],
        {"attack.static_share": 1.0, "harm.siege_probability": 1.0}),
    "mobile attacks and mutual aid": (
        [("Bloxwich", 1)], ["E01009220", "E01009979", "E01009788"],
        {"attack.static_share": 0.0, "attack.mobile_duration_median_min": 15.0,
         "dispatch.scene_clear_min": 20.0, **ONE_AID_UNIT}),
    # Chelmsley Wood's ARV is committed to site 1 (arriving 31.4); Wolverhampton's, free at site 0 at
    # 16.3, reaches site 1 first (30.2), so it goes there (docs/model.md 4.4, second clause).
    "retask overtakes a unit on its way": (
        [("Chelmsley Wood", 1), ("Wolverhampton (Bilston Street)", 1)],
        ["E01010032", "E01009819", "E01010354"],
        {"attack.static_share": 1.0, "dispatch.officers_per_attacker": 1, "dispatch.scene_clear_min": 0.0}),
    # The ARV committed to site 0 arrives at 41.0; mutual aid ready at 33 arrives first and goes there.
    "mutual aid overtakes a unit on its way": (
        [("Coventry Central (Little Park Street)", 1)], ["E01010546", "E01010546"],
        {"attack.static_share": 1.0, "dispatch.officers_per_attacker": 2, **ONE_AID_UNIT}),
    # Postures (docs/model.md 4.7), with the config they add: a post on scene at its site from the start
    # while Stechford's ARV takes the other site; a post that may leave reaching a site before Bloxwich's
    # ARV; a team patrolling the one LSOA within 1 blue-light minute of Park Lane ends a siege.
    "post at an attacked place": (
        [("Stechford", 1)], ["E01009003", "E01010282"],
        {"attack.static_share": 1.0, "dispatch.officers_per_attacker": 2, "dispatch.scene_clear_min": 0.0},
        {"resources": {"armed_posts": {"sites": ["E01009003"], "hours": "Fri 18:00-Sun 02:00"}}}),
    "post that responds elsewhere": (
        [("Bloxwich", 1)], ["E01009507", "E01009003"],
        {"attack.static_share": 1.0, "dispatch.officers_per_attacker": 1},
        {"resources": {"armed_posts": {"sites": ["E01009509"], "hours": "18:00-02:00"}},
         "dispatch": {"posts": "respond"}}),
    "team on patrol ends a siege": (
        [("Bournville Lane", 1), ("team@Park Lane (Aston)", 1)], ["E01009371", "E01009507"],
        {"attack.static_share": 1.0, "harm.siege_probability": 1.0, "patrol.team_radius_min": 1.0}, {}),
}


#: Doctrines made deterministic: confront with every engagement stopping the attackers, or none.
DOCTRINES = {"contain": ("contain", {}), "confront, stop": ("confront", {"doctrine.stop_probability": 1.0}),
             "confront, no stop": ("confront", {"doctrine.stop_probability": 0.0,
                                                "doctrine.engagement_delay_min": 0.5})}


@pytest.mark.parametrize("doctrine", list(DOCTRINES))
@pytest.mark.parametrize("case", list(CASES))
def test_same_outcomes_in_deterministic_worlds(case: str, doctrine: str) -> None:
    units, sites, parameters, *posture = CASES[case]
    extra = posture[0] if posture else {}
    rule, rule_parameters = DOCTRINES[doctrine]
    groups = [{"type": "ctsfo", "count": n} if where == "ctsfo"
              else {"type": "ctsfo_patrol", "base": where.removeprefix("team@"), "count": n}
              if where.startswith("team@") else {"type": "arv", "base": where, "count": n} for where, n in units]
    parked = {**{n: t.model_dump() for n, t in default_config().resources.unit_types.items()},
              "arv": {"kind": "armed", "deployment": "base"},  # deterministic: ARVs wait at their bases
              "ctsfo_patrol": {"kind": "specialist", "deployment": "patrol"}}
    # firearms and no exposure layer: the kill rate is as fixed as everything else
    model = model_from({"resources": {"units": groups, "unit_types": parked, **extra.get("resources", {})},
                        "scenario": {"named_sites": sites, "weapons": {"firearm": 1.0}, "site_weights": "residents"},
                        "dispatch": {"doctrine": rule, **extra.get("dispatch", {})},
                        "parameters": {**FIXED, **parameters, **rule_parameters}})
    engine = _engine(model, sites=len(sites), replications=2, seed=3)
    reference = simulate_reference(model, sites=len(sites), replications=2, seed=4, workload=False)
    for name in OUTCOMES:
        np.testing.assert_allclose(engine[name], reference[name], rtol=1e-6, atol=1e-4, err_msg=name)


@pytest.mark.slow
@pytest.mark.parametrize("attack_time", ["Fri 03:00", "Sat 14:50"])
def test_same_exposure_site_draws_at_two_hours(default_model: Model, attack_time: str) -> None:
    """Both draw each site from the exposure weights of the hour it starts in (Sat 14:50 crosses into the
    15:00 kick-off hour), so the share of sites at the football grounds and the outcomes agree."""
    model = default_model.at_time(attack_time)
    assert model.exposure is not None
    _assert_same_means(model, 3)
    grounds = np.flatnonzero(model.exposure.by_source[model.exposure.sources.index("football")].sum(axis=0) > 0)
    engine = np.isin(_engine(model, sites=3, replications=REPLICATIONS, seed=21)["site"], grounds)
    reference = np.isin(simulate_reference(model, sites=3, replications=REPLICATIONS, seed=22,
                                           workload=False)["site"], grounds)
    se = np.sqrt(engine.var() / engine.size + reference.var() / reference.size)
    assert abs(engine.mean() - reference.mean()) <= 4.0 * se + 1e-9
    if attack_time.startswith("Sat"):
        assert engine.mean() > 0.05  # later sites start at the match: the test would miss a fixed hour
