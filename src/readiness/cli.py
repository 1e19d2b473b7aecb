"""Command line: ``readiness assess | coverage | compare | optimise | config default | validate``."""

from __future__ import annotations

import contextlib
import functools
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from readiness.errors import ReadinessError

if TYPE_CHECKING:  # the CLI imports the heavy modules inside each command, to start fast
    from readiness.config import Config
    from readiness.model import Model

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Readiness: could a police force cope with a multi-site armed attack?")
config_app = typer.Typer(no_args_is_help=True, help="Show configuration.")
app.add_typer(config_app, name="config")
console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., object])

ConfigArg = Annotated[Path | None, typer.Argument(help="YAML config (default: embedded West Midlands)",
                                                   show_default=False)]
OutOpt = Annotated[Path, typer.Option("--out", help="folder for results.json, report.html, figures, CSV")]
SeedOpt = Annotated[int, typer.Option("--seed", help="random seed")]
QuietOpt = Annotated[bool, typer.Option("--quiet", help="no progress bar or summary")]


def user_errors(command: F) -> F:
    """Turn user mistakes into one line on stderr and exit status 2 (bugs keep their traceback)."""

    @functools.wraps(command)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return command(*args, **kwargs)
        except ReadinessError as error:
            console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


def load_model(config: Path | None, *, sites: list[int] | None = None) -> Model:
    """Read a config (or the default), apply ``--sites``, and build the model; errors name the file."""
    from readiness.config import load_config

    cfg = load_config(config)
    if sites is not None:
        cfg = cfg.model_copy(update={"scenario": cfg.scenario.model_copy(update={"sites": sorted(set(sites))})})
    return load_model_from(cfg, config)


def load_model_from(cfg: Config, config: Path | None) -> Model:
    """Build the model of a loaded config; errors name the config file."""
    from readiness.model import build_model

    try:
        return build_model(cfg)
    except ReadinessError as error:
        raise error.located(str(config) if config else "default config") from None


def parse_sites(text: str | None) -> list[int] | None:
    """``"1,2,3"`` to ``[1, 2, 3]``, with a user error for anything else."""
    if text is None:
        return None
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ReadinessError(f"--sites expects whole numbers separated by commas, got {text!r}") from None
    if not values or any(v < 1 or v > 50 for v in values):
        raise ReadinessError(f"--sites values must be between 1 and 50, got {text!r}")
    return values


def progress_bar(total: int, quiet: bool, label: str) -> tuple[Progress | None, Callable[[int], None] | None]:
    """A Rich progress bar on stderr (none when quiet or not a terminal-friendly run)."""
    if quiet:
        return None, None
    bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console,
                   transient=True)
    task = bar.add_task(label, total=total)
    return bar, lambda n: bar.advance(task, n)


@app.command()
@user_errors
def assess(config: ConfigArg = None, out: OutOpt = Path("out"),
           replications: Annotated[int, typer.Option("--replications", min=2, help="replications per K")] = 10_000,
           seed: SeedOpt = 2015,
           sites: Annotated[str | None, typer.Option("--sites", help="numbers of sites, e.g. 1,2,3,5,8")] = None,
           quiet: QuietOpt = False) -> None:
    """Assess K simultaneous attacks: minutes to the first armed officers, sites waiting, deaths."""
    from readiness.assessment import START_TIMES, run_assessment, site_counts
    from readiness.report import assessment_outputs, prepare_out_dir, run_record, write_outputs
    from readiness.workload import unit_state_sampler

    began = time.perf_counter()
    chosen = parse_sites(sites)
    prepare_out_dir(out)
    model = load_model(config, sites=chosen)
    runs = len(site_counts(model)) * (1 + (len(START_TIMES) if model.config.workload.enabled else 0))
    bar, advance = progress_bar(replications * runs, quiet, "simulating")
    if bar is not None:
        bar.start()
    try:
        assessment = run_assessment(model, replications=replications, seed=seed,
                                    unit_states=unit_state_sampler(model), progress=advance)
    finally:
        if bar is not None:
            bar.stop()
    tables, figures, html = assessment_outputs(assessment)
    run = run_record(command="assess", out=out, seconds=time.perf_counter() - began,
                     extra={"config_file": str(config.resolve()) if config else None})
    write_outputs(out, results=assessment.results, run=run, tables=tables, figures=figures, html=html)
    if not quiet:
        _print_assessment(assessment.results)
        console.print(f"report: {(out / 'report.html').resolve()}")


