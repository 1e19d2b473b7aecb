"""The run store: record, list, show, diff, export, delete; two writers; migration from schema 1; bad stores."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import readiness
from readiness.cli import app
from readiness.errors import StoreError
from readiness.store import ENV_VAR, SCHEMA_VERSION, RunStore, default_store_path, headline, long_rows

runner = CliRunner()

# The first schema as version 1 of Readiness wrote it, spelled out here (not imported) so a later edit of the
# module's constants cannot silently change what "a store written by an older version" means.
FIRST_SCHEMA = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE runs (id VARCHAR PRIMARY KEY, created_at TIMESTAMP, command VARCHAR, seed BIGINT,
                   replications BIGINT, config_json VARCHAR, results_json VARCHAR, out_dir VARCHAR);
CREATE TABLE files (run_id VARCHAR, path VARCHAR, content BLOB, PRIMARY KEY (run_id, path));
INSERT INTO meta VALUES ('schema_version', '1');
"""


def _by_sites(k: int, share: float) -> dict:
    return {"sites": k, "time_to_first_armed_min": {"mean": 10.0 + k, "ci95": [9.0 + k, 11.0 + k], "p50": 10.0,
                                                    "p90": None},
            "share_sites_waiting_over_10_min": {"value": share, "ci95": [share - 0.1, share + 0.1]},
            "sites_not_reached": 2 * k}


def assessment_doc(*, seed: int = 1, share: float = 0.5, speed: float = 1.0) -> dict:
    """A small assessment/1 document: K = 1 and 3, one start time; 9 long-form rows per K row."""
    return {"format": "readiness.assessment/1", "version": "0.1.0", "seed": seed, "replications": 10,
            "area": {"name": "Test Force", "lsoas": 3}, "config": {"parameters": {"travel.speed": speed}},
            "parameters": [], "by_sites": [_by_sites(3, share + 0.2), _by_sites(1, share)],
            "by_start_time": [{"start": "Fri 03:00", "by_sites": [_by_sites(1, share)]}]}


def record(store: RunStore, results: dict, files: dict[str, bytes] | None = None, command: str = "assess") -> str:
    return store.record(command=command, config=results["config"], seed=results["seed"],
                        replications=results["replications"], software={"python": "3.11"}, timings={"seconds": 1.0},
                        out_dir=Path("out"), results=results, run={"command": command},
                        files=files if files is not None else {"results.json": json.dumps(results).encode()})


def test_long_rows_of_an_assessment_one_per_metric_statistic_k_and_start() -> None:
    rows = long_rows(assessment_doc(share=0.5))
    assert len(rows) == 3 * 9  # (K=3, K=1, K=1 at Fri 03:00) x (5 + 3 + 1 statistics)
    keyed = {(option, k, start, metric, statistic): value for _, option, k, start, metric, statistic, value in rows}
    assert keyed[(None, 1, None, "share_sites_waiting_over_10_min", "value")] == 0.5
    assert keyed[(None, 3, None, "time_to_first_armed_min", "ci95_high")] == 14.0
    assert keyed[(None, 1, "Fri 03:00", "sites_not_reached", "value")] == 2.0
    assert keyed[(None, 3, None, "time_to_first_armed_min", "p90")] is None  # null stays null, never 0
    assert {row[0] for row in rows} == {"Test Force"}


def test_headline_of_each_format() -> None:
    assert headline(assessment_doc(share=0.4))[0] == 0.4  # smallest K, although listed second
    coverage = {"format": "readiness.coverage/1", "coverage": {"share_within_min": {"5": 0.1, "10": 0.3}}}
    assert headline(coverage)[0] == 0.3
    vfm = [{"option": name, "sites": k, "deaths_averted_per_attack": {"mean": mean, "ci95": [0, 1]}}
           for name, k, mean in (("a", 3, 1.5), ("b", 3, 2.5), ("c", 1, 9.0))]
    value, label = headline({"format": "readiness.compare/1", "reference_sites": 3, "value_for_money": vfm})
    assert (value, label) == (2.5, "deaths averted per attack, b, K=3")
    optimise = {"format": "readiness.optimise/1", "request": {"within_min": 10.0},
                "plan": {"share_weight_within_standard": 0.56}}
    assert headline(optimise) == (0.56, "share of demand within 10 min")


