"""`readiness coverage`: outputs on the default, on a config that loads incident data, and reproducibility."""

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from readiness.cli import app

runner = CliRunner()
DATA = Path(__file__).parent / "data"


def coverage(out, *args):
    result = runner.invoke(app, ["coverage", *args, "--out", str(out), "--replications", "3", "--quiet"])
    assert result.exit_code == 0, result.output
    return json.loads((out / "results.json").read_text())


def test_coverage_on_the_default_writes_every_output(tmp_path):
    results = coverage(tmp_path / "a")
    for name in ("run.json", "report.html", "by_hour.csv", "utilisation.csv", "lsoa_coverage.csv",
                 "figures/coverage_by_hour.png", "figures/map_coverage_10_min.png"):
        assert (tmp_path / "a" / name).is_file(), name
    shares = results["coverage"]["share_within_min"]
    assert list(shares) == ["5", "10", "15", "20"]
    assert 0 <= shares["5"] <= shares["10"] <= shares["15"] <= shares["20"] <= 1
    assert len(results["coverage"]["by_hour"]) == 168
    assert "https://" not in (tmp_path / "a" / "report.html").read_text()
    again = coverage(tmp_path / "b")
    assert (tmp_path / "a" / "results.json").read_bytes() == (tmp_path / "b" / "results.json").read_bytes()
    assert again == results


def test_coverage_with_the_2011_incident_file(tmp_path):
    shutil.copy(DATA / "2011-02-west-midlands-street-sample.csv", tmp_path / "crimes.csv")
    (tmp_path / "config.yaml").write_text("workload:\n  incidents: crimes.csv\n")
    results = coverage(tmp_path / "out", str(tmp_path / "config.yaml"))
    demand = results["coverage"]["demand"]
    assert results["config"]["workload"]["incidents"] == "crimes.csv"
    assert demand != coverage(tmp_path / "default")["coverage"]["demand"]