def _print_assessment(results: dict) -> None:
    from rich.table import Table

    table = Table(title=f"{results['area']['name']}: {results['fleet']['armed_units']} ARVs on duty")
    for column in ("sites", "mean min to first armed (95% CI)", "share > 10 min", "share > 20 min",
                   "not reached", "deaths per attack (95% CI)"):
        table.add_column(column, justify="right")
    for row in results["by_sites"]:
        t, w10, w20, v = (row["time_to_first_armed_min"], row["share_sites_waiting_over_10_min"],
                          row["share_sites_waiting_over_20_min"], row["victims"])
        table.add_row(str(row["sites"]), f"{t['mean']:.2f} ({t['ci95'][0]:.2f}-{t['ci95'][1]:.2f})",
                      f"{w10['value']:.3f}", f"{w20['value']:.3f}", str(row["sites_not_reached"]),
                      f"{v['mean']:.1f} ({v['ci95'][0]:.1f}-{v['ci95'][1]:.1f})")
    Console().print(table)


@app.command()
@user_errors
def compare(options: Annotated[Path | None, typer.Argument(help="options YAML (default: the shipped 2015 options)",
                                                           show_default=False)] = None,
            out: OutOpt = Path("out"),
            replications: Annotated[int, typer.Option("--replications", min=2,
                                                      help="replications per option and K")] = 2_000,
            seed: SeedOpt = 2015,
            config: Annotated[Path | None, typer.Option("--config", help="YAML config of the baseline")] = None,
            quiet: QuietOpt = False) -> None:
    """Compare options with the baseline on the same attacks: differences, cost, Pareto, sensitivity."""
    from readiness.compare import DEFAULT_SITES, comparison_outputs, run_comparison
    from readiness.config import load_config
    from readiness.options import apply_options, load_options
    from readiness.report import prepare_out_dir, run_record, write_outputs
    from readiness.workload import unit_state_sampler

    began = time.perf_counter()
    prepare_out_dir(out)
    options_file, source = load_options(options)
    model = load_model(config)
    applied = apply_options(model, options_file, source=source)  # every option checked before any run
    bar, advance = progress_bar(replications * len(DEFAULT_SITES) * (len(applied) + 1), quiet, "simulating")
    if bar is not None:
        bar.start()
    try:
        comparison = run_comparison(model, applied, replications=replications, seed=seed,
                                    baseline_name=options_file.baseline, sampler_for=unit_state_sampler,
                                    resources=load_config(config).resources,
                                    sensitivity_replications=min(400, replications), progress=advance)
    finally:
        if bar is not None:
            bar.stop()
    tables, figures, html = comparison_outputs(comparison)
    run = run_record(command="compare", out=out, seconds=time.perf_counter() - began,
                     extra={"config_file": str(config.resolve()) if config else None,
                            "options_file": str(Path(source).resolve())})
    write_outputs(out, results=comparison.results, run=run, tables=tables, figures=figures, html=html)
    if not quiet:
        _print_comparison(comparison.results)
        console.print(f"report: {(out / 'report.html').resolve()}")


def _print_comparison(results: dict) -> None:
    from rich.table import Table

    k = results["reference_sites"]
    table = Table(title=f"Options against {results['options'][0]['name']} (K = {k}, paired 95% CI)")
    for column in ("option", "yearly cost (GBP m)", "min to first armed", "share > 10 min", "deaths per attack"):
        table.add_column(column, justify="right")
    for option in results["options"][1:]:
        cells = [f"{d['mean']:+.2f} ({d['ci95'][0]:+.2f} to {d['ci95'][1]:+.2f})" for d in results["differences"]
                 if d["option"] == option["name"] and d["sites"] == k]
        table.add_row(option["name"], f"{option['cost']['yearly_gbp'] / 1e6:.2f}", *cells)
    Console().print(table)


