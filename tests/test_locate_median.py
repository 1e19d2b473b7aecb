"""p-median (readiness.locate.median) against spopt and brute force, exact and heuristic."""

from __future__ import annotations

import pytest
from locate_helpers import (
    assert_exact,
    assert_heuristic_honest,
    brute,
    calibrated_instance,
    median_instance,
    predefined,
    spopt_objective,
    subsets,
)

from readiness.locate.base import MIP_REL_GAP
from readiness.locate.median import p_median

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pulp.*")


@pytest.mark.parametrize("fixed", [None, [5]])
def test_p_median_matches_spopt_small(spopt_locate, fixed: list[int] | None) -> None:
    w, cost = calibrated_instance(40, seed=2)
    expected = spopt_objective(spopt_locate.PMedian.from_cost_matrix(cost, w, 4, predefined(40, fixed)))
    for method in ("highs", "auto"):
        plan = p_median(w, cost, 4, fixed, method=method)
        assert plan.objective == pytest.approx(expected, rel=MIP_REL_GAP)
        assert plan.mean_cost == pytest.approx(plan.objective / w.sum())


@pytest.mark.slow
def test_p_median_300_matches_spopt(spopt_locate) -> None:
    w, cost = calibrated_instance(300, seed=3)
    expected = spopt_objective(spopt_locate.PMedian.from_cost_matrix(cost, w, 5))
    for method in ("highs", "auto"):
        assert p_median(w, cost, 5, method=method).objective == pytest.approx(expected, rel=MIP_REL_GAP)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("fixed", [(), (4,)])
def test_p_median_matches_brute_force(seed: int, fixed: tuple[int, ...]) -> None:
    w, cost = median_instance(seed)
    total = brute(subsets(7, 3, fixed), lambda x: float(w @ cost[:, x > 0].min(axis=1)), maximise=False)
    assert_exact(p_median(w, cost, 3, list(fixed), method="highs"), total)
    assert_heuristic_honest(p_median(w, cost, 3, list(fixed), method="heuristic"), total, maximise=False)
