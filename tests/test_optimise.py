"""Tests for readiness.optimise: exact optima against spopt and brute force, heuristic bounds, bad requests."""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import readiness
from readiness import optimise
from readiness.errors import ConfigError, InfeasibleError
from readiness.optimise import (
    LocationPlan,
    backup_coverage,
    fleet_mix,
    lscp,
    mclp,
    mexclp,
    p_center,
    p_median,
    travel_coverage,
)
from readiness.travel import CalibratedModel

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pulp.*")

WEST_MIDLANDS = Path(readiness.__file__).parent / "data" / "west_midlands_lsoa.parquet"
TOL = 1e-6


def clustered(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Points in five towns of a 30 km square (BNG-like metres) and LSOA-like resident counts."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 30_000, (5, 2))
    xy = centres[rng.integers(0, 5, n)] + rng.normal(0, 3_000, (n, 2))
    return xy, rng.integers(1_000, 3_000, n).astype(float)


def random_instance(
    seed: int, n: int = 14, m: int = 8, density: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    """A small random weights/coverage pair for brute-force checks."""
    rng = np.random.default_rng(seed)
    return rng.uniform(1, 10, n), rng.random((n, m)) < density


def subsets(m: int, p: int, fixed: tuple[int, ...] = ()) -> Iterator[np.ndarray]:
    """Every 0/1 site vector with ``p`` open sites that include ``fixed``."""
    free = [j for j in range(m) if j not in fixed]
    for chosen in itertools.combinations(free, p - len(fixed)):
        x = np.zeros(m, dtype=int)
        x[list(chosen) + list(fixed)] = 1
        yield x


def brute(vectors: Iterator[np.ndarray], score: Callable[[np.ndarray], float], *, maximise: bool) -> float:
    """Best score over the given plans."""
    values = [score(x) for x in vectors]
    return max(values) if maximise else min(values)


def assert_exact(plan: LocationPlan, optimum: float) -> None:
    """A HiGHS plan reaches the optimum and says so."""
    assert plan.method == "highs"
    assert plan.objective == pytest.approx(optimum)
    assert plan.status == "optimal" and plan.gap <= optimise.MIP_REL_GAP


def assert_heuristic_honest(heuristic: LocationPlan, optimum: float, *, maximise: bool) -> None:
    """The heuristic's bound brackets the optimum and its value is within its reported gap of it."""
    assert heuristic.method == "heuristic"
    scale = max(1.0, abs(optimum))
    if maximise:
        assert heuristic.bound >= optimum - TOL * scale
        assert heuristic.objective <= optimum + TOL * scale
        assert heuristic.objective >= optimum * (1 - heuristic.gap) - TOL * scale
    else:
        assert heuristic.bound <= optimum + TOL * scale
        assert heuristic.objective >= optimum - TOL * scale
        assert heuristic.objective * (1 - heuristic.gap) <= optimum + TOL * scale
    assert (heuristic.status == "optimal") == (heuristic.gap <= optimise.MIP_REL_GAP)


@pytest.fixture(scope="module")
def west_midlands() -> tuple[np.ndarray, np.ndarray]:
    """The 1,680 West Midlands LSOAs: residents and calibrated minutes between every pair of centroids."""
    if not WEST_MIDLANDS.exists():
        pytest.skip(f"{WEST_MIDLANDS} is not built")
    area = pd.read_parquet(WEST_MIDLANDS, columns=["residents", "x", "y"])
    xy = area[["x", "y"]].to_numpy()
    return area["residents"].to_numpy(float), CalibratedModel().minutes(xy, xy)


# ----------------------------------------------------------------------------------------------- spopt


def spopt_objective(model: object) -> float:
    """Solve a spopt model with CBC and return its objective value."""
    import pulp

    solved = model.solve(pulp.PULP_CBC_CMD(msg=False), results=False)  # type: ignore[attr-defined]
    return float(pulp.value(solved.problem.objective))


@pytest.fixture(scope="module")
def spopt_locate() -> ModuleType:
    """spopt.locate, or a skip where spopt is not installed."""
    return pytest.importorskip("spopt.locate")


@pytest.mark.parametrize("fixed", [None, [3, 17]])
def test_mclp_and_lscp_match_spopt_small(spopt_locate, fixed: list[int] | None) -> None:
    xy, w = clustered(40, seed=1)
    cost = CalibratedModel().minutes(xy, xy)
    predefined = None if fixed is None else np.isin(np.arange(40), fixed).astype(int)
    expected = spopt_objective(spopt_locate.MCLP.from_cost_matrix(cost, w, 8.0, 4, predefined))
    plan = mclp(w, cost <= 8.0, 4, fixed)
    assert plan.objective == pytest.approx(expected, rel=optimise.MIP_REL_GAP)
    assert plan.objective == pytest.approx(w[plan.covered].sum())
    assert set(fixed or []) <= set(plan.sites.tolist()) and plan.n_sites == 4
    expected = spopt_objective(spopt_locate.LSCP.from_cost_matrix(cost, 8.0, predefined))
    plan = lscp(cost <= 8.0, fixed)
    assert plan.objective == expected == plan.n_sites
    assert np.all((cost[:, plan.sites] <= 8.0).any(axis=1))


def test_lscp_matches_spopt_where_a_highs_mip_start_misleads(spopt_locate) -> None:
    # On this instance HiGHS 1.16, given the greedy cover as a start, reported 61 sites "optimal" while
    # returning 66; the optimum is 63.
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 20_000, (200, 2))
    cost = CalibratedModel().minutes(xy, xy)
    expected = spopt_objective(spopt_locate.LSCP.from_cost_matrix(cost, 8.0))
    plan = lscp(cost <= 8.0, method="highs")
    assert plan.objective == expected == 63
    assert plan.status == "optimal" and plan.bound == 63


@pytest.mark.parametrize("fixed", [None, [5]])
def test_p_median_and_p_center_match_spopt_small(spopt_locate, fixed: list[int] | None) -> None:
    xy, w = clustered(40, seed=2)
    cost = CalibratedModel().minutes(xy, xy)
    predefined = None if fixed is None else np.isin(np.arange(40), fixed).astype(int)
    expected = spopt_objective(spopt_locate.PMedian.from_cost_matrix(cost, w, 4, predefined))
    for method in ("highs", "auto"):
        plan = p_median(w, cost, 4, fixed, method=method)
        assert plan.objective == pytest.approx(expected, rel=optimise.MIP_REL_GAP)
        assert plan.mean_cost == pytest.approx(plan.objective / w.sum())
    expected = spopt_objective(spopt_locate.PCenter.from_cost_matrix(cost, 3, predefined))
    plan = p_center(cost, 3, fixed)
    assert plan.objective == pytest.approx(expected, rel=1e-6)  # CBC's solution file rounds
    assert plan.objective == pytest.approx(cost[:, plan.sites].min(axis=1).max())


@pytest.mark.slow
def test_west_midlands_mclp_and_lscp_match_spopt(spopt_locate, west_midlands) -> None:
    # spopt builds these models in about 20 s each; CBC needs over 20 minutes for the LSCP at 10 minutes
    # (HiGHS does not close it in 2 minutes either), so the LSCP uses a 15-minute standard.
    w, cost = west_midlands
    expected = spopt_objective(spopt_locate.MCLP.from_cost_matrix(cost, w, 10.0, 8))
    assert mclp(w, cost <= 10.0, 8).objective == pytest.approx(expected, rel=optimise.MIP_REL_GAP)
    expected = spopt_objective(spopt_locate.LSCP.from_cost_matrix(cost, 15.0))
    assert lscp(cost <= 15.0).objective == expected


@pytest.mark.slow
def test_p_median_300_matches_spopt(spopt_locate) -> None:
    xy, w = clustered(300, seed=3)
    cost = CalibratedModel().minutes(xy, xy)
    expected = spopt_objective(spopt_locate.PMedian.from_cost_matrix(cost, w, 5))
    for method in ("highs", "auto"):
        assert p_median(w, cost, 5, method=method).objective == pytest.approx(
            expected, rel=optimise.MIP_REL_GAP
        )


@pytest.mark.slow
def test_p_center_100_matches_spopt(spopt_locate) -> None:
    # CBC needs about 35 s at 100 points, 300 s at 150 and over 10 minutes at 300, so 100 it is.
    xy, _ = clustered(100, seed=4)
    cost = CalibratedModel().minutes(xy, xy)
    expected = spopt_objective(spopt_locate.PCenter.from_cost_matrix(cost, 5))
    assert p_center(cost, 5).objective == pytest.approx(expected, rel=1e-6)


# ----------------------------------------------------------------------------------------- brute force


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("fixed", [(), (2,)])
def test_mclp_and_lscp_match_brute_force(seed: int, fixed: tuple[int, ...]) -> None:
    w, cover = random_instance(seed)
    optimum = brute(subsets(8, 3, fixed), lambda x: w[(cover @ x) >= 1].sum(), maximise=True)
    assert_exact(mclp(w, cover, 3, list(fixed), method="highs"), optimum)
    assert_heuristic_honest(mclp(w, cover, 3, list(fixed), method="heuristic"), optimum, maximise=True)
    cover[:, 0] = True  # every point coverable
    fewest = min(k for k in range(1, 9) if any(((cover @ x) >= 1).all() for x in subsets(8, k)))
    assert_exact(lscp(cover, method="highs"), fewest)
    assert_heuristic_honest(lscp(cover, method="heuristic"), fewest, maximise=False)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("theta", [0.0, 0.2, 0.5, 0.8])
def test_backup_coverage_matches_brute_force(seed: int, theta: float) -> None:
    w, cover = random_instance(seed, density=0.4)

    def value(x: np.ndarray) -> float:
        counts = cover @ x
        return theta * w[counts >= 1].sum() + (1 - theta) * w[counts >= 2].sum()

    optimum = brute(subsets(8, 3), value, maximise=True)
    plan = backup_coverage(w, cover, 3, primary_weight=theta, method="highs")
    assert_exact(plan, optimum)
    assert plan.objective == pytest.approx(
        theta * w[plan.covered].sum() + (1 - theta) * w[plan.covered_twice].sum()
    )
    assert_heuristic_honest(
        backup_coverage(w, cover, 3, primary_weight=theta, method="heuristic"), optimum, maximise=True
    )


def multisets(m: int, units: int, cap: int) -> Iterator[np.ndarray]:
    """Every placement of ``units`` units on ``m`` sites with at most ``cap`` per site."""
    for combo in itertools.combinations_with_replacement(range(m), units):
        x = np.bincount(combo, minlength=m)
        if x.max() <= cap:
            yield x


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("q", [0.0, 0.3, 0.7])
@pytest.mark.parametrize("cap", [1, 4])
def test_mexclp_matches_brute_force(seed: int, q: float, cap: int) -> None:
    w, cover = random_instance(seed, n=10, m=5, density=0.35)

    def expected_cover(x: np.ndarray) -> float:
        return float(w @ (1 - q ** (cover @ x)))

    optimum = brute(multisets(5, 4, cap), expected_cover, maximise=True)
    plan = mexclp(w, cover, 4, q, max_per_site=cap, method="highs")
    assert_exact(plan, optimum)
    assert plan.objective == pytest.approx(expected_cover(plan.units_per_site))
    assert plan.n_units == 4 and plan.units_per_site.max() <= cap
    heuristic = mexclp(w, cover, 4, q, max_per_site=cap, method="heuristic")
    assert_heuristic_honest(heuristic, optimum, maximise=True)


@pytest.mark.parametrize(("q", "units"), [(0.3, [1, 1]), (0.6, [2, 0])])
@pytest.mark.parametrize("method", ["highs", "heuristic"])
def test_mexclp_busy_fraction_flips_spreading_to_stacking(q: float, units: list[int], method: str) -> None:
    # Point A (weight 10) is reachable only from site 0, point B (weight 4) only from site 1. Two units:
    # spreading covers 14 (1 - q), stacking at A covers 10 (1 - q²); stacking wins once 10 q > 4.
    w = np.array([10.0, 4.0])
    cover = np.eye(2, dtype=bool)
    plan = mexclp(w, cover, 2, q, method=method)
    assert plan.units_per_site.tolist() == units
    assert plan.objective == pytest.approx(max(14 * (1 - q), 10 * (1 - q * q)))
    assert plan.status == "optimal"


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("fixed", [(), (4,)])
def test_p_median_and_p_center_match_brute_force(seed: int, fixed: tuple[int, ...]) -> None:
    rng = np.random.default_rng(seed)
    cost = rng.uniform(1, 30, (12, 7))
    w = rng.uniform(0, 5, 12)
    w[0] = 0.0  # zero-weight demand is allowed
    total = brute(subsets(7, 3, fixed), lambda x: float(w @ cost[:, x > 0].min(axis=1)), maximise=False)
    longest = brute(subsets(7, 3, fixed), lambda x: float(cost[:, x > 0].min(axis=1).max()), maximise=False)
    assert_exact(p_median(w, cost, 3, list(fixed), method="highs"), total)
    assert_heuristic_honest(p_median(w, cost, 3, list(fixed), method="heuristic"), total, maximise=False)
    assert_exact(p_center(cost, 3, list(fixed), method="highs"), longest)
    assert_heuristic_honest(p_center(cost, 3, list(fixed), method="heuristic"), longest, maximise=False)


def test_fleet_mix_matches_brute_force() -> None:
    rng = np.random.default_rng(7)
    w = rng.uniform(1, 10, 12)
    arv = rng.random((12, 5)) < 0.25
    ctsfo = arv | (rng.random((12, 5)) < 0.3)  # slower to mobilise but with a wider reach here
    costs, budget = [1.0, 2.5], 4.0
    columns = np.hstack([arv, ctsfo])
    best = 0.0
    for k in range(1, 5):
        for chosen in itertools.combinations(range(10), k):
            if sum(costs[j // 5] for j in chosen) <= budget:
                best = max(best, w[columns[:, list(chosen)].any(axis=1)].sum())
    plan = fleet_mix(w, [arv, ctsfo], costs, budget)
    assert_exact(plan, best)
    assert plan.units_per_site.shape == (2, 5)
    assert (
        plan.spend == pytest.approx(np.dot(costs, plan.units_per_site.sum(axis=1))) and plan.spend <= budget
    )


# ------------------------------------------------------------------------------ heuristic versus exact


@pytest.mark.parametrize("seed", range(2))
def test_heuristics_are_within_their_gap_of_the_optimum(seed: int) -> None:
    xy, w = clustered(150, seed=10 + seed)
    cost = CalibratedModel().minutes(xy, xy)
    cover = cost <= 7.0
    for solve, maximise in [
        (lambda m: mclp(w, cover, 6, method=m), True),
        (lambda m: backup_coverage(w, cover, 6, primary_weight=0.3, method=m), True),
        (lambda m: mexclp(w, cover, 6, 0.4, method=m), True),
        (lambda m: lscp(cover, method=m), False),
        (lambda m: p_median(w, cost, 6, method=m), False),
        (lambda m: p_center(cost, 6, method=m), False),
    ]:
        exact = solve("highs")
        assert exact.status == "optimal" and exact.gap <= optimise.MIP_REL_GAP
        assert_heuristic_honest(solve("heuristic"), exact.objective, maximise=maximise)


def test_west_midlands_mclp_heuristic_within_its_gap(west_midlands) -> None:
    w, cost = west_midlands
    cover = sp.csr_array(cost <= 10.0)
    exact = mclp(w, cover, 8, method="highs")
    assert exact.status == "optimal"
    assert_heuristic_honest(mclp(w, cover, 8, method="heuristic"), exact.objective, maximise=True)


def test_auto_uses_the_heuristic_above_the_size_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    xy, w = clustered(150, seed=10)
    cover = CalibratedModel().minutes(xy, xy) <= 7.0
    monkeypatch.setattr(optimise, "AUTO_MAX_COVERAGE_NONZEROS", 0)
    assert mclp(w, cover, 6).method == "heuristic"
    monkeypatch.setattr(optimise, "AUTO_MAX_COVERAGE_NONZEROS", 10**9)
    plan = mclp(w, cover, 6)
    assert plan.status == "optimal" and plan.gap <= optimise.MIP_REL_GAP


def test_heuristic_is_deterministic_and_sparse_input_matches_dense() -> None:
    xy, w = clustered(150, seed=12)
    cover = CalibratedModel().minutes(xy, xy) <= 7.0
    first = mclp(w, cover, 6, method="heuristic")
    second = mclp(w, sp.csr_array(cover), 6, method="heuristic")
    assert first.sites.tolist() == second.sites.tolist() and first.objective == second.objective
    assert mclp(w, sp.coo_matrix(cover), 6).objective == pytest.approx(mclp(w, cover, 6).objective)


# ------------------------------------------------------------------------------------ coverage, result


def test_travel_coverage_matches_dense_minutes() -> None:
    xy, _ = clustered(300, seed=5)
    sites = xy[::7]
    minutes = CalibratedModel().minutes(xy, sites)
    cover = travel_coverage(xy, sites, 10.0)
    assert cover.shape == (300, len(sites)) and cover.dtype == bool
    clear = np.abs(minutes - 10.0) > 1e-9
    assert np.array_equal(cover.toarray()[clear], (minutes <= 10.0)[clear])
    assert travel_coverage(xy, sites, 0.5).nnz == 0  # below the intercept nothing is reachable


def test_location_plan_is_frozen_and_serialisable() -> None:
    w, cover = random_instance(0)
    plan = mclp(w, cover, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.objective = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        plan.sites[0] = 99
    record = json.loads(json.dumps(plan.as_dict()))
    assert record["model"] == "mclp" and record["n_sites"] == 3 and record["method"] in ("highs", "heuristic")
    assert record["sites"] == sorted(record["sites"])
    assert plan.units_per_site.sum() == 3 and set(np.flatnonzero(plan.units_per_site)) == set(plan.sites)


# ---------------------------------------------------------------------------------------- bad requests


def test_lscp_names_the_demand_points_nobody_covers() -> None:
    cover = np.ones((6, 3), dtype=bool)
    cover[[2, 5]] = False
    with pytest.raises(InfeasibleError, match=r"2 demand point\(s\).*indices 2, 5"):
        lscp(cover)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda w, a: mclp(w, a, 5), "larger than the number of candidate sites"),
        (lambda w, a: mclp(w, a, 1, [0, 1]), "smaller than the number of fixed sites"),
        (lambda w, a: mclp(w, a, 0), "at least 1"),
        (lambda w, a: mclp(w, a, 2, [0, 7]), "outside 0..3"),
        (lambda w, a: mclp(w, a, 2, [1, 1]), "distinct"),
        (lambda w, a: mclp(w[:-1], a, 2), "one value per demand point"),
        (lambda w, a: mclp(-w, a, 2), "non-negative"),
        (lambda w, a: mclp(np.where(w > 0, np.nan, w), a, 2), "finite"),
        (lambda w, a: mclp(w, a[0], 2), "2-D"),
        (lambda w, a: backup_coverage(w, a, 2, primary_weight=1.5), "primary_weight"),
        (lambda w, a: mexclp(w, a, 2, 1.0), "busy_fraction"),
        (lambda w, a: mexclp(w, a, 0, 0.2), "units"),
        (lambda w, a: mexclp(w, a, 9, 0.2, max_per_site=2), "cannot hold"),
        (lambda w, a: p_median(w, np.full((6, 4), -1.0), 2), "non-negative minutes"),
        (lambda w, a: p_median(np.zeros(6), np.ones((6, 4)), 2), "sum to zero"),
        (lambda w, a: p_center(np.ones(4), 2), "demand × site"),
        (lambda w, a: fleet_mix(w, [a, a[:, :3]], [1, 2], 5), "same shape"),
        (lambda w, a: fleet_mix(w, [a, a], [1, -2], 5), "positive yearly cost"),
        (lambda w, a: fleet_mix(w, [a], [1], -1), "budget"),
    ],
)
def test_bad_requests_raise_infeasible_error(call: Callable, message: str) -> None:
    w, cover = np.arange(1.0, 7.0), np.eye(6, 4, dtype=bool)
    with pytest.raises(InfeasibleError, match=message):
        call(w, cover)


def test_bad_options_raise_config_error() -> None:
    w, cover = random_instance(0)
    with pytest.raises(ConfigError, match="method"):
        mclp(w, cover, 2, method="cplex")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="time_limit"):
        lscp(cover | True, time_limit=0)