@app.command()
@user_errors
def coverage(config: ConfigArg = None, out: OutOpt = Path("out-coverage"),
             replications: Annotated[int, typer.Option("--replications", min=1,
                                                       help="instants per hour of the week")] = 200,
             seed: SeedOpt = 2015, quiet: QuietOpt = False) -> None:
    """Everyday view: share of residents a free armed unit reaches within 5/10/15/20 min, by hour of week."""
    from readiness import __version__
    from readiness.config import portable_config
    from readiness.report import coverage_outputs, prepare_out_dir, run_record, write_outputs
    from readiness.workload import coverage_analysis

    began = time.perf_counter()
    prepare_out_dir(out)
    model = load_model(config)
    with console.status("simulating the week", spinner="dots") if not quiet else _nothing():
        analysis, reached = coverage_analysis(model, seed=seed, replications=replications)
    results = {"format": "readiness.coverage/1", "version": __version__, "seed": seed,
               "replications": replications,
               "area": {"name": model.area.name, "lsoas": model.area.n},
               "config": portable_config(model.config), "parameters": model.params.as_records(),
               "coverage": analysis}
    tables, figures, html = coverage_outputs(model, analysis, reached, results)
    run = run_record(command="coverage", out=out, seconds=time.perf_counter() - began,
                     extra={"config_file": str(config.resolve()) if config else None})
    write_outputs(out, results=results, run=run, tables=tables, figures=figures, html=html)
    if not quiet:
        shares = ", ".join(f"{100 * v:.0f}% within {t} min" for t, v in analysis["share_within_min"].items())
        console.print(f"residents reached by a free ARV: {shares}; report: {(out / 'report.html').resolve()}")


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield


@app.command()
@user_errors
def optimise(config: ConfigArg = None, out: OutOpt = Path("out-optimise"),
             model_name: Annotated[str, typer.Option("--model", help="lscp|mclp|backup|mexclp|p-median|p-center")]
             = "mclp",
             units: Annotated[int | None, typer.Option("--units", min=1, help="units to place (default: ARVs on duty)")]
             = None,
             within: Annotated[float, typer.Option("--within", min=0.0, help="coverage standard, blue-light minutes")]
             = 10.0,
             busy_fraction: Annotated[float | None, typer.Option(
                 "--busy-fraction", min=0.0, max=0.99, help="MEXCLP: chance a unit is busy (default: from workload)")]
             = None,
             fix_existing: Annotated[bool, typer.Option("--fix-existing", help="keep the existing ARV bases open")]
             = False,
             method: Annotated[str, typer.Option("--method", help="auto (exact if small enough), highs, heuristic")]
             = "auto",
             per_shift: Annotated[bool, typer.Option(
                 "--per-shift", help="also one plan for each number of ARVs the shift pattern puts on duty")] = False,
             assess_plan: Annotated[bool, typer.Option("--assess", help="re-check the plan by simulation")] = False,
             replications: Annotated[int, typer.Option("--replications", min=2, help="replications per K for --assess")]
             = 2_000,
             seed: SeedOpt = 2015, quiet: QuietOpt = False) -> None:
    """Where should armed units stand by, and how many are needed? Optionally re-checked by simulation."""
    from readiness import __version__
    from readiness.assessment import run_assessment
    from readiness.config import portable_config
    from readiness.planning import (
        LOCATION_MODELS,
        armed_on_duty_by_shift,
        existing_plan,
        plan_config,
        plan_summary,
        solve,
        standby_problem,
    )
    from readiness.report import optimise_outputs, prepare_out_dir, run_record, write_outputs
    from readiness.resources import ARMED
    from readiness.workload import coverage_results, unit_state_sampler

    if model_name not in LOCATION_MODELS:
        raise ReadinessError(f"--model must be one of {', '.join(LOCATION_MODELS)}, got {model_name!r}")
    began = time.perf_counter()
    prepare_out_dir(out)
    model = load_model(config)
    units = units or model.fleet.count(ARMED)
    if busy_fraction is None:
        busy_fraction = (coverage_results(model, seed=seed, replications=5)["utilisation"]["overall"]
                         if model.config.workload.enabled else 0.0)
    problem = standby_problem(model)
    with console.status("solving", spinner="dots") if not quiet else _nothing():
        plan = solve(problem, model_name, units=units, within=within, busy_fraction=busy_fraction,
                     fix_existing=fix_existing, method=method)
    planned = load_model_from(plan_config(model, problem, plan), config)
    results: dict[str, object] = {
        "format": "readiness.optimise/1", "version": __version__, "seed": seed,
        "request": {"model": model_name, "units": units, "within_min": within,
                    "busy_fraction": round(busy_fraction, 6), "fix_existing": fix_existing, "method": method},
        "config": portable_config(model.config), "parameters": model.params.as_records(),
        "existing": plan_summary(problem, existing_plan(problem, model), within=within),
        "plan": plan_summary(problem, plan, within=within),
        "plan_config": portable_config(planned.config),
    }
    if per_shift:
        results["plans_by_shift"] = [
            {"armed_on_duty": count, "hours_per_week": len(hours), "first_hours": hours[:3],
             "plan": plan_summary(problem, solve(problem, model_name, units=count, within=within,
                                                 busy_fraction=busy_fraction, fix_existing=False, method=method),
                                  within=within)}
            for count, hours in armed_on_duty_by_shift(model).items() if count > 0]
    if assess_plan:
        before = run_assessment(model, replications=replications, seed=seed, unit_states=unit_state_sampler(model))
        after = run_assessment(planned, replications=replications, seed=seed, unit_states=unit_state_sampler(planned))
        results["assessment"] = {"replications": replications,
                                 "before": before.results["by_sites"], "after": after.results["by_sites"]}
    tables, figures, html = optimise_outputs(model, problem, plan, results)
    run = run_record(command="optimise", out=out, seconds=time.perf_counter() - began,
                     extra={"config_file": str(config.resolve()) if config else None,
                            "solve_seconds": plan.solve_seconds})
    write_outputs(out, results=results, run=run, tables=tables, figures=figures, html=html)
    if not quiet:
        summary = results["plan"]
        console.print(f"{model_name}: {summary['n_sites']} sites, {100 * summary['share_weight_within_standard']:.1f}% "
                      f"of demand within {within:g} min ({plan.status}, gap {plan.gap:.2g}); "
                      f"report: {(out / 'report.html').resolve()}")


