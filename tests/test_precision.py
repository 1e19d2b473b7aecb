"""The sequential rule: stops near the closed-form N, enforces its minimum, and matches a fixed run."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import numpy as np
import pytest
from typer.testing import CliRunner

from readiness.cli import app
from readiness.errors import ReadinessError
from readiness.precision import (
    SequentialRule,
    choose_replications,
    parse_precision,
    parse_replications,
    rule_from_options,
)
from readiness.report import dumps_results
from readiness.summary import Z95

runner = CliRunner()


def normal_source(mean: float, sigma: float, kind: str = "share"):
    """A metric with known variance; replication ``i`` always gets the same value (keyed by index)."""

    def source(first: int, count: int) -> dict[str, tuple[str, np.ndarray]]:
        values = np.array([np.random.default_rng([7, i]).normal(mean, sigma) for i in range(first, first + count)])
        return {"metric": (kind, values)}

    return source


def test_stops_close_to_the_closed_form_number_of_replications():
    sigma, half = 1.0, 0.05
    expected = (Z95 * sigma / half) ** 2  # about 1,537
    result = choose_replications(SequentialRule(parse_precision(str(half)), batch=10, minimum=20, maximum=10_000),
                                 normal_source(0.5, sigma))
    assert result.met and result.record["met"]
    assert abs(result.replications - expected) / expected < 0.1
    row = result.record["metrics"][0]
    assert row["half_width"] <= half and row["target_half_width"] == half


def test_relative_precision_uses_the_mean():
    sigma, mean = 5.0, 10.0
    expected = (Z95 * sigma / (0.05 * mean)) ** 2  # about 384
    result = choose_replications(SequentialRule(parse_precision("5%"), batch=5, minimum=10, maximum=10_000),
                                 normal_source(mean, sigma, kind="deaths"))
    assert result.met
    assert abs(result.replications - expected) / expected < 0.15
    assert result.record["targets"]["deaths"] == {"value": 0.05, "relative": True}


def test_minimum_is_enforced_against_a_lucky_first_batch():
    result = choose_replications(SequentialRule(parse_precision("0.01"), batch=100, minimum=450, maximum=1_000),
                                 normal_source(0.3, 0.0))
    assert result.met and result.replications == 500  # the first batch end at or after the minimum


def test_maximum_stops_an_unmet_target_and_says_so():
    result = choose_replications(SequentialRule(parse_precision("0.001"), batch=100, minimum=100, maximum=250),
                                 normal_source(0.3, 1.0))
    assert not result.met and result.replications == 250
    assert result.record["metrics"][0]["met"] is False


def test_metric_without_a_target_is_reported_but_does_not_decide():
    precision = parse_precision("0.05")
    assert set(precision.targets) == {"share"}  # a bare absolute number is a share

    def source(first: int, count: int) -> dict[str, tuple[str, np.ndarray]]:
        return {"s": ("share", np.zeros(count)), "d": ("deaths", np.arange(first, first + count, dtype=float))}

    result = choose_replications(SequentialRule(precision, batch=10, minimum=20, maximum=1_000), source)
    assert result.met and result.replications == 20
    assert result.record["metrics"][1]["met"] is None


def test_precision_forms():
    assert parse_precision("5%").targets["deaths"].relative
    both = parse_precision("share=0.01,deaths=0.5")
    assert both.targets["share"].value == 0.01 and both.targets["deaths"].value == 0.5


@pytest.mark.parametrize("text", ["0", "-0.1", "nan", "inf", "0%", "abc", "", "speed=0.1", "share=x"])
def test_bad_precision_is_a_user_error(text):
    with pytest.raises(ReadinessError, match="--precision"):
        parse_precision(text)


def test_bad_rule_options_are_user_errors():
    with pytest.raises(ReadinessError, match="below --min-replications"):
        rule_from_options(None, "0.01", minimum=500, maximum=100)
    with pytest.raises(ReadinessError, match="--batch"):
        rule_from_options(None, "0.01", batch=0)
    with pytest.raises(ReadinessError, match="needs --precision"):
        rule_from_options(None, None)
    with pytest.raises(ReadinessError, match="needs --replications auto"):
        rule_from_options(400, "0.01")
    for text in ("1", "many", "2.5"):
        with pytest.raises(ReadinessError, match="--replications"):
            parse_replications(text)
    assert parse_replications("auto") is None and parse_replications("400") == 400


@pytest.mark.parametrize("args", [["--precision", "0"], ["--precision", "nan"], ["--precision", "0.01",
                                  "--min-replications", "500", "--max-replications", "100"]])
def test_cli_bad_precision_is_one_line_exit_2(tmp_path, args):
    result = runner.invoke(app, ["assess", "--out", str(tmp_path), "--replications", "auto", *args, "--quiet"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "error" in result.output


def test_stopping_at_n_gives_the_numbers_of_a_fixed_run_of_n(tmp_path):
    config = tmp_path / "small.yaml"
    config.write_text("scenario:\n  sites: [1, 2]\n")
    auto, fixed = tmp_path / "auto", tmp_path / "fixed"
    result = runner.invoke(app, ["assess", str(config), "--out", str(auto), "--replications", "auto",
                                 "--precision", "0.03", "--min-replications", "200", "--batch", "100", "--quiet"])
    assert result.exit_code == 0, result.output
    chosen = json.loads((auto / "results.json").read_text())
    record = chosen.pop("precision")
    assert record["met"] and record["replications"] >= 200 and record["batch_size"] == 100
    assert all(row["half_width"] <= 0.03 for row in record["metrics"] if row["kind"] == "share")
    result = runner.invoke(app, ["assess", str(config), "--out", str(fixed), "--replications",
                                 str(record["replications"]), "--quiet"])
    assert result.exit_code == 0, result.output
    assert dumps_results(chosen) == (fixed / "results.json").read_text()
    schema = json.loads((resources.files("readiness") / "schemas" / "assessment.schema.json").read_text())
    jsonschema.validate({**chosen, "precision": record}, schema)
    html = (auto / "report.html").read_text()
    assert "sequential rule, batch size 100" in html and "rule: sequential rule: batches of 100" in html
    assert "Warm-up: each attack starts after 24.0 hours" in html and "readiness warmup" in html


@pytest.mark.slow
def test_compare_auto_targets_paired_differences_and_matches_a_fixed_run(tmp_path):
    options = tmp_path / "options.yaml"
    options.write_text("options:\n  - name: more\n    add_units: [{type: arv, base: Stechford, count: 1}]\n")
    auto, fixed = tmp_path / "auto", tmp_path / "fixed"
    result = runner.invoke(app, ["compare", str(options), "--out", str(auto), "--replications", "auto",
                                 "--precision", "0.03", "--min-replications", "100", "--batch", "50", "--quiet"])
    assert result.exit_code == 0, result.output
    chosen = json.loads((auto / "results.json").read_text())
    record = chosen.pop("precision")
    assert record["met"] and {row["metric"] for row in record["metrics"]} >= {
        "more - baseline, K=3 share_sites_waiting_over_10_min", "more - baseline, K=3 deaths_per_attack"}
    result = runner.invoke(app, ["compare", str(options), "--out", str(fixed), "--replications",
                                 str(record["replications"]), "--quiet"])
    assert result.exit_code == 0, result.output
    assert dumps_results(chosen) == (fixed / "results.json").read_text()


def test_coverage_auto_stops_at_the_first_batch_that_holds_and_matches_a_fixed_run(tmp_path):
    auto, fixed = tmp_path / "auto", tmp_path / "fixed"
    result = runner.invoke(app, ["coverage", "--out", str(auto), "--replications", "auto", "--precision", "0.02",
                                 "--min-replications", "4", "--batch", "2", "--quiet"])
    assert result.exit_code == 0, result.output
    chosen = json.loads((auto / "results.json").read_text())
    record = chosen.pop("precision")
    [row] = record["metrics"]
    assert row["metric"] == "share_residents_within_10_min" and record["replications"] >= 4
    assert record["met"] == (row["half_width"] <= 0.02)
    assert row["mean"] == pytest.approx(chosen["coverage"]["share_within_min"]["10"], abs=1e-6)  # rounded
    result = runner.invoke(app, ["coverage", "--out", str(fixed), "--replications", str(record["replications"]),
                                 "--quiet"])
    assert result.exit_code == 0, result.output
    assert dumps_results(chosen) == (fixed / "results.json").read_text()
