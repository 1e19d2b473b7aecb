"""Shared instances and checks for the tests of readiness.locate (brute force, spopt, honest gaps)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from readiness.locate.base import MIP_REL_GAP, LocationPlan
from readiness.travel import CalibratedModel

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
    assert plan.status == "optimal" and plan.gap <= MIP_REL_GAP


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
    assert (heuristic.status == "optimal") == (heuristic.gap <= MIP_REL_GAP)


def calibrated_instance(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``clustered`` points with the calibrated minutes between every pair: weights and a cost matrix."""
    xy, w = clustered(n, seed)
    return w, CalibratedModel().minutes(xy, xy)


def predefined(n: int, fixed: list[int] | None) -> np.ndarray | None:
    """spopt's ``predefined_facilities_arr`` for the fixed sites."""
    return None if fixed is None else np.isin(np.arange(n), fixed).astype(int)


def median_instance(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights (one of them zero) and a 12 × 7 cost matrix for brute-force p-median and p-center checks."""
    rng = np.random.default_rng(seed)
    cost = rng.uniform(1, 30, (12, 7))
    w = rng.uniform(0, 5, 12)
    w[0] = 0.0  # zero-weight demand is allowed
    return w, cost


def spopt_objective(model: object) -> float:
    """Solve a spopt model with CBC and return its objective value."""
    import pulp

    solved = model.solve(pulp.PULP_CBC_CMD(msg=False), results=False)  # type: ignore[attr-defined]
    return float(pulp.value(solved.problem.objective))

