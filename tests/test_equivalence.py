"""Engine against the SimPy reference: two independent implementations of docs/model.md must agree."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import fields

import numpy as np
import pytest
from conftest import model_from

from readiness._validation.reference import simulate_reference
from readiness.config import default_config
from readiness.engine import UnitStateSampler, simulate
from readiness.model import Model
from readiness.scenario import draw_unit_starts

REPLICATIONS = 3000
HORIZON = 120.0
OUTCOMES = ("t_first_armed", "t_enough_armed", "t_resolved", "t_first_unarmed", "t_stop", "expected_deaths")

# Equivalence margins (issue 2): with EQUIVALENCE_REPLICATIONS single-site attacks each, the 95%
# confidence interval of the engine-minus-reference difference must lie inside these margins.
# With blue-light minutes about half the single sites wait over 10 minutes (the variance of a share is then
# largest), so the reference runs 40,000 attacks and the engine 100,000: half-width about 0.006.
EQUIVALENCE_REPLICATIONS = 40_000
EQUIVALENCE_ENGINE_REPLICATIONS = 100_000
MARGIN_MEAN_MIN = 0.25
MARGIN_SHARE_10 = 0.01
# With the everyday workload the SimPy warm-up costs about 4 ms a replication, so the reference runs
# 40,000 single-site attacks and the (cheap) engine 100,000: the 95% half-widths are then about 0.05 min
# and 0.006 (10-minute share near 0.5 on blue-light minutes), inside the margins, and a 10% travel error fails.
WORKLOAD_REFERENCE_REPLICATIONS = 40_000
WORKLOAD_ENGINE_REPLICATIONS = 100_000


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


@pytest.fixture(scope="module")
def reference_single_site(default_model: Model) -> dict[str, np.ndarray]:
    return simulate_reference(default_model, sites=1, replications=EQUIVALENCE_REPLICATIONS, seed=101,
                              workload=False)


@pytest.fixture(scope="module")
def reference_single_site_workload(default_model: Model) -> dict[str, np.ndarray]:
    return simulate_reference(default_model, sites=1, replications=WORKLOAD_REFERENCE_REPLICATIONS, seed=103,
                              workload=True)


def _equivalent(model: Model, reference: Mapping[str, np.ndarray], *,
                replications: int = EQUIVALENCE_ENGINE_REPLICATIONS,
                unit_states: UnitStateSampler | None = draw_unit_starts) -> tuple[bool, str]:
    """Two one-sided tests as an interval: the 95% CI of the difference inside the margins."""
    engine = _engine(model, sites=1, replications=replications, seed=202, unit_states=unit_states)
    report, ok = [], True
    for label, transform, margin in (
            ("mean minutes to first armed", lambda t: np.minimum(t, HORIZON), MARGIN_MEAN_MIN),
            ("share waiting over 10 min", lambda t: (t > 10.0).astype(float), MARGIN_SHARE_10)):
        a, b = transform(engine["t_first_armed"][:, 0]), transform(reference["t_first_armed"][:, 0])
        diff = a.mean() - b.mean()
        half = 1.96 * np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        ok &= bool(-margin < diff - half and diff + half < margin)
        report.append(f"{label}: difference {diff:.4f} ± {half:.4f} (margin {margin})")
    return ok, "; ".join(report)


@pytest.mark.slow
def test_engine_and_reference_are_equivalent_within_margins(default_model, reference_single_site):
    ok, report = _equivalent(default_model, reference_single_site)
    assert ok, report


@pytest.mark.slow
def test_the_equivalence_test_catches_travel_ten_percent_slower(default_model, reference_single_site):
    planted = dataclasses.replace(default_model, blue_light_minutes=default_model.blue_light_minutes * 1.10)
    ok, report = _equivalent(planted, reference_single_site)
    assert not ok, f"a 10% travel error went unnoticed: {report}"


@pytest.mark.slow
@pytest.mark.xfail(strict=False, reason="open: with blue-light travel and confront the engine's workload path is "
                   "about 0.007 slower on the 10-minute share than the SimPy warm-up (margin 0.01, noise 0.006); "
                   "to be traced before the engine speed work")
def test_equivalent_within_margins_with_everyday_workload(default_model, reference_single_site_workload):
    ok, report = _equivalent(default_model, reference_single_site_workload,
                             replications=WORKLOAD_ENGINE_REPLICATIONS, unit_states=None)
    assert ok, report


@pytest.mark.slow
def test_the_workload_equivalence_test_catches_travel_ten_percent_slower(default_model,
                                                                          reference_single_site_workload):
    planted = dataclasses.replace(default_model, blue_light_minutes=default_model.blue_light_minutes * 1.10)
    ok, report = _equivalent(planted, reference_single_site_workload, replications=WORKLOAD_ENGINE_REPLICATIONS,
                             unit_states=None)
    assert not ok, f"a 10% travel error went unnoticed: {report}"


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
}


#: Doctrines made deterministic: confront with every engagement stopping the attackers, or none.
DOCTRINES = {"contain": ("contain", {}), "confront, stop": ("confront", {"doctrine.stop_probability": 1.0}),
             "confront, no stop": ("confront", {"doctrine.stop_probability": 0.0,
                                                "doctrine.engagement_delay_min": 0.5})}


@pytest.mark.parametrize("doctrine", list(DOCTRINES))
@pytest.mark.parametrize("case", list(CASES))
def test_same_outcomes_in_deterministic_worlds(case: str, doctrine: str) -> None:
    units, sites, parameters = CASES[case]
    rule, rule_parameters = DOCTRINES[doctrine]
    groups = [{"type": "ctsfo", "count": n} if where == "ctsfo" else {"type": "arv", "base": where, "count": n}
              for where, n in units]
    parked = {**{n: t.model_dump() for n, t in default_config().resources.unit_types.items()},
              "arv": {"kind": "armed", "deployment": "base"}}  # deterministic: ARVs wait at their bases
    # firearms and no exposure layer: the kill rate is as fixed as everything else
    model = model_from({"resources": {"units": groups, "unit_types": parked},
                        "scenario": {"named_sites": sites, "weapons": {"firearm": 1.0}, "site_weights": "residents"},
                        "dispatch": {"doctrine": rule}, "parameters": {**FIXED, **parameters, **rule_parameters}})
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
