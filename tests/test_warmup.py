"""MSER-5 finds a known transient, and ``readiness warmup`` writes its chart and recommendation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from readiness.cli import app
from readiness.config import config_from_mapping
from readiness.errors import ReadinessError
from readiness.model import build_model
from readiness.warmup import mser, warmup_analysis

runner = CliRunner()


def test_mser5_finds_a_step_transient():
    noise = np.random.default_rng(1).normal(0.0, 0.5, 1000)
    series = np.where(np.arange(1000) < 100, 0.0, 10.0) + noise
    assert 100 <= mser(series) <= 105  # the batch of five that holds the step's end


def test_mser5_cuts_an_exponential_transient_where_it_falls_below_the_noise():
    t = np.arange(2000)
    series = 10.0 * (1.0 - np.exp(-t / 30.0)) + np.random.default_rng(2).normal(0.0, 0.2, len(t))
    cut = mser(series)
    assert 30 < cut < 250  # bias 10 e^{-t/30} is below the noise (0.2) from t = 117


def test_mser5_needs_two_batches():
    with pytest.raises(ReadinessError, match="MSER-5"):
        mser(np.ones(9))


def test_warmup_needs_the_workload_model():
    model = build_model(config_from_mapping({"workload": {"enabled": False}}))
    with pytest.raises(ReadinessError, match="workload.enabled"):
        warmup_analysis(model, seed=1, replications=2, hours=1.0, step_min=5.0)


def test_warmup_command_writes_its_chart_and_recommendation(tmp_path):
    result = runner.invoke(app, ["warmup", "--out", str(tmp_path), "--replications", "4", "--hours", "4",
                                 "--step", "10", "--quiet"])
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["format"] == "readiness.warmup/1"
    assert results["configured_warmup_hours"] == 24.0
    assert results["recommended_warmup_hours"] >= results["mser"]["arvs_busy"]["hours"]
    assert results["configured_is_enough"] == (24.0 >= results["recommended_warmup_hours"])
    series = (tmp_path / "warmup_series.csv").read_text().splitlines()
    assert len(series) == 1 + 24 and series[0].startswith("hours_since_empty_start,arvs_busy_mean")
    first_busy = float(series[1].split(",")[1])
    assert first_busy < float(results["mser"]["arvs_busy"]["mean_after"])  # empty start: fewer busy at first
    assert (tmp_path / "figures" / "warmup.png").stat().st_size > 1000
    html = (tmp_path / "report.html").read_text()
    assert "Recommended warm-up" in html and "MSER-5" in html
    assert json.loads((tmp_path / "run.json").read_text())["command"] == "warmup"


def test_warmup_bad_step_is_one_line_exit_2(tmp_path):
    result = runner.invoke(app, ["warmup", "--out", str(tmp_path), "--step", "nan", "--quiet"])
    assert result.exit_code == 2 and "--step" in result.output
