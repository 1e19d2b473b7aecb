"""Fleet mix (readiness.locate.fleet_mix): unit types and bases for a budget, against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from locate_helpers import assert_exact

from readiness.locate.fleet_mix import fleet_mix


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
