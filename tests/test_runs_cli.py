"""Tests for runs_cli.py: record_outputs (on, off, quiet, nested replications) and what `runs list` prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from readiness.runs_cli import record_outputs, runs_app
from readiness.store import ENV_VAR, open_store

runner = CliRunner()
RESULTS = {"format": "readiness.assessment/1", "version": "0.1.0", "seed": 7, "replications": 12,
           "area": {"name": "Test Force"}, "config": {"scenario": {"sites": [1, 3]}}, "parameters": [],
           "by_sites": [{"sites": 3, "share_sites_waiting_over_10_min": {"value": 0.75, "ci95": [0.7, 0.8]}},
                        {"sites": 1, "share_sites_waiting_over_10_min": {"value": 0.25, "ci95": [0.2, 0.3]}}]}
RUN = {"command": "assess", "seconds": 1.5, "simulate_seconds": 1.2, "argv": ["x"], "software": {"python": "3.11"}}


def _outputs(tmp_path: Path) -> tuple[Path, list[Path]]:
    out = tmp_path / "out"
    (out / "figures").mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(RESULTS), encoding="utf-8")
    (out / "figures" / "a.png").write_bytes(b"\x89PNG")
    return out, [out / "results.json", out / "figures" / "a.png"]


def _record(tmp_path: Path, store: Path | None, *, no_store: bool = False, quiet: bool = False,
            results: dict = RESULTS) -> str | None:
    out, files = _outputs(tmp_path)
    return record_outputs(store, no_store, command="assess", out=out, results=results, run=RUN, files=files,
                          quiet=quiet)


def test_no_store_records_nothing_and_returns_none(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _record(tmp_path, tmp_path / "runs.duckdb", no_store=True) is None
    assert not (tmp_path / "runs.duckdb").exists()
    assert capsys.readouterr().err == ""


def test_record_keeps_the_run_and_says_where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "runs.duckdb"
    run_id = _record(tmp_path, store)
    assert run_id is not None
    assert " ".join(capsys.readouterr().err.split()) == f"recorded run {run_id} in {store}"  # rich may wrap
    shown = open_store(store).show(run_id)
    assert (shown["command"], shown["seed"], shown["replications"], shown["area"]) == ("assess", 7, 12, "Test Force")
    assert shown["timings"] == {"seconds": 1.5, "simulate_seconds": 1.2}
    assert shown["files"] == [{"path": "figures/a.png", "bytes": 4},
                              {"path": "results.json", "bytes": len(json.dumps(RESULTS))}]
    assert shown["headline"] == 0.25  # the smallest K


def test_quiet_records_without_printing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _record(tmp_path, tmp_path / "runs.duckdb", quiet=True) is not None
    assert capsys.readouterr().err == ""


def test_default_store_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env.duckdb"))
    run_id = _record(tmp_path, None, quiet=True)
    assert [run.id for run in open_store(tmp_path / "env.duckdb").list()] == [run_id]


def test_replications_of_an_optimise_with_assess(tmp_path: Path) -> None:
    results = {"format": "readiness.optimise-test/1", "seed": 1, "config": {}, "assessment": {"replications": 9}}
    run_id = _record(tmp_path, tmp_path / "runs.duckdb", quiet=True, results=results)
    assert open_store(tmp_path / "runs.duckdb").show(run_id)["replications"] == 9


def test_runs_list_prints_the_headline(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    with_headline = _record(tmp_path, store, quiet=True)
    without = _record(tmp_path, store, quiet=True, results={"format": "other/1", "seed": None, "config": {}})
    result = runner.invoke(runs_app, ["list", "--store", str(store)])
    assert result.exit_code == 0, result.output
    lines = {line.split()[1]: line for line in result.stdout.splitlines() if with_headline in line or without in line}
    assert "0.250 (share of sites waiting > 10 min, K=1)" in lines[with_headline]
    assert "Test Force" in lines[with_headline] and " 12 " in lines[with_headline]
    assert "share of" not in lines[without]
    assert "2 run(s)" in result.stdout


def test_runs_list_json_and_command_filter(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    run_id = _record(tmp_path, store, quiet=True)
    listed = json.loads(runner.invoke(runs_app, ["list", "--json", "--store", str(store)]).stdout)
    assert [(r["id"], r["headline"], r["headline_label"]) for r in listed] == [
        (run_id, 0.25, "share of sites waiting > 10 min, K=1")]
    other = json.loads(runner.invoke(runs_app, ["list", "--json", "--command", "compare", "--store", str(store)]).stdout)
    assert other == []


def test_runs_diff_marks_changes(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    first = _record(tmp_path, store, quiet=True)
    second = _record(tmp_path, store, quiet=True, results={**RESULTS, "seed": 8})
    result = runner.invoke(runs_app, ["diff", first, second, "--changed", "--store", str(store)])
    assert result.exit_code == 0, result.output
    changed = [line.split() for line in result.stdout.splitlines()]
    assert changed and all(line[0] == "*" for line in changed)
    assert ["*", "run", "seed", "7", "8"] in changed


def test_an_unknown_run_is_a_one_line_error(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    _record(tmp_path, store, quiet=True)
    result = runner.invoke(runs_app, ["show", "zzzz", "--store", str(store)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
