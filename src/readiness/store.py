"""The run store: every run of every command kept in one DuckDB file, with history, diff and export.

DuckDB lets one process write a file at a time, so every operation takes a file lock (``PATH.lock``), opens a
short connection, and closes it; a connection refused by a lock held elsewhere is retried until a timeout.
Schema changes are migrations keyed by ``meta.schema_version`` (docs/store.md).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from readiness.errors import StoreError

if TYPE_CHECKING:
    import duckdb

SCHEMA_VERSION = 2
ENV_VAR = "READINESS_STORE"
LOCK_TIMEOUT_S = 60.0  # engineering choice, not a model number: how long a run waits for another run's write
RETRY_S = 0.05  # first pause before retrying a connection refused by a DuckDB lock held outside our file lock

# Version 1, the first schema: runs with their config, results document and files; no long-form table.
SCHEMA_V1 = (
    "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    ("CREATE TABLE runs (id VARCHAR PRIMARY KEY, created_at TIMESTAMP, command VARCHAR, seed BIGINT, "
     "replications BIGINT, config_json VARCHAR, results_json VARCHAR, out_dir VARCHAR)"),
    "CREATE TABLE files (run_id VARCHAR, path VARCHAR, content BLOB, PRIMARY KEY (run_id, path))",
    "INSERT INTO meta VALUES ('schema_version', '1')",
)
# Version 2 adds to runs what a list and an inspector need, and the long-form results table.
V2_RUN_COLUMNS = (("area", "VARCHAR"), ("parameter_set", "VARCHAR"), ("headline", "DOUBLE"),
                  ("headline_label", "VARCHAR"), ("readiness_version", "VARCHAR"), ("software_json", "VARCHAR"),
                  ("timings_json", "VARCHAR"), ("run_json", "VARCHAR"))
RESULTS_TABLE = ("CREATE TABLE results (run_id VARCHAR, seed BIGINT, parameter_set VARCHAR, force VARCHAR, "
                 "option VARCHAR, sites INTEGER, start_time VARCHAR, metric VARCHAR, statistic VARCHAR, "
                 "value DOUBLE)")
RESULT_COLUMNS = ("force", "option", "sites", "start_time", "metric", "statistic", "value")

ResultRow = tuple[str | None, str | None, int | None, str | None, str, str, float | None]


def default_store_path() -> Path:
    """The user's own store: ``READINESS_STORE`` if set, else the platform's user data folder."""
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    import platformdirs

    return platformdirs.user_data_path("readiness", appauthor=False) / "runs.duckdb"


def resolve_store(path: Path | None, *, disabled: bool) -> RunStore | None:
    """The store a command records into: ``--store PATH``, else ``READINESS_STORE``, else the default; none if off."""
    return None if disabled else open_store(path)


def open_store(path: Path | None) -> RunStore:
    """The store at ``path``, or the default one when none is given."""
    return RunStore(path.expanduser() if path is not None else default_store_path())


@dataclass(frozen=True)
class RunSummary:
    """One line of ``runs list``."""

    id: str
    created_at: str
    command: str
    area: str | None
    seed: int | None
    replications: int | None
    headline: float | None
    headline_label: str | None
    out_dir: str | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class DiffRow:
    """One compared value of two runs: ``section`` is run, config or results."""

    section: str
    key: str
    a: object
    b: object

    @property
    def changed(self) -> bool:
        return self.a != self.b


class RunStore:
    """A DuckDB file of runs; every method opens, locks, works and closes, so processes can share it."""

    def __init__(self, path: Path, *, timeout_s: float = LOCK_TIMEOUT_S) -> None:
        self.path = path
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"RunStore({str(self.path)!r})"

    # --- lifecycle -------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to an up-to-date store, held under the file lock and closed after use."""
        import duckdb
        import filelock

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = filelock.FileLock(str(self.path) + ".lock", timeout=self.timeout_s)
            lock.acquire()
        except filelock.Timeout:
            raise self._error(f"busy: another run held the store for more than {self.timeout_s:g} s") from None
        except OSError as error:
            raise self._error(f"cannot write here ({error.strerror or error})") from None
        try:
            con = self._open()
            try:
                self._prepare(con)
                yield con
            except duckdb.Error as error:  # a full disk, a damaged table: the store, not the run, failed
                raise self._error(f"cannot be used ({_first_line(error)})") from None
            finally:
                con.close()
        finally:
            lock.release()

    def _open(self) -> duckdb.DuckDBPyConnection:
        """Open the file, retrying while a process outside our lock (a DuckDB shell, say) holds it."""
        import duckdb

        deadline, pause = time.monotonic() + self.timeout_s, RETRY_S
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.IOException as error:
                if "lock" not in str(error).lower():
                    raise self._error(f"not a readable DuckDB run store ({_first_line(error)})") from None
                if time.monotonic() > deadline:
                    raise self._error(f"busy: {_first_line(error)}") from None
                time.sleep(pause)
                pause = min(2 * pause, 1.0)
            except duckdb.Error as error:
                raise self._error(f"not a readable DuckDB run store ({_first_line(error)})") from None

    def _prepare(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create a new store, migrate an older one, refuse a newer one or a file that is not a store."""
        tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if not tables:
            _in_transaction(con, lambda: _create(con))
            return
        if "meta" not in tables or "runs" not in tables:
            raise self._error(f"a DuckDB file but not a Readiness run store (tables: {', '.join(sorted(tables))})")
        found = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(found[0]) if found and str(found[0]).isdigit() else None
        if version is None:
            raise self._error("run store without a schema_version in its meta table")
        if version > SCHEMA_VERSION:
            raise self._error(f"written by a newer Readiness (schema {version}; this version reads up to "
                              f"{SCHEMA_VERSION}): upgrade Readiness or use another --store")
        if version < SCHEMA_VERSION:
            _in_transaction(con, lambda: MIGRATIONS[version](con))

    def _error(self, message: str) -> StoreError:
        return StoreError(message, source=f"run store {self.path}")

    def schema_version(self) -> int:
        """The schema version of the file (after any migration this version applies)."""
        with self._connect() as con:
            return int(con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])

    # --- writing ---------------------------------------------------------------------------------------------

    def record(self, *, command: str, config: Mapping[str, object], seed: int | None, replications: int | None,
               software: Mapping[str, str], timings: Mapping[str, float], out_dir: Path,
               results: Mapping[str, Any], run: Mapping[str, object], files: Mapping[str, bytes]) -> str:
        """Keep one run: its config, seed, versions, timings, results (document and long form) and files."""
        run_id = secrets.token_hex(4)
        derived = _derived(results)
        rows = [(run_id, seed, derived["parameter_set"], *row) for row in long_rows(results)]
        created = dt.datetime.now(dt.UTC).replace(tzinfo=None)

        def write(con: duckdb.DuckDBPyConnection) -> None:
            con.execute("INSERT INTO runs (id, created_at, command, seed, replications, config_json, results_json, "
                        "out_dir, area, parameter_set, headline, headline_label, readiness_version, software_json, "
                        "timings_json, run_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [run_id, created, command, seed, replications, _json(config), _json(results),
                         str(out_dir.resolve()), derived["area"], derived["parameter_set"], derived["headline"],
                         derived["headline_label"], results.get("version"), _json(software), _json(timings),
                         _json(run)])
            con.executemany("INSERT INTO files VALUES (?, ?, ?)",
                            [[run_id, name, content] for name, content in sorted(files.items())])
            _insert_results(con, rows)

        with self._connect() as con:
            _in_transaction(con, lambda: write(con))
        return run_id

    def delete(self, run_id: str) -> str:
        """Forget a run (its row, files and results); returns the full id."""
        with self._connect() as con:
            full = self._resolve(con, run_id)
            _in_transaction(con, lambda: _delete(con, full))
        return full

    # --- reading ---------------------------------------------------------------------------------------------

    def list(self, *, command: str | None = None, limit: int | None = None) -> Sequence[RunSummary]:
        """Runs, newest first, optionally of one command and at most ``limit`` of them."""
        if not self.path.exists():
            return []
        sql = ("SELECT id, strftime(created_at, '%Y-%m-%dT%H:%M:%SZ'), command, area, seed, replications, headline,"
               " headline_label, out_dir FROM runs" + (" WHERE command = ?" if command else "")
               + " ORDER BY created_at DESC, id" + (" LIMIT ?" if limit is not None else ""))
        params = [p for p in (command, limit) if p is not None]
        with self._connect() as con:
            return [RunSummary(*row) for row in con.execute(sql, params).fetchall()]

    def show(self, run_id: str) -> dict[str, Any]:
        """Everything kept about a run except its files' contents: summary, config, versions, timings, files."""
        with self._connect() as con:
            full = self._resolve(con, run_id)
            row = con.execute("SELECT strftime(created_at, '%Y-%m-%dT%H:%M:%SZ'), command, area, seed, replications,"
                              " headline, headline_label, out_dir, parameter_set, readiness_version, config_json, "
                              "software_json, timings_json, run_json FROM runs WHERE id = ?", [full]).fetchone()
            files = con.execute("SELECT path, octet_length(content) FROM files WHERE run_id = ? ORDER BY path",
                                [full]).fetchall()
            n_rows = con.execute("SELECT count(*) FROM results WHERE run_id = ?", [full]).fetchone()[0]
        keys = ("created_at", "command", "area", "seed", "replications", "headline", "headline_label", "out_dir",
                "parameter_set", "readiness_version")
        shown: dict[str, Any] = {"id": full, **dict(zip(keys, row[:10], strict=True))}
        for key, text in zip(("config", "software", "timings", "run"), row[10:], strict=True):
            shown[key] = json.loads(text) if text is not None else None
        shown["files"] = [{"path": path, "bytes": size} for path, size in files]
        shown["result_rows"] = n_rows
        return shown

    def result_rows(self, run_id: str) -> Sequence[tuple[object, ...]]:
        """The run's long-form results: (force, option, sites, start_time, metric, statistic, value)."""
        with self._connect() as con:
            full = self._resolve(con, run_id)
            return con.execute(f"SELECT {', '.join(RESULT_COLUMNS)} FROM results WHERE run_id = ? ORDER BY ALL",
                               [full]).fetchall()

    def files(self, run_id: str) -> dict[str, bytes]:
        """The run's output files, by path relative to its output folder."""
        with self._connect() as con:
            full = self._resolve(con, run_id)
            return {path: bytes(content) for path, content in
                    con.execute("SELECT path, content FROM files WHERE run_id = ?", [full]).fetchall()}

    def export(self, run_id: str, out: Path) -> Sequence[Path]:
        """Write the run's files into ``out``, byte for byte as the run wrote them; returns the paths."""
        written = []
        for name, content in sorted(self.files(run_id).items()):
            relative = PurePosixPath(name)
            if relative.is_absolute() or ".." in relative.parts:
                raise self._error(f"run {run_id}: file path {name!r} would leave the export folder")
            target = out.joinpath(*relative.parts)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            except OSError as error:
                raise StoreError(f"cannot write the export ({error.strerror or error})", source=str(target)) from None
            written.append(target)
        return written

    def diff(self, a: str, b: str) -> Sequence[DiffRow]:
        """Run facts, config (flattened) and long-form results of two runs, side by side."""
        first, second = self.show(a), self.show(b)
        rows = [DiffRow("run", key, first[key], second[key])
                for key in ("id", "command", "area", "seed", "replications", "parameter_set", "readiness_version",
                            "headline")]
        flat_a, flat_b = _flatten(first["config"]), _flatten(second["config"])
        rows += [DiffRow("config", key, flat_a.get(key), flat_b.get(key)) for key in _union(flat_a, flat_b)]
        values_a, values_b = _keyed(self.result_rows(a)), _keyed(self.result_rows(b))
        rows += [DiffRow("results", key, values_a.get(key), values_b.get(key)) for key in _union(values_a, values_b)]
        return rows

    def _resolve(self, con: duckdb.DuckDBPyConnection, run_id: str) -> str:
        """A full run id from an id or a unique prefix of one."""
        found = [row[0] for row in con.execute("SELECT id FROM runs WHERE starts_with(id, ?) ORDER BY id",
                                               [run_id]).fetchall()]
        if run_id in found:
            return run_id
        if len(found) != 1:
            raise self._error(f"no run {run_id!r}" if not found else
                              f"run id {run_id!r} is ambiguous ({', '.join(found[:5])}): give more characters")
        return found[0]


# --- schema and migrations ---------------------------------------------------------------------------------


def _create(con: duckdb.DuckDBPyConnection) -> None:
    """A new store: the first schema, then every migration (so each migration runs on every new store)."""
    for sql in SCHEMA_V1:
        con.execute(sql)
    for version in range(1, SCHEMA_VERSION):
        MIGRATIONS[version](con)


def _delete(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    for table, column in (("results", "run_id"), ("files", "run_id"), ("runs", "id")):
        con.execute(f"DELETE FROM {table} WHERE {column} = ?", [run_id])


def _migrate_1_to_2(con: duckdb.DuckDBPyConnection) -> None:
    """Add run facts and the long-form table; derive them from each run's results document."""
    for name, kind in V2_RUN_COLUMNS:
        con.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")
    con.execute(RESULTS_TABLE)
    for run_id, seed, text in con.execute("SELECT id, seed, results_json FROM runs").fetchall():
        results = json.loads(text)
        derived = _derived(results)
        con.execute("UPDATE runs SET area = ?, parameter_set = ?, headline = ?, headline_label = ?, "
                    "readiness_version = ? WHERE id = ?",
                    [derived["area"], derived["parameter_set"], derived["headline"], derived["headline_label"],
                     results.get("version"), run_id])
        _insert_results(con, [(run_id, seed, derived["parameter_set"], *row) for row in long_rows(results)])
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")


MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {1: _migrate_1_to_2}


def _in_transaction(con: duckdb.DuckDBPyConnection, work: Callable[[], object]) -> None:
    """All of ``work`` or none of it."""
    con.execute("BEGIN TRANSACTION")
    try:
        work()
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _insert_results(con: duckdb.DuckDBPyConnection, rows: list[tuple[object, ...]]) -> None:
    if not rows:
        return
    import pyarrow as pa

    schema = pa.schema([("run_id", pa.string()), ("seed", pa.int64()), ("parameter_set", pa.string()),
                        ("force", pa.string()), ("option", pa.string()), ("sites", pa.int32()),
                        ("start_time", pa.string()), ("metric", pa.string()), ("statistic", pa.string()),
                        ("value", pa.float64())])
    incoming = pa.Table.from_pylist([dict(zip(schema.names, row, strict=True)) for row in rows], schema=schema)
    con.register("incoming_results", incoming)
    try:
        con.execute("INSERT INTO results SELECT * FROM incoming_results")
    finally:
        con.unregister("incoming_results")


# --- long-form results from each results.json format --------------------------------------------------------


def _stats(metric: str, value: object) -> Iterator[tuple[str, str, float | None]]:
    """(metric, statistic, value) of one field: a number, or a dict of numbers with an optional ``ci95``."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int | float):
        yield metric, "value", float(value)
    elif isinstance(value, dict):
        for statistic, number in value.items():
            if statistic == "ci95" and isinstance(number, list):
                yield metric, "ci95_low", _number(number[0])
                yield metric, "ci95_high", _number(number[1])
            elif number is None or (isinstance(number, int | float) and not isinstance(number, bool)):
                yield metric, statistic, _number(number)


def _number(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _row_stats(row: Mapping[str, object], *, skip: tuple[str, ...], prefix: str = ""
               ) -> Iterator[tuple[str, str, float | None]]:
    for key, value in row.items():
        if key not in skip:
            yield from _stats(prefix + key, value)


def _by_sites(force: str | None, option: str | None, start: str | None, rows: list[dict]) -> Iterator[ResultRow]:
    for row in rows:
        for metric, statistic, value in _row_stats(row, skip=("sites",)):
            yield force, option, row["sites"], start, metric, statistic, value


def _assessment_rows(results: Mapping[str, Any]) -> Iterator[ResultRow]:
    force = results["area"]["name"]
    yield from _by_sites(force, None, None, results["by_sites"])
    for block in results.get("by_start_time", []):
        yield from _by_sites(force, None, block["start"], block["by_sites"])


def _coverage_rows(results: Mapping[str, Any]) -> Iterator[ResultRow]:
    force, coverage = results["area"]["name"], results["coverage"]
    for threshold, share in coverage["share_within_min"].items():
        yield force, None, None, None, f"share_within_{threshold}_min", "value", float(share)
    yield force, None, None, None, "utilisation", "value", float(coverage["utilisation"]["overall"])
    for hour in coverage["by_hour"]:
        for metric, statistic, value in _row_stats(hour, skip=("hour_of_week", "label", "share_within_min")):
            yield force, None, None, hour["label"], metric, statistic, value
        for threshold, share in hour["share_within_min"].items():
            yield force, None, None, hour["label"], f"share_within_{threshold}_min", "value", float(share)


def _compare_rows(results: Mapping[str, Any]) -> Iterator[ResultRow]:
    force = results["area"]["name"]
    for option in results["options"]:
        yield from _by_sites(force, option["name"], None, option["by_sites"])
    for row in results["differences"]:
        estimate = {"mean": row["mean"], "ci95": row["ci95"]}
        for metric, statistic, value in _stats(f"difference_{row['metric']}", estimate):
            yield force, row["option"], row["sites"], None, metric, statistic, value
    for row in results["value_for_money"]:
        for metric, statistic, value in _row_stats(row, skip=("option", "sites")):
            yield force, row["option"], row["sites"], None, metric, statistic, value


def _optimise_rows(results: Mapping[str, Any]) -> Iterator[ResultRow]:
    force = results["config"]["area"]["name"]
    plans = [("existing", results["existing"]), ("plan", results["plan"])]
    plans += [(f"plan_{block['armed_on_duty']}_on_duty", block["plan"]) for block in results.get("plans_by_shift", [])]
    for option, summary in plans:
        for metric, statistic, value in _row_stats(summary, skip=("model", "method", "status", "sites")):
            yield force, option, None, None, metric, statistic, value
    if "assessment" in results:
        yield from _by_sites(force, "existing", None, results["assessment"]["before"])
        yield from _by_sites(force, "plan", None, results["assessment"]["after"])


def _replay_rows(results: Mapping[str, Any]) -> Iterator[ResultRow]:
    """Per incident (option = row id): predicted statistics, recorded values and percentiles; then the summary."""
    for incident in results["incidents"]:
        for metric, predicted in (incident["predicted"] or {}).items():
            for _, statistic, value in _stats(metric, predicted):
                yield incident["force"], incident["id"], None, None, f"predicted_{metric}", statistic, value
        for metric, value in incident["recorded"].items():
            if value is not None:
                yield incident["force"], incident["id"], None, None, f"recorded_{metric}", "value", float(value)
        for metric, comparison in incident["comparison"].items():
            yield incident["force"], incident["id"], None, None, f"percentile_{metric}", "value", comparison["percentile"]
    for metric, row in results["summary"]["by_metric"].items():
        for name, statistic, value in _row_stats(row, skip=(), prefix=f"{metric}."):
            yield None, None, None, None, name, statistic, value


FLATTENERS: dict[str, Callable[[Mapping[str, Any]], Iterator[ResultRow]]] = {
    "readiness.assessment/1": _assessment_rows, "readiness.coverage/1": _coverage_rows,
    "readiness.compare/1": _compare_rows, "readiness.optimise/1": _optimise_rows,
    "readiness.replay/1": _replay_rows,
}


def long_rows(results: Mapping[str, Any]) -> list[ResultRow]:
    """One row per force x option x K x start time x metric x statistic (none for an unknown format)."""
    flatten = FLATTENERS.get(str(results.get("format")))
    return list(flatten(results)) if flatten else []


def headline(results: Mapping[str, Any]) -> tuple[float | None, str | None]:
    """The one number ``runs list`` shows for a run, and what it is."""
    fmt = results.get("format")
    if fmt == "readiness.assessment/1" and results.get("by_sites"):
        row = min(results["by_sites"], key=lambda r: r["sites"])
        return row["share_sites_waiting_over_10_min"]["value"], f"share of sites waiting > 10 min, K={row['sites']}"
    if fmt == "readiness.coverage/1":
        return results["coverage"]["share_within_min"].get("10"), "share of residents within 10 min"
    if fmt == "readiness.compare/1":
        k = results["reference_sites"]
        rows = [r for r in results["value_for_money"] if r["sites"] == k]
        if rows:
            best = max(rows, key=lambda r: r["deaths_averted_per_attack"]["mean"])
            return best["deaths_averted_per_attack"]["mean"], f"deaths averted per attack, {best['option']}, K={k}"
    if fmt == "readiness.optimise/1":
        return (results["plan"]["share_weight_within_standard"],
                f"share of demand within {results['request']['within_min']:g} min")
    if fmt == "readiness.replay/1":
        return results["summary"]["share_within_p5_p95"], "share of recorded values inside predicted p5-p95"
    return None, None


def _derived(results: Mapping[str, Any]) -> dict[str, Any]:
    """What a run row derives from its results document (also used by the migration from schema 1)."""
    value, label = headline(results)
    area = results.get("area") or results.get("config", {}).get("area") or {}
    return {"area": area.get("name"), "headline": value,
            "headline_label": label, "parameter_set": parameter_set(results)}


def parameter_set(results: Mapping[str, Any]) -> str:
    """A short hash of the resolved config and parameters: runs with equal hashes differ only by seed/size."""
    text = json.dumps({"config": results.get("config"), "parameters": results.get("parameters")}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# --- helpers -------------------------------------------------------------------------------------------------


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _flatten(value: object, prefix: str = "") -> dict[str, object]:
    """Dotted paths to the leaves of a JSON value (list items by index)."""
    if isinstance(value, dict):
        items: Iterator[tuple[str, object]] = ((str(k), v) for k, v in value.items())
    elif isinstance(value, list) and value:
        items = ((f"[{i}]", v) for i, v in enumerate(value))
    else:
        return {prefix: value}
    flat: dict[str, object] = {}
    for key, child in items:
        flat.update(_flatten(child, f"{prefix}{key}" if key.startswith("[") or not prefix else f"{prefix}.{key}"))
    return flat


def _keyed(rows: Sequence[tuple[object, ...]]) -> dict[str, object]:
    """Long-form rows as ``option | K | start | metric.statistic`` keys."""
    keyed = {}
    for force, option, sites, start, metric, statistic, value in rows:
        parts = [str(force or ""), str(option or ""), f"K={sites}" if sites is not None else "",
                 str(start or ""), f"{metric}.{statistic}"]
        keyed[" | ".join(p for p in parts if p)] = value
    return keyed


def _union(a: Mapping[str, object], b: Mapping[str, object]) -> list[str]:
    return list(a) + [key for key in b if key not in a]
