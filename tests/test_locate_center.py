"""p-center (readiness.locate.center) against spopt and brute force, exact bisection and heuristic."""

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

from readiness.locate.center import p_center

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pulp.*")


@pytest.mark.parametrize("fixed", [None, [5]])
def test_p_center_matches_spopt_small(spopt_locate, fixed: list[int] | None) -> None:
    _, cost = calibrated_instance(40, seed=2)
    expected = spopt_objective(spopt_locate.PCenter.from_cost_matrix(cost, 3, predefined(40, fixed)))
    plan = p_center(cost, 3, fixed)
    assert plan.objective == pytest.approx(expected, rel=1e-6)  # CBC's solution file rounds
    assert plan.objective == pytest.approx(cost[:, plan.sites].min(axis=1).max())


@pytest.mark.slow
def test_p_center_100_matches_spopt(spopt_locate) -> None:
    # CBC needs about 35 s at 100 points, 300 s at 150 and over 10 minutes at 300, so 100 it is.
    _, cost = calibrated_instance(100, seed=4)
    expected = spopt_objective(spopt_locate.PCenter.from_cost_matrix(cost, 5))
    assert p_center(cost, 5).objective == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("fixed", [(), (4,)])
def test_p_center_matches_brute_force(seed: int, fixed: tuple[int, ...]) -> None:
    _, cost = median_instance(seed)
    longest = brute(subsets(7, 3, fixed), lambda x: float(cost[:, x > 0].min(axis=1).max()), maximise=False)
    assert_exact(p_center(cost, 3, list(fixed), method="highs"), longest)
    assert_heuristic_honest(p_center(cost, 3, list(fixed), method="heuristic"), longest, maximise=False)