def test_record_list_show_diff_delete(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.duckdb")
    first = record(store, assessment_doc(seed=1, share=0.5, speed=1.0))
    second = record(store, assessment_doc(seed=2, share=0.6, speed=1.2), command="compare")
    assert [run.id for run in store.list()] == [second, first]
    assert [run.id for run in store.list(command="assess")] == [first]
    assert [run.id for run in store.list(limit=1)] == [second]
    shown = store.show(first[:5])  # a unique start of an id is enough
    assert shown["id"] == first and shown["seed"] == 1 and shown["config"] == {"parameters": {"travel.speed": 1.0}}
    assert shown["result_rows"] == 27 and shown["files"][0]["path"] == "results.json"
    changed = {(row.section, row.key) for row in store.diff(first, second) if row.changed}
    assert ("config", "parameters.travel.speed") in changed
    assert ("results", "Test Force | K=1 | share_sites_waiting_over_10_min.value") in changed
    assert ("results", "Test Force | K=3 | time_to_first_armed_min.mean") not in changed  # same in both
    assert {("run", "seed"), ("run", "command"), ("run", "parameter_set")} <= changed
    assert store.delete(first) == first
    assert [run.id for run in store.list()] == [second]
    with pytest.raises(StoreError, match="no run"):
        store.show(first)
    assert store.schema_version() == SCHEMA_VERSION


def test_migration_from_the_first_schema_keeps_and_derives_everything(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    doc = assessment_doc(seed=7, share=0.25)
    con = duckdb.connect(str(path))
    con.execute(FIRST_SCHEMA)
    con.execute("INSERT INTO runs VALUES ('0ld1d000', TIMESTAMP '2026-01-02 03:04:05', 'assess', 7, 10, ?, ?, '/x')",
                [json.dumps(doc["config"]), json.dumps(doc)])
    con.execute("INSERT INTO files VALUES ('0ld1d000', 'results.json', ?)", [b"\x00old bytes\xff"])
    con.close()
    store = RunStore(path)
    [run] = store.list()
    assert (run.id, run.created_at, run.command, run.seed, run.replications) == (
        "0ld1d000", "2026-01-02T03:04:05Z", "assess", 7, 10)
    assert (run.area, run.headline) == ("Test Force", 0.25)  # derived from the stored results, not guessed
    assert len(store.result_rows("0ld1d000")) == len(long_rows(doc))
    assert store.files("0ld1d000") == {"results.json": b"\x00old bytes\xff"}
    assert store.show("0ld1d000")["software"] is None  # schema 1 did not keep it: unknown, not invented
    assert store.schema_version() == SCHEMA_VERSION
    new = record(store, assessment_doc())  # the migrated store takes new runs
    assert {r.id for r in store.list()} == {"0ld1d000", new}


def test_a_store_from_a_newer_version_or_not_a_store_is_refused(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.duckdb")
    record(store, assessment_doc())
    con = duckdb.connect(str(store.path))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    con.close()
    with pytest.raises(StoreError, match="newer Readiness"):
        store.list()
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).execute("CREATE TABLE t (x INTEGER)").close()
    with pytest.raises(StoreError, match="not a Readiness run store"):
        RunStore(other).list()


WRITER = """
import json, sys
from pathlib import Path
from readiness.store import RunStore
store = RunStore(Path(sys.argv[1]))
for i in range(10):
    doc = {"format": "readiness.assessment/1", "seed": i, "replications": 2, "area": {"name": sys.argv[2]},
           "config": {}, "by_sites": [{"sites": 1, "share_sites_waiting_over_10_min": {"value": i / 10}}]}
    store.record(command="assess", config={}, seed=i, replications=2, software={}, timings={}, out_dir=Path("."),
                 results=doc, run={}, files={"results.json": (sys.argv[2] + str(i)).encode() * 5000})
"""


def test_two_processes_recording_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    env = {**os.environ, "PYTHONPATH": str(Path(readiness.__file__).parents[1])}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name], env=env, stderr=subprocess.PIPE)
               for name in ("A", "B")]
    for writer in writers:
        assert writer.wait(timeout=300) == 0, writer.stderr.read().decode() if writer.stderr else ""
    store = RunStore(path)
    runs = store.list()
    assert len(runs) == 20 and len({run.id for run in runs}) == 20
    assert sorted((run.area, run.seed) for run in runs) == sorted((n, i) for n in "AB" for i in range(10))
    for run in runs:
        assert store.files(run.id) == {"results.json": f"{run.area}{run.seed}".encode() * 5000}
        assert store.result_rows(run.id) == [(run.area, None, 1, None, "share_sites_waiting_over_10_min", "value",
                                              run.seed / 10)]


HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_file_held_outside_the_lock_is_retried_then_reported_busy(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    record(RunStore(path), assessment_doc())
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), "3"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(StoreError, match="busy"):
            RunStore(path, timeout_s=0.3).list()
        assert len(RunStore(path, timeout_s=60).list()) == 1  # retried until the holder let go
    finally:
        holder.kill()
        holder.wait()


def test_tests_never_use_the_users_own_store(tmp_path: Path) -> None:
    import platformdirs

    assert os.environ[ENV_VAR]
    assert default_store_path() == Path(os.environ[ENV_VAR])
    assert not default_store_path().is_relative_to(platformdirs.user_data_path("readiness", appauthor=False))


