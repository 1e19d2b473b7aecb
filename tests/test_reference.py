"""Tests for the SimPy reference implementation of the attack model: exact times in small worlds."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pytest
from scipy.integrate import quad

from readiness._validation.reference import expected_deaths, simulate_reference
from readiness.errors import ConfigError
from readiness.model import Model
from readiness.registry import Parameters
from readiness.resources import ARMED, NO_BASE, SPECIALIST, UNARMED, Fleet

F = 0.5  # blue-light factor in the small world
NOTIFY = 4.0
# Normal-speed minutes from positions (base 0, base 1, LSOA 0, LSOA 1, LSOA 2) to LSOAs 0, 1, 2.
TRAVEL = np.array([
    [10.0, 20.0, 30.0],
    [25.0, 5.0, 40.0],
    [1.0, 12.0, 8.0],
    [12.0, 1.0, 15.0],
    [8.0, 15.0, 1.0],
])
N_BASES = 2
LSOA = N_BASES  # position of LSOA 0's centroid

# Deterministic defaults: one attacker needing two officers, static, no siege, no help from outside.
BASE_PARAMS = {
    "travel.emergency_factor": F, "notify.median_min": NOTIFY, "notify.sigma": 0.0,
    "attack.window_min": 0.0, "attack.extra_attacker_prob": 0.0, "attack.static_share": 1.0,
    "attack.mobile_duration_sigma": 0.0, "harm.siege_probability": 0.0, "ctsfo.assault_sigma": 0.0,
    "dispatch.officers_per_attacker": 2, "arv.crew": 2, "dispatch.scene_clear_min": 10.0,
    "response.units_per_site": 1, "mutual_aid.threshold_sites": 4, "mutual_aid.units_low": 0,
    "mutual_aid.units_high": 0, "horizon_min": 120.0,
}


@dataclass(frozen=True)
class SmallWorld:
    """Stand-in for :class:`readiness.model.Model` with the fields the reference reads."""

    params: Parameters
    fleet: Fleet
    site_weights: np.ndarray
    named_sites: np.ndarray | None
    travel_minutes: np.ndarray = field(default_factory=TRAVEL.copy)
    n_bases: int = N_BASES


def world(units: list[tuple[int, int]], *, sites: list[int] | None = None, weights: list[float] | None = None,
          **params: float) -> SmallWorld:
    """A world with ``units`` as (kind, position) pairs; named ``sites`` or site ``weights``.

    Units without a base patrol, except specialist teams, which come from outside the area.
    """
    kind = np.array([k for k, _ in units], dtype=np.int8)
    position = np.array([p for _, p in units], dtype=np.int64)
    officers = np.select([kind == ARMED, kind == SPECIALIST], [2, 8], 0)
    fleet = Fleet(names=tuple(f"unit#{u}" for u in range(len(units))), types=tuple("x" for _ in units),
                  kind=kind, officers=officers, position=position,
                  patrol=(position == NO_BASE) & (kind != SPECIALIST),
                  base_names=("b0", "b1"), base_xy=np.zeros((N_BASES, 2)))
    return SmallWorld(params=Parameters({**BASE_PARAMS, **params}), fleet=fleet,
                      site_weights=np.array(weights or [1.0, 1.0, 1.0]),
                      named_sites=None if sites is None else np.array(sites))


def run(model: SmallWorld, *, sites: int = 1, replications: int = 3, seed: int = 0) -> dict[str, np.ndarray]:
    return simulate_reference(model, sites=sites, replications=replications, seed=seed)


def harm(model: SmallWorld, *, shooting: float, unarmed: float = math.inf, siege: float = 0.0,
         attackers: int = 1) -> float:
    p = model.params
    return expected_deaths(attackers=attackers, kill_rate=p["harm.kill_rate_per_attacker_min"],
                           flight_time=p["harm.flight_time_min"], plato_reduction=p["harm.plato_reduction"],
                           shooting_minutes=shooting, unarmed_minutes=unarmed, siege_minutes=siege,
                           siege_kill_rate=p["harm.siege_kill_rate_min"])


def test_one_unit_arrives_after_notification_and_blue_light_travel() -> None:
    model = world([(ARMED, 0)], weights=[0.0, 0.0, 1.0])
    out = run(model)
    arrival = NOTIFY + F * TRAVEL[0, 2]
    for name in ("t_first_armed", "t_enough_armed", "t_resolved"):
        np.testing.assert_allclose(out[name], arrival)
    assert (out["site"] == 2).all() and out["static"].all() and (out["attackers"] == 1).all()
    np.testing.assert_allclose(out["report"], NOTIFY)
    np.testing.assert_allclose(out["expected_deaths"], harm(model, shooting=arrival))
    assert out["deaths"].dtype.kind == "i"


def test_two_sites_take_the_nearest_free_unit_in_order_of_report() -> None:
    # Long notification spread so either site may be reported first; units never clear in time.
    model = world([(ARMED, 0), (ARMED, 1)], weights=[1.0, 1.0, 0.0], **{
        "notify.sigma": 0.8, "attack.window_min": 10.0, "dispatch.scene_clear_min": 200.0})
    out = run(model, sites=2, replications=60)
    order = np.argsort(out["report"], axis=1)
    assert (order[:, 0] == 1).any() and (order[:, 0] == 0).any()
    for r in range(60):
        first, second = order[r]
        nearest = int(np.argmin(TRAVEL[:N_BASES, out["site"][r, first]]))
        expected_first = out["report"][r, first] + F * TRAVEL[nearest, out["site"][r, first]]
        expected_second = out["report"][r, second] + F * TRAVEL[1 - nearest, out["site"][r, second]]
        arrivals = out["start"][r] + out["t_first_armed"][r]
        assert arrivals[first] == pytest.approx(expected_first)
        assert arrivals[second] == pytest.approx(expected_second)


def test_equal_reports_are_served_in_site_order_and_the_unit_is_retasked_after_clearing() -> None:
    model = world([(ARMED, 0)], sites=[2, 1])
    out = run(model, sites=2)
    first = NOTIFY + F * TRAVEL[0, 2]
    second = first + 10.0 + F * TRAVEL[LSOA + 2, 1]  # scene clear, then from site 0's LSOA
    np.testing.assert_allclose(out["t_first_armed"], [[first, second]] * 3)
    np.testing.assert_allclose(out["t_resolved"], [[first, second]] * 3)


def test_a_unit_freed_with_no_site_waiting_is_sent_from_the_scene_at_the_next_report() -> None:
    # Site 1 is reported (window 60: uniform start) after site 0 has cleared.
    model = world([(ARMED, 0)], sites=[2, 1], **{"attack.window_min": 60.0})
    out = run(model, sites=2, replications=40)
    free_at = NOTIFY + F * TRAVEL[0, 2] + 10.0
    late = out["report"][:, 1] > free_at
    assert late.sum() > 10
    np.testing.assert_allclose(out["t_first_armed"][late, 1], NOTIFY + F * TRAVEL[LSOA + 2, 1])


def test_mobile_attack_stops_by_itself_and_is_resolved_when_armed_officers_arrive() -> None:
    model = world([(ARMED, 0)], sites=[2], **{"attack.static_share": 0.0,
                                              "attack.mobile_duration_median_min": 10.0})
    out = run(model)
    arrival = NOTIFY + F * TRAVEL[0, 2]
    np.testing.assert_allclose(out["t_resolved"], arrival)
    np.testing.assert_allclose(out["t_enough_armed"], arrival)
    np.testing.assert_allclose(out["expected_deaths"], harm(model, shooting=10.0))
    assert not out["static"].any()


def test_needing_more_officers_than_one_crew_waits_for_the_second_unit() -> None:
    model = world([(ARMED, 0), (ARMED, 1)], sites=[0], **{"dispatch.officers_per_attacker": 4})
    out = run(model)
    np.testing.assert_allclose(out["t_first_armed"], NOTIFY + F * TRAVEL[0, 0])
    np.testing.assert_allclose(out["t_enough_armed"], NOTIFY + F * TRAVEL[1, 0])
    np.testing.assert_allclose(out["t_resolved"], NOTIFY + F * TRAVEL[1, 0])


def test_external_team_ends_a_siege() -> None:
    model = world([(ARMED, 0), (SPECIALIST, NO_BASE)], sites=[2], **{
        "harm.siege_probability": 1.0, "ctsfo.external_delay_low_min": 60.0,
        "ctsfo.external_delay_high_min": 60.0, "ctsfo.assault_median_min": 30.0})
    out = run(model)
    engaged = NOTIFY + F * TRAVEL[0, 2]
    end = NOTIFY + 60.0 + 30.0
    np.testing.assert_allclose(out["t_enough_armed"], engaged)
    np.testing.assert_allclose(out["t_resolved"], end)
    np.testing.assert_allclose(out["expected_deaths"], harm(model, shooting=engaged, siege=end - engaged))


def test_team_alone_engages_and_a_based_team_mobilises_then_drives() -> None:
    external = world([(SPECIALIST, NO_BASE)], sites=[2], **{
        "ctsfo.external_delay_low_min": 60.0, "ctsfo.external_delay_high_min": 60.0})
    out = run(external)
    np.testing.assert_allclose(out["t_first_armed"], NOTIFY + 60.0)
    np.testing.assert_allclose(out["t_resolved"], NOTIFY + 60.0)
    based = world([(SPECIALIST, 1)], sites=[2], **{
        "harm.siege_probability": 1.0, "ctsfo.mobilise_low_min": 20.0, "ctsfo.mobilise_high_min": 20.0,
        "ctsfo.assault_median_min": 30.0})
    out = run(based)
    arrival = NOTIFY + 20.0 + F * TRAVEL[1, 2]
    np.testing.assert_allclose(out["t_enough_armed"], arrival)
    np.testing.assert_allclose(out["t_resolved"], arrival + 30.0)


def test_siege_without_a_team_lasts_to_the_horizon() -> None:
    model = world([(ARMED, 0)], sites=[2], **{"harm.siege_probability": 1.0})
    out = run(model)
    engaged = NOTIFY + F * TRAVEL[0, 2]
    assert np.isinf(out["t_resolved"]).all()
    np.testing.assert_allclose(out["expected_deaths"], harm(model, shooting=engaged, siege=120.0 - engaged))


def test_mutual_aid_is_requested_when_active_sites_exceed_the_threshold() -> None:
    aid = {"mutual_aid.threshold_sites": 1, "mutual_aid.units_low": 1, "mutual_aid.units_high": 1,
           "mutual_aid.delay_low_min": 30.0, "mutual_aid.delay_high_min": 30.0}
    out = run(world([], sites=[0, 1], **aid), sites=2)
    # Requested at the second report; the one unit goes to the earliest-reported site short of officers,
    # then, once that scene is clear, it is re-tasked like an ARV.
    retasked = NOTIFY + 30.0 + 10.0 + F * TRAVEL[LSOA, 1]
    np.testing.assert_allclose(out["t_first_armed"], [[NOTIFY + 30.0, retasked]] * 3)
    two_units = {**aid, "mutual_aid.units_low": 2, "mutual_aid.units_high": 2}
    out = run(world([], sites=[0, 1], **two_units), sites=2)
    np.testing.assert_allclose(out["t_first_armed"], NOTIFY + 30.0)
    out = run(world([], sites=[0, 1], **{**aid, "mutual_aid.threshold_sites": 2}), sites=2)
    assert np.isinf(out["t_first_armed"]).all()


def test_site_not_reached_within_the_horizon_is_censored() -> None:
    model = world([(ARMED, 0)], sites=[2], horizon_min=15.0)
    out = run(model)
    for name in ("t_first_armed", "t_enough_armed", "t_resolved"):
        assert np.isinf(out[name]).all()
    np.testing.assert_allclose(out["expected_deaths"], harm(model, shooting=15.0))


def test_unarmed_units_reduce_harm_and_are_never_retasked() -> None:
    model = world([(ARMED, 0), (UNARMED, 1)], sites=[1, 1])
    out = run(model, sites=2)
    armed = NOTIFY + F * TRAVEL[0, 1]
    unarmed = NOTIFY + F * TRAVEL[1, 1]
    assert unarmed < armed
    second = armed + 10.0 + F * TRAVEL[LSOA + 1, 1]
    np.testing.assert_allclose(out["expected_deaths"][:, 0], harm(model, shooting=armed, unarmed=unarmed))
    np.testing.assert_allclose(out["expected_deaths"][:, 1], harm(model, shooting=second))
    np.testing.assert_allclose(out["t_first_unarmed"], [[unarmed, math.inf]] * 3)


def test_patrolling_units_start_at_an_lsoa_drawn_by_weight() -> None:
    model = world([(ARMED, 0), (UNARMED, NO_BASE)], weights=[0.0, 0.0, 1.0])
    out = run(model)
    unarmed = NOTIFY + F * TRAVEL[LSOA + 2, 2]
    np.testing.assert_allclose(out["t_first_unarmed"], unarmed)
    np.testing.assert_allclose(out["expected_deaths"], harm(model, shooting=NOTIFY + F * TRAVEL[0, 2],
                                                            unarmed=unarmed))
    out = run(world([(ARMED, NO_BASE)], weights=[0.0, 0.0, 1.0]))  # "arm everyone": armed patrols
    np.testing.assert_allclose(out["t_first_armed"], NOTIFY + F * TRAVEL[LSOA + 2, 2])


@pytest.mark.parametrize(("shooting", "unarmed", "siege"),
                         [(12.0, math.inf, 0.0), (12.0, 5.0, 0.0), (5.0, 12.0, 30.0), (0.0, 0.0, 0.0)])
def test_expected_deaths_is_the_integral_of_the_kill_rate(shooting: float, unarmed: float,
                                                          siege: float) -> None:
    attackers, rate, flight, reduction, siege_rate = 3, 2.2, 50.0, 0.2, 0.05

    def kill_rate(s: float) -> float:
        return attackers * rate * math.exp(-s / flight) * (1.0 - reduction * (s >= unarmed))

    integral = quad(kill_rate, 0.0, shooting, points=[unarmed] if unarmed < shooting else None)[0]
    value = expected_deaths(attackers=attackers, kill_rate=rate, flight_time=flight,
                            plato_reduction=reduction, shooting_minutes=shooting, unarmed_minutes=unarmed,
                            siege_minutes=siege, siege_kill_rate=siege_rate)
    assert value == pytest.approx(integral + siege_rate * siege, rel=1e-9, abs=1e-12)


def test_deaths_are_poisson_around_the_expected_deaths() -> None:
    model = world([(ARMED, 0)], sites=[2])
    out = run(model, replications=4000)
    mean = harm(model, shooting=NOTIFY + F * TRAVEL[0, 2])
    assert out["deaths"].mean() == pytest.approx(mean, abs=4 * math.sqrt(mean / 4000))
    assert out["deaths"].var() == pytest.approx(mean, rel=0.15)


def test_same_seed_same_draws_and_errors_name_the_problem() -> None:
    model = world([(ARMED, 0), (UNARMED, NO_BASE)], **{"notify.sigma": 0.5, "attack.window_min": 20.0})
    a, b = run(model, sites=3, seed=7), run(model, sites=3, seed=7)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    with pytest.raises(ConfigError, match="sites=0"):
        run(model, sites=0)
    with pytest.raises(ConfigError, match="only 1 named"):
        run(world([(ARMED, 0)], sites=[2]), sites=2)
    stranded = world([(ARMED, NO_BASE)])
    stranded = replace(stranded, fleet=replace(stranded.fleet, patrol=np.array([False])))
    with pytest.raises(ConfigError, match="only specialist teams can start outside"):
        run(stranded)


def test_default_west_midlands_model_runs_with_plausible_outcomes(default_model: Model) -> None:
    out = simulate_reference(default_model, sites=3, replications=100, seed=1)
    assert all(v.shape == (100, 3) for v in out.values())
    assert (out["start"][:, 0] == 0).all() and (out["report"] > out["start"]).all()
    t1 = out["t_first_armed"]
    assert np.isfinite(t1[:, 0]).all()  # eight ARVs: the first site is always reached
    assert (t1 >= out["report"] - out["start"]).all()
    assert (out["t_enough_armed"] >= t1).all() and (out["t_resolved"] >= t1).all()
    assert 5.0 < np.median(t1[:, 0]) < 30.0
    assert out["site"].max() < default_model.travel_minutes.shape[1]
