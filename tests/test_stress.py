"""STRESS-DES: the checklist is filled from the run's results, and every command's HTML report carries it."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest
from typer.testing import CliRunner

from readiness.cli import app
from readiness.config import default_config, portable_config
from readiness.registry import Parameters
from readiness.report import render_html, software_versions
from readiness.stress import stress_des

runner = CliRunner()
ITEMS = ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "2.5", "3.1", "3.2", "3.3", "3.4", "4.1", "4.2", "4.3",
         "5.1", "5.2", "5.3", "5.4", "6.1"]


def _document(**extra: object) -> dict:
    config = portable_config(default_config())
    return {"format": "readiness.assessment/1", "version": "9.9.9", "seed": 41, "replications": 123,
            "area": {"name": "Testshire", "lsoas": 7, "residents": 1234},
            "config": config, "parameters": Parameters({"arv.on_duty": 5}).as_records(),
            "by_sites": [{"sites": 1, "victims": {}}, {"sites": 4, "victims": {}}], **extra}


def _items(sections) -> dict[str, str]:
    return {item.id: item.text for section in sections for item in section.items}


def test_every_checklist_item_is_filled_from_the_document() -> None:
    items = _items(stress_des(_document(), {"python": "3.11.0", "numpy": "1.2.3"}))
    assert list(items) == ITEMS
    assert "Testshire" in items["1.1"] and "K = 1, 4" in items["1.3"]
    assert "by_sites (sites, victims)" in items["1.2"]
    assert "dispatch.doctrine = confront" in items["2.2"] and "horizon 120 minutes" in items["2.2"]
    assert "7 LSOAs" in items["3.1"] and "1,234 residents" in items["3.1"]
    assert "1 overridden by the configuration: arv.on_duty" in items["3.3"]
    assert "after 24.0 hours" in items["4.1"]
    assert "123 replications" in items["4.3"] and "seed 41" in items["4.3"] and "common random numbers" in items["4.3"]
    assert items["5.1"] == "python 3.11.0, numpy 1.2.3."
    assert "Readiness 9.9.9" in items["6.1"]


def test_the_checklist_follows_the_run_not_fixed_text() -> None:
    document = _document(precision={"precision": "share=0.01", "batch_size": 50, "rule": "r", "replications": 700,
                                    "met": False})
    document["config"]["workload"]["enabled"] = False
    items = _items(stress_des(document, {}))
    assert "No warm-up" in items["4.1"]
    assert "batch size 50" in items["4.3"] and "700 replications were run" in items["4.3"] and "not met" in items["4.3"]
    bare = _items(stress_des({"format": "readiness.harm_fit/1", "seed": 0, "source": "attacks.csv"}, {}))
    assert list(bare) == ITEMS and "attack table attacks.csv" in bare["3.1"]


def test_render_html_adds_the_section_to_any_template_given_results() -> None:
    document = _document(subset="ci", checks=[], summary={"checks": 0, "pass": 0, "fail": 0, "skip": 0})
    html = render_html("validate_model.html.j2", results=document, parameters=[], figures=[])
    assert 'id="stress-des"' in html and "seed 41" in html
    assert f"numpy {software_versions()['numpy']}" in html


def _stress_text(out: Path) -> str:
    """The STRESS-DES section of a report as plain text."""
    html = (out / "report.html").read_text()
    section = html[html.index('id="stress-des"'):]
    return unescape(re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", section)))


def _assert_run_values(out: Path) -> None:
    """The section holds the run's own seed, replications, format and package version."""
    results = json.loads((out / "results.json").read_text())
    text = _stress_text(out)
    assert f"results format {results['format']}" in text
    if "seed" in results:
        assert f"seed {results['seed']}" in text
    if "replications" in results:
        assert f"{results['replications']} replications" in text
    assert f"readiness {software_versions()['readiness']}" in text
    assert all(f" {item} " in text for item in ITEMS)


@pytest.mark.parametrize("command", [
    ["assess", "--sites", "1", "--replications", "60", "--seed", "17"],
    ["coverage", "--replications", "2", "--seed", "18"],
    ["exposure", "--at", "Sat 14:00"],
    ["optimise", "--model", "mclp", "--within", "15"],
])
def test_each_command_report_has_the_section_with_its_run_values(tmp_path: Path, command: list[str]) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, [*command, "--out", str(out), "--quiet", "--no-store"])
    assert result.exit_code == 0, result.output
    _assert_run_values(out)


@pytest.mark.slow
def test_compare_report_has_the_section_with_its_options(tmp_path: Path) -> None:
    path = tmp_path / "options.yaml"
    path.write_text("options:\n  - name: more\n    add_units: [{type: arv, base: Stechford, count: 1}]\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["compare", str(path), "--out", str(out), "--replications", "60", "--quiet",
                                 "--no-store"])
    assert result.exit_code == 0, result.output
    _assert_run_values(out)
    assert "options: " in _stress_text(out) and "more" in _stress_text(out)
