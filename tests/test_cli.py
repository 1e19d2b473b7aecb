"""Command line: outputs, byte-identical results for the same seed, and one-line errors for user mistakes."""

import json
import subprocess
import sys
from importlib import resources

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from readiness.cli import app

runner = CliRunner()


def assess(tmp_path, name: str, *args: str):
    out = tmp_path / name
    result = runner.invoke(app, ["assess", *args, "--out", str(out), "--replications", "400", "--quiet"])
    return result, out


def test_assess_writes_every_output_and_a_valid_results_file(tmp_path):
    result, out = assess(tmp_path, "a", "--sites", "1,3")
    assert result.exit_code == 0, result.output
    for name in ("results.json", "run.json", "report.html", "by_sites.csv", "by_district.csv", "parameters.csv",
                 "lsoa_minutes.csv", "figures/headline.png", "figures/map_minutes_to_first_armed.png"):
        assert (out / name).is_file(), name
    results = json.loads((out / "results.json").read_text())
    schema = json.loads((resources.files("readiness") / "schemas" / "assessment.schema.json").read_text())
    jsonschema.validate(results, schema)
    assert [row["sites"] for row in results["by_sites"]] == [1, 3]
    assert {p["name"] for p in results["parameters"]} >= {"arv.on_duty", "travel.emergency_factor"}
    html = (out / "report.html").read_text()
    assert "http://" not in html and "https://" not in html  # opens offline: nothing remote
    assert "assumption" in html and "data:image/png;base64," in html


def test_same_seed_gives_a_byte_identical_results_file(tmp_path):
    first = assess(tmp_path, "one", "--sites", "2", "--seed", "7")[1]
    second = assess(tmp_path, "two", "--sites", "2", "--seed", "7")[1]
    other = assess(tmp_path, "three", "--sites", "2", "--seed", "8")[1]
    assert (first / "results.json").read_bytes() == (second / "results.json").read_bytes()
    assert (first / "results.json").read_bytes() != (other / "results.json").read_bytes()
    assert str(tmp_path) not in (first / "results.json").read_text()  # no paths in results


def test_config_default_round_trips_through_validate(tmp_path):
    result = runner.invoke(app, ["config", "default"])
    assert result.exit_code == 0
    config = yaml.safe_load(result.output)
    assert len(config["resources"]["bases"]) == 8
    # config settings, not registry numbers
    assert config["dispatch"] == {"doctrine": "confront", "posts": "stay", "move_up": False}
    assert {"doctrine.stop_probability", "doctrine.engagement_delay_min"} <= set(config["parameters"])
    path = tmp_path / "default.yaml"
    path.write_text(result.output)
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 0


@pytest.mark.parametrize(("content", "expected"), [
    ("scenario:\n  sits: [1]\n", "scenario.sits"),
    ("scenario:\n  sites: [0]\n", "scenario.sites"),
    ("resources:\n  units:\n    - {type: arv, base: Bloxwich, count: -1}\n", "count"),
    ("resources:\n  units:\n    - {type: arv, base: Nowhere, count: 1}\n", "Nowhere"),
    ("resources:\n  units:\n    - {type: tank, base: Bloxwich, count: 1}\n", "tank"),
    (("resources:\n  bases:\n    - {name: Paris, x: 2.35, y: 48.85, crs: 'EPSG:4326'}\n"
      "  units:\n    - {type: arv, base: Paris, count: 1}\n"), "outside"),
    ("scenario:\n  named_sites: [E99999999]\n", "E99999999"),
    ("parameters:\n  arv.crew: two\n", "arv.crew"),
    ("parameters:\n  no.such: 1\n", "no.such"),
    ("dispatch:\n  doctrine: charge\n", "dispatch.doctrine"),
    ("resources:\n  armed_posts: {sites: [E99999999], hours: '18:00-02:00'}\n", "armed_posts.sites[0]"),
    ("resources:\n  armed_posts: {top: 3, hours: '18:00 till late'}\n", "armed_posts.hours"),
    ("area:\n  file: missing.gpkg\n", "missing.gpkg"),
    ("[unclosed", "YAML"),
])
def test_bad_config_gives_one_clear_line_and_status_2(tmp_path, content, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    result = subprocess.run([sys.executable, "-m", "readiness", "validate", str(path)], capture_output=True, check=False,
                            text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert expected in result.stderr
    assert "bad.yaml" in result.stderr or expected.endswith(".gpkg")  # a missing data file names itself


def test_bad_sites_option_is_a_user_error(tmp_path):
    result, _ = assess(tmp_path, "x", "--sites", "two")
    assert result.exit_code == 2
