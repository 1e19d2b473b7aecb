"""Tests for assessment.py: which K run, the best-case map, and the shape of the results document."""

from __future__ import annotations

import numpy as np
import pytest

from readiness.assessment import (
    RESULTS_FORMAT,
    START_TIMES,
    Assessment,
    by_start_time,
    minutes_to_nearest_armed_base,
    run_assessment,
    site_counts,
)
from readiness.config import portable_config
from readiness.engine import simulate
from readiness.kinds import ARMED
from readiness.model import Model
from readiness.model_checks import one_unit_config
from readiness.summary import summarise_sites
from tests.conftest import model_from

R, SEED = 40, 3
TWO_BASES = {"resources": {"units": [{"type": "arv", "base": "Bournville Lane", "count": 1},
                                     {"type": "arv", "base": "Wolverhampton (Bilston Street)", "count": 2},
                                     {"type": "response", "count": 3}]},
             "scenario": {"sites": [2, 1]}, "workload": {"enabled": False}}


@pytest.fixture(scope="module")
def model() -> Model:
    return model_from({**one_unit_config(), **TWO_BASES})


@pytest.fixture(scope="module")
def assessment(model: Model) -> Assessment:
    return run_assessment(model, replications=R, seed=SEED)


def test_site_counts(model: Model) -> None:
    assert site_counts(model) == [1, 2]
    named = model_from(one_unit_config(extra={"scenario": {"named_sites": ["E01009371", "E01009372", "E01009373"]}}))
    assert site_counts(named) == [3]


def test_minutes_to_nearest_armed_base_by_hand(model: Model) -> None:
    fleet, p = model.fleet, model.params
    armed = [u for u in range(fleet.n) if fleet.kind[u] == ARMED]
    assert len({fleet.position[u] for u in armed}) == 2
    nearest = np.min([model.blue_light_minutes[fleet.position[u]] for u in armed], axis=0)
    factor = model.blue_light_congestion[4 * 24 + 21]  # the default attack time, Fri 21:20
    expected = p["notify.median_min"] + factor * nearest
    np.testing.assert_allclose(minutes_to_nearest_armed_base(model), expected)


def test_no_armed_base_is_never_reached() -> None:
    unarmed = model_from({**one_unit_config(), "resources": {"units": [{"type": "response", "count": 2}]}})
    assert np.all(np.isinf(minutes_to_nearest_armed_base(unarmed)))


def test_results_document(model: Model, assessment: Assessment) -> None:
    results = assessment.results
    assert list(results) == ["format", "version", "seed", "replications", "area", "fleet", "config", "parameters",
                             "by_sites", "by_district"]  # no by_start_time: the workload model is off
    assert (results["format"], results["seed"], results["replications"]) == (RESULTS_FORMAT, SEED, R)
    assert results["area"] == {"name": model.area.name, "lsoas": model.area.n,
                               "residents": round(float(model.area.residents.sum()))}
    fleet = dict(results["fleet"])
    assert {row["kind"] for row in fleet.pop("deployment")} >= {"armed"}  # where units are (docs/results.md)
    assert fleet == {"armed_units": 3, "units": 6, "bases": list(model.fleet.base_names)}
    assert results["config"] == portable_config(model.config)
    assert results["parameters"] == model.params.as_records()
    assert [row["sites"] for row in results["by_sites"]] == [1, 2]
    assert sorted(assessment.outcomes) == [1, 2]
    assert assessment.outcomes[2].site.shape == (R, 2)


def test_by_sites_is_the_summary_of_each_k(model: Model, assessment: Assessment) -> None:
    horizon = model.params["horizon_min"]
    again = simulate(model, sites=2, replications=R, seed=SEED)
    assert assessment.results["by_sites"][1] == summarise_sites(again, horizon)


def test_by_district_counts_the_smallest_k(model: Model, assessment: Assessment) -> None:
    by_district = assessment.results["by_district"]
    assert by_district["sites"] == 1
    rows = by_district["rows"]
    assert sum(row["sites"] for row in rows) == R
    assert {row["district"] for row in rows} <= set(model.area.districts)
    assert [row["district"] for row in rows] == sorted(row["district"] for row in rows)


def test_same_seed_same_document(model: Model, assessment: Assessment) -> None:
    assert run_assessment(model, replications=R, seed=SEED).results == assessment.results
    assert run_assessment(model, replications=R, seed=SEED + 1).results["by_sites"] != assessment.results["by_sites"]


def test_by_start_time_rows(model: Model) -> None:
    assert START_TIMES[-1] == "Fri 21:20"
    times = ("Mon 04:00", "Fri 21:20")
    rows = by_start_time(model, replications=10, seed=SEED, times=times)
    assert [row["start"] for row in rows] == list(times)
    for row in rows:
        assert list(row) == ["start", "by_sites"]
        assert [entry["sites"] for entry in row["by_sites"]] == site_counts(model)


def test_workload_on_adds_by_start_time() -> None:
    model = model_from({**one_unit_config(), **TWO_BASES, "scenario": {"sites": [1]}, "workload": {"enabled": True}})
    results = run_assessment(model, replications=5, seed=SEED).results
    assert [row["start"] for row in results["by_start_time"]] == list(START_TIMES)
    assert all(len(row["by_sites"]) == 1 for row in results["by_start_time"])
