"""Shared location machinery (readiness.locate.base): the plan, and the checks every model runs on its inputs."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import numpy as np
import pytest
from locate_helpers import random_instance

from readiness.errors import ConfigError, InfeasibleError
from readiness.locate.center import p_center
from readiness.locate.coverage import backup_coverage, lscp, mclp, mexclp
from readiness.locate.fleet_mix import fleet_mix
from readiness.locate.median import p_median


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

