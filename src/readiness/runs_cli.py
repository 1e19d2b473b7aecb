"""``readiness runs list | show | diff | export | delete``, and the ``--store``/``--no-store`` every command records with."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from readiness.store import RunStore

F = TypeVar("F", bound=Callable[..., object])

StoreOpt = Annotated[Path | None, typer.Option(
    "--store", help="run store, a DuckDB file (default: $READINESS_STORE, else the user data folder)",
    show_default=False)]
NoStoreOpt = Annotated[bool, typer.Option("--no-store", help="do not record this run in the run store")]
RunIdArg = Annotated[str, typer.Argument(help="run id (or a unique start of one), from `readiness runs list`")]

runs_app = typer.Typer(no_args_is_help=True, help="Recorded runs: list, show, diff, export, delete.")


def _user_errors(command: F) -> F:
    """cli.py's one-line error handling, looked up when the command runs (cli.py imports this module)."""

    @functools.wraps(command)
    def wrapper(*args: object, **kwargs: object) -> object:
        from readiness.cli import user_errors

        return user_errors(command)(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def record_outputs(store: Path | None, no_store: bool, *, command: str, out: Path, results: Mapping[str, Any],
                   run: Mapping[str, Any], files: Iterable[Path], quiet: bool = False) -> str | None:
    """Record a run whose outputs are already written (so a store error leaves them in place); returns its id."""
    from readiness.cli import console
    from readiness.store import resolve_store

    target = resolve_store(store, disabled=no_store)
    if target is None:
        return None
    replications = results.get("replications")
    if replications is None and isinstance(results.get("assessment"), dict):  # optimise --assess
        replications = results["assessment"].get("replications")
    run_id = target.record(command=command, config=results.get("config", {}), seed=results.get("seed"),
                           replications=replications, software=run.get("software", {}),
                           timings={key: value for key, value in run.items() if key.endswith("seconds")},
                           out_dir=out, results=results, run=run,
                           files={path.relative_to(out).as_posix(): path.read_bytes() for path in files})
    if not quiet:
        console.print(f"recorded run {run_id} in {target.path}", highlight=False, soft_wrap=True)
    return run_id


def _store(path: Path | None) -> RunStore:
    from readiness.store import open_store

    return open_store(path)


@runs_app.command("list")
@_user_errors
def runs_list(command: Annotated[str | None, typer.Option("--command", help="only runs of this command")] = None,
              limit: Annotated[int | None, typer.Option("--limit", min=1, help="at most N runs, newest first")]
              = None,
              as_json: Annotated[bool, typer.Option("--json", help="a JSON list of objects, for scripts")] = False,
              store: StoreOpt = None) -> None:
    """Recorded runs, newest first: id, time, command, area, seed, replications and a headline number."""
    runs = _store(store).list(command=command, limit=limit)
    if as_json:
        sys.stdout.write(json.dumps([run.as_dict() for run in runs], indent=2) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(runs)} run(s)")
    for column in ("id", "time (UTC)", "command", "area", "seed", "replications", "headline"):
        table.add_column(column, justify="right" if column in ("seed", "replications") else "left")
    for run in runs:
        headline = f"{run.headline:.3f} ({run.headline_label})" if run.headline is not None else ""
        table.add_row(run.id, run.created_at, run.command, run.area or "", _text(run.seed), _text(run.replications),
                      headline)
    Console(width=200).print(table)


@runs_app.command("show")
@_user_errors
def runs_show(run_id: RunIdArg, store: StoreOpt = None) -> None:
    """Everything recorded about a run (as JSON): config, seed, versions, timings, output folder, files."""
    sys.stdout.write(json.dumps(_store(store).show(run_id), indent=2, default=str) + "\n")


@runs_app.command("diff")
@_user_errors
def runs_diff(first: RunIdArg, second: RunIdArg,
              changed_only: Annotated[bool, typer.Option("--changed", help="only the values that differ")] = False,
              store: StoreOpt = None) -> None:
    """Two runs side by side: run facts, config and results; a `*` marks a changed value."""
    rows = [row for row in _store(store).diff(first, second) if row.changed or not changed_only]
    width = max((len(row.key) for row in rows), default=0)
    for row in rows:
        mark = "*" if row.changed else " "
        sys.stdout.write(f"{mark} {row.section:<7} {row.key:<{width}}  {_text(row.a):>24}  {_text(row.b):>24}\n")


@runs_app.command("export")
@_user_errors
def runs_export(run_id: RunIdArg,
                out: Annotated[Path, typer.Option("--out", help="folder to write the run's files into")],
                store: StoreOpt = None) -> None:
    """Write a run's files (results.json, run.json, report, CSV, figures) exactly as the run wrote them."""
    from readiness.cli import console

    written = _store(store).export(run_id, out)
    console.print(f"{len(written)} files written to {out}", highlight=False)


@runs_app.command("delete")
@_user_errors
def runs_delete(run_id: RunIdArg, store: StoreOpt = None) -> None:
    """Forget a run: its record, results and files."""
    from readiness.cli import console

    console.print(f"deleted run {_store(store).delete(run_id)}", highlight=False)


def _text(value: object) -> str:
    return "" if value is None else f"{value:.6g}" if isinstance(value, float) else str(value)