# --- through the command line ----------------------------------------------------------------------------------


ASSESS = ["assess", "--replications", "2", "--sites", "1,2", "--quiet"]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One assess run recorded through the CLI: (its output folder, the store)."""
    folder = tmp_path_factory.mktemp("cli")
    out, store = folder / "out", folder / "runs.duckdb"
    result = runner.invoke(app, [*ASSESS, "--out", str(out), "--store", str(store)])
    assert result.exit_code == 0, result.output
    return out, store


def test_runs_list_json_and_show(recorded: tuple[Path, Path]) -> None:
    out, store = recorded
    result = runner.invoke(app, ["runs", "list", "--json", "--store", str(store)])
    assert result.exit_code == 0, result.output
    [run] = json.loads(result.stdout)
    document = json.loads((out / "results.json").read_text())
    assert run["command"] == "assess" and len(run["id"]) == 8
    assert (run["seed"], run["replications"], run["area"]) == (2015, 2, "West Midlands Police")
    assert run["headline"] == document["by_sites"][0]["share_sites_waiting_over_10_min"]["value"]
    assert set(run) >= {"id", "created_at", "command", "area", "seed", "replications", "headline"}
    shown = json.loads(runner.invoke(app, ["runs", "show", run["id"], "--store", str(store)]).stdout)
    assert shown["config"] == document["config"]
    assert shown["out_dir"] == str(out.resolve())
    assert shown["result_rows"] == len(long_rows(document))
    table = runner.invoke(app, ["runs", "list", "--store", str(store)])
    assert run["id"] in table.stdout and "assess" in table.stdout


def test_runs_export_reproduces_every_file_byte_for_byte(recorded: tuple[Path, Path], tmp_path: Path) -> None:
    out, store = recorded
    [run] = json.loads(runner.invoke(app, ["runs", "list", "--json", "--store", str(store)]).stdout)
    result = runner.invoke(app, ["runs", "export", run["id"], "--out", str(tmp_path / "again"), "--store", str(store)])
    assert result.exit_code == 0, result.output
    original = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    exported = {p.relative_to(tmp_path / "again"): p.read_bytes() for p in (tmp_path / "again").rglob("*")
                if p.is_file()}
    assert len(original) > 5 and exported == original


def test_runs_diff_and_delete_through_the_cli(recorded: tuple[Path, Path], tmp_path: Path) -> None:
    _, store = recorded
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(store.read_bytes())
    [run] = RunStore(copy).list()
    other = record(RunStore(copy), assessment_doc())
    result = runner.invoke(app, ["runs", "diff", run.id, other, "--changed", "--store", str(copy)])
    assert result.exit_code == 0, result.output
    assert all(line.startswith("*") for line in result.stdout.splitlines())
    assert any("run     seed" in line and "2015" in line for line in result.stdout.splitlines())
    assert runner.invoke(app, ["runs", "delete", run.id, "--store", str(copy)]).exit_code == 0
    assert [r.id for r in RunStore(copy).list()] == [other]
    missing = runner.invoke(app, ["runs", "show", run.id, "--store", str(copy)])
    assert missing.exit_code == 2 and "no run" in missing.output


def test_no_store_records_nothing(tmp_path: Path) -> None:
    result = runner.invoke(app, [*ASSESS, "--out", str(tmp_path / "out"), "--no-store"])
    assert result.exit_code == 0, result.output
    assert not default_store_path().exists()
    result = runner.invoke(app, [*ASSESS, "--out", str(tmp_path / "out2")])  # the default store (READINESS_STORE)
    assert result.exit_code == 0, result.output
    assert [run.command for run in RunStore(default_store_path()).list()] == ["assess"]


@pytest.mark.parametrize("kind", ["corrupt", "unwritable"])
def test_a_bad_store_is_one_line_exit_2_and_the_outputs_are_still_written(tmp_path: Path, kind: str) -> None:
    if kind == "corrupt":
        store = tmp_path / "runs.duckdb"
        store.write_bytes(b"not a database" * 1000)
    else:
        (tmp_path / "a-file").write_text("x")
        store = tmp_path / "a-file" / "runs.duckdb"  # a folder that cannot exist, even for root
    out = tmp_path / "out"
    result = runner.invoke(app, [*ASSESS, "--out", str(out), "--store", str(store)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert f"run store {store}" in result.output.replace("\n", "")
    assert (out / "results.json").is_file() and (out / "report.html").is_file()
    listed = runner.invoke(app, ["runs", "list", "--store", str(store)])
    assert listed.exit_code == (2 if kind == "corrupt" else 0)  # an absent store lists no runs