@config_app.command("default")
@user_errors
def config_default() -> None:
    """Print the full default configuration as YAML (every default made explicit)."""
    from readiness.config import config_to_yaml, default_config
    from readiness.registry import Parameters
    from readiness.resources import resolve_resources

    cfg = default_config()
    params = Parameters()
    resolved = cfg.model_copy(update={"resources": resolve_resources(cfg.resources, params),
                                      "parameters": dict(params)})
    sys.stdout.write(config_to_yaml(resolved))


@app.command()
@user_errors
def validate(config: Annotated[Path, typer.Argument(help="YAML config to check")]) -> None:
    """Check a config (keys, types, counts, bases, LSOA codes, files) without running anything."""
    model = load_model(config)
    console.print(f"{config}: valid ({model.area.n} LSOAs, {model.fleet.n} units on {model.fleet.n_bases} bases)")


travel_app = typer.Typer(no_args_is_help=True, help="Travel models.")
app.add_typer(travel_app, name="travel")


@travel_app.command("build")
@user_errors
def travel_build(osm: Annotated[Path, typer.Option("--osm", help="OpenStreetMap extract (.osm.pbf, .osm, .graphml)")],
                 config: ConfigArg = None,
                 cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help="matrix cache folder")] = None,
                 quiet: QuietOpt = False) -> None:
    """Prebuild the road-network travel matrix for a config's bases and LSOAs, and print the snapping report."""
    from readiness.config import load_config
    from readiness.model import travel_model_for

    cfg = load_config(config)
    spec = {"model": "network", "osm": str(osm.resolve()), **({"cache_dir": str(cache_dir)} if cache_dir else {})}
    cfg = cfg.model_copy(update={"travel": cfg.travel.model_validate(spec)})
    model = load_model_from(cfg, config)  # computes the matrix, which the network model caches on disk
    report = travel_model_for(cfg, model.params, model.area).snap_report(model.positions)
    if not quiet:
        console.print(f"{osm}: matrix of {len(model.positions)} positions x {model.area.n} LSOAs cached")
    Console().print(str(report))


def main() -> None:  # pragma: no cover - console entry point
    app()


@app.command()
@user_errors
def exposure(config: ConfigArg = None, out: OutOpt = Path("out-exposure"),
             at: Annotated[str | None, typer.Option("--at", help="time of the week, e.g. 'Fri 21:20' "
                                                             "(default: the scenario's attack time; Fri 21:20 when it is drawn)")] = None,
             quiet: QuietOpt = False) -> None:
    """Where attacks happen: people exposed in crowded places by LSOA at a time of the week, mapped."""
    from readiness.exposure import run_exposure
    from readiness.report import exposure_outputs, prepare_out_dir, run_record, write_outputs

    began = time.perf_counter()
    prepare_out_dir(out)
    result = run_exposure(load_model(config), at=at)
    tables, figures, html = exposure_outputs(result)
    run = run_record(command="exposure", out=out, seconds=time.perf_counter() - began,
                     extra={"config_file": str(config.resolve()) if config else None})
    write_outputs(out, results=result.results, run=run, tables=tables, figures=figures, html=html)
    if not quiet:
        top = ", ".join(p["name"] for p in result.results["exposure"]["top_places"][:3])
        console.print(f"{result.results['exposure']['hour']}: most exposed {top}; "
                      f"report: {(out / 'report.html').resolve()}")
