"""Engine against the SimPy reference: the two implementations of docs/model.md agree statistically."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields

import numpy as np
import pytest
from conftest import model_from

from readiness.engine import simulate
from readiness.model import Model
from readiness.reference import simulate_reference

REPLICATIONS = 3000
HORIZON = 120.0


def _metrics(out: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-replication quantities (one column per site) whose means both implementations must share."""
    return {
        "waits over 10 min": (out["t_first_armed"] > 10.0).astype(float),
        "waits over 20 min": (out["t_first_armed"] > 20.0).astype(float),
        "not reached": np.isinf(out["t_first_armed"]).astype(float),
        "time to first armed (censored)": np.minimum(out["t_first_armed"], HORIZON),
        "time to enough armed (censored)": np.minimum(out["t_enough_armed"], HORIZON),
        "time to resolution (censored)": np.minimum(out["t_resolved"], HORIZON),
        "time to first unarmed (censored)": np.minimum(out["t_first_unarmed"], HORIZON),
        "expected deaths": out["expected_deaths"],
        "static share": out["static"].astype(float),
        "attackers": out["attackers"].astype(float),
    }


def _assert_same_means(engine: dict[str, np.ndarray], reference: dict[str, np.ndarray]) -> None:
    """Means per site agree within 4 combined standard errors (plus a hair for exact-zero variance)."""
    problems = []
    for name, a in engine.items():
        b = reference[name]
        se = np.sqrt(a.var(axis=0) / len(a) + b.var(axis=0) / len(b))
        gap = np.abs(a.mean(axis=0) - b.mean(axis=0))
        if np.any(gap > 4.0 * se + 1e-9):
            problems.append(f"{name}: engine {a.mean(axis=0).round(3)}, reference {b.mean(axis=0).round(3)}")
    assert not problems, "; ".join(problems)


# A thin fleet under pressure: re-tasking, sieges, the regional team and mutual aid all matter.
STRESSED = {"parameters": {"arv.on_duty": 3, "dispatch.scene_clear_min": 5.0, "harm.siege_probability": 0.6,
                           "mutual_aid.threshold_sites": 1, "response.on_duty": 10}}


def _compare(model: Model, sites: int) -> None:
    assert model.params["horizon_min"] == HORIZON
    fast = simulate(model, sites=sites, replications=REPLICATIONS, seed=11)
    slow = simulate_reference(model, sites=sites, replications=REPLICATIONS, seed=12)
    engine = _metrics({f.name: getattr(fast, f.name) for f in fields(fast)})
    _assert_same_means(engine, _metrics(slow))


@pytest.mark.slow
@pytest.mark.parametrize("sites", [1, 3, 5])
def test_engine_matches_reference_on_the_default_model(default_model: Model, sites: int) -> None:
    _compare(default_model, sites)


@pytest.mark.slow
def test_engine_matches_reference_with_a_thin_fleet() -> None:
    _compare(model_from(STRESSED), 6)
