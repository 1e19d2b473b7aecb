"""`readiness coverage`: run_coverage's results document, and the command's outputs (default, incident data)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from readiness.cli import app
from readiness.coverage import RESULTS_FORMAT, run_coverage
from readiness.report import dumps_results

runner = CliRunner()
DATA = Path(__file__).parent / "data"


def coverage(out, *args):
    result = runner.invoke(app, ["coverage", *args, "--out", str(out), "--replications", "3", "--quiet"])
    assert result.exit_code == 0, result.output
    return json.loads((out / "results.json").read_text())


def test_run_coverage_builds_a_reproducible_results_document(default_model):
    result = run_coverage(default_model, seed=7, replications=2)
    results = result.results
    assert results["format"] == RESULTS_FORMAT and results["replications"] == 2 and results["seed"] == 7
    assert results["coverage"] is result.coverage
    shares = result.coverage["share_within_min"]
    assert list(shares) == ["5", "10", "15", "20"]
    assert 0 <= shares["5"] <= shares["10"] <= shares["15"] <= shares["20"] <= 1
    assert len(result.coverage["by_hour"]) == 168
    # the weekly share within 10 min is the residents' average of the per-LSOA probability of the same instants
    residents = default_model.area.residents / default_model.area.residents.sum()
    assert result.reached_10.shape == (default_model.area.n,)
    assert shares["10"] == pytest.approx(float(residents @ result.reached_10), abs=1e-9)
    again = run_coverage(default_model, seed=7, replications=2)
    assert dumps_results(again.results) == dumps_results(results)
    np.testing.assert_array_equal(again.reached_10, result.reached_10)


def test_the_command_writes_every_output_of_run_coverage(tmp_path, default_model):
    results = coverage(tmp_path / "a")
    for name in ("run.json", "report.html", "by_hour.csv", "utilisation.csv", "lsoa_coverage.csv",
                 "figures/coverage_by_hour.png", "figures/map_coverage_10_min.png", "figures/utilisation.png"):
        assert (tmp_path / "a" / name).is_file(), name
    assert "https://" not in (tmp_path / "a" / "report.html").read_text()
    expected = run_coverage(default_model, seed=2015, replications=3).results
    assert (tmp_path / "a" / "results.json").read_text() == dumps_results(expected)
    assert results == json.loads(dumps_results(expected))


def test_coverage_with_the_2011_incident_file(tmp_path):
    shutil.copy(DATA / "2011-02-west-midlands-street-sample.csv", tmp_path / "crimes.csv")
    (tmp_path / "config.yaml").write_text("workload:\n  incidents: crimes.csv\n")
    results = coverage(tmp_path / "out", str(tmp_path / "config.yaml"))
    demand = results["coverage"]["demand"]
    assert results["config"]["workload"]["incidents"] == "crimes.csv"
    assert demand != coverage(tmp_path / "default")["coverage"]["demand"]
