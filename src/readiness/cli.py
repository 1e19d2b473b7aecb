"""Command line: ``readiness assess | coverage | compare | optimise | harm fit | replay | config default |
validate | validate-model``."""

from __future__ import annotations

import contextlib
import functools
import math
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from readiness.errors import ReadinessError
from readiness.locate import LOCATION_MODELS
from readiness.precision import (
    COVERAGE_BATCH,
    COVERAGE_MAXIMUM,
    COVERAGE_MINIMUM,
    DEFAULT_BATCH,
    DEFAULT_MAXIMUM,
    DEFAULT_MINIMUM,
)
from readiness.runs_cli import NoStoreOpt, StoreOpt, record_outputs, runs_app
from readiness.warmup import CANDIDATE_HOURS, CHECK_REPLICATIONS, EQUIVALENCE_MARGIN, warmup_analysis

if TYPE_CHECKING:  # the CLI imports the heavy modules inside each command, to start fast
    from readiness.config import Config
    from readiness.model import Model
    from readiness.precision import MetricSource, PrecisionResult, SequentialRule

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
ReplicationsOpt = Annotated[str, typer.Option("--replications", help="replications per K, or 'auto' (with --precision)")]
PrecisionOpt = Annotated[str | None, typer.Option(
    "--precision", help="with --replications auto: 95% CI half-width target, e.g. 0.01 (shares), 5%, "
                        "share=0.01,deaths=0.5")]
MinRepsOpt = Annotated[int, typer.Option("--min-replications", help="--replications auto: at least this many")]
MaxRepsOpt = Annotated[int, typer.Option("--max-replications", help="--replications auto: at most this many")]
BatchOpt = Annotated[int, typer.Option("--batch", help="--replications auto: replications added per step")]


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


def finite_number(value: float | None) -> float | None:
    """Typer callback for number options: infinity (which Typer lets through a ``min=``) is a usage error."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"expected a finite number, got {value}")
    return value


@contextlib.contextmanager
def progress_bar(total: int, quiet: bool, label: str) -> Iterator[Callable[[int], None] | None]:
    """A Rich progress bar on stderr while the block runs; yields the ``progress`` callback (None when quiet)."""
    if quiet:
        yield None
        return
    bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console,
                   transient=True)
    task = bar.add_task(label, total=total)
    with bar:
        yield lambda n: bar.advance(task, n)


@app.command()
@user_errors
def assess(config: ConfigArg = None, out: OutOpt = Path("out"),
           replications: ReplicationsOpt = "10000",
           seed: SeedOpt = 2015,
           sites: Annotated[str | None, typer.Option("--sites", help="numbers of sites, e.g. 1,2,3,5,8")] = None,
           quiet: QuietOpt = False, precision: PrecisionOpt = None, min_replications: MinRepsOpt = DEFAULT_MINIMUM,
           max_replications: MaxRepsOpt = DEFAULT_MAXIMUM, batch: BatchOpt = DEFAULT_BATCH,
           store: StoreOpt = None, no_store: NoStoreOpt = False) -> None:
    """Assess K simultaneous attacks: minutes to the first armed officers, sites waiting, deaths."""
    from readiness.assessment import START_TIMES, run_assessment, site_counts
    from readiness.precision import assessment_source, parse_replications, rule_from_options
    from readiness.report import assessment_outputs, prepare_out_dir, run_record, write_outputs

    began = time.perf_counter()
    chosen = parse_sites(sites)
    fixed = parse_replications(replications)
    rule = rule_from_options(fixed, precision, minimum=min_replications, maximum=max_replications, batch=batch)
    prepare_out_dir(out)
    model = load_model(config, sites=chosen)
    decided = None
    if rule is not None:
        decided = _sequential(rule, assessment_source(model, site_counts=site_counts(model), seed=seed), quiet)
        fixed = decided.replications
    runs = len(site_counts(model)) * (1 + (len(START_TIMES) if model.config.workload.enabled else 0))
    with progress_bar(fixed * runs, quiet, "simulating") as advance:
        assessment = run_assessment(model, replications=fixed, seed=seed, progress=advance)
    if decided is not None:
        assessment.results["precision"] = decided.record
    tables, figures, html = assessment_outputs(assessment)
    run = run_record(command="assess", out=out, seconds=time.perf_counter() - began,
                     extra={"config_file": str(config.resolve()) if config else None})
    written = write_outputs(out, results=assessment.results, run=run, tables=tables, figures=figures, html=html)
    record_outputs(store, no_store, command="assess", out=out, results=assessment.results, run=run, files=written,
                   quiet=quiet)
    if not quiet:
        _print_assessment(assessment.results)
        if decided is not None:
            _print_precision(decided.record)
        console.print(f"report: {(out / 'report.html').resolve()}")


def _sequential(rule: SequentialRule, source: MetricSource, quiet: bool) -> PrecisionResult:
    """Run the sequential rule with a status line (replications are added in batches until the targets hold)."""
    from readiness.precision import choose_replications

    with console.status(f"adding replications ({rule.precision.describe()})") if not quiet else _nothing():
        return choose_replications(rule, source)


def _print_precision(record: dict) -> None:
    """One line per metric: the half-width reached against its target, and whether the rule was met."""
    state = "met" if record["met"] else "NOT met (stopped at --max-replications)"
    console.print(f"precision {record['precision']}: {state} with {record['replications']} replications "
                  f"(batches of {record['batch_size']}, at least {record['min_replications']})", highlight=False)
    for row in record["metrics"]:
        target = "not a target" if row["target_half_width"] is None else f"target ±{row['target_half_width']:g}"
        console.print(f"  {row['metric']}: {row['mean']:g} ±{row['half_width']:g} ({target})", highlight=False)


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
            replications: ReplicationsOpt = "2000",
            seed: SeedOpt = 2015,
            config: Annotated[Path | None, typer.Option("--config", help="YAML config of the baseline")] = None,
            quiet: QuietOpt = False, precision: PrecisionOpt = None, min_replications: MinRepsOpt = DEFAULT_MINIMUM,
            max_replications: MaxRepsOpt = DEFAULT_MAXIMUM, batch: BatchOpt = DEFAULT_BATCH,
            store: StoreOpt = None, no_store: NoStoreOpt = False,
            no_structural: Annotated[bool, typer.Option(
                "--no-structural", help="skip the structural scenarios (each switch flipped against the baseline)")
            ] = False,
            sobol: Annotated[int, typer.Option(
                "--sobol", help="Sobol indices at K = 1 and 3 from N base samples (a power of two; "
                                "N x (parameters + 2) runs of the sensitivity replications; 0: none)")] = 0) -> None:
    """Compare options with the baseline on the same attacks: differences, cost, Pareto, sensitivity, structure."""
    from readiness.compare import DEFAULT_SITES, run_comparison
    from readiness.config import load_config
    from readiness.forces import is_west_midlands
    from readiness.options import apply_options, load_options
    from readiness.precision import comparison_source, parse_replications, rule_from_options
    from readiness.report import comparison_outputs, prepare_out_dir, run_record, write_outputs
    from readiness.structural import scenario_count

    began = time.perf_counter()
    if sobol < 0 or (sobol & (sobol - 1)):
        raise ReadinessError(f"--sobol expects 0 or a power of two (8, 16, 32, ...), got {sobol}")
    fixed = parse_replications(replications)
    rule = rule_from_options(fixed, precision, minimum=min_replications, maximum=max_replications, batch=batch)
    prepare_out_dir(out)
    model = load_model(config)
    options_file, source = load_options(options, west_midlands=is_west_midlands(model.config))
    applied = apply_options(model, options_file, source=source)  # every option checked before any run
    decided = None
    if rule is not None:
        decided = _sequential(rule, comparison_source(model, applied, sites=DEFAULT_SITES, seed=seed), quiet)
        fixed = decided.replications
    scenarios = 0 if no_structural else scenario_count(model.config)
    with progress_bar(fixed * len(DEFAULT_SITES) * (len(applied) + 1 + scenarios), quiet, "simulating") as advance:
        comparison = run_comparison(model, applied, replications=fixed, seed=seed,
                                    baseline_name=options_file.baseline, resources=load_config(config).resources,
                                    sensitivity_replications=min(400, fixed), structural=not no_structural,
                                    sobol_samples=sobol,
                                    progress=advance)
    if decided is not None:
        comparison.results["precision"] = decided.record
    tables, figures, html = comparison_outputs(comparison)
    run = run_record(command="compare", out=out, seconds=time.perf_counter() - began,
                     extra={"config_file": str(config.resolve()) if config else None,
                            **{f"{part}_seconds": round(t, 3) for part, t in comparison.seconds.items()},
                            "options_file": str(Path(source).resolve())})
    written = write_outputs(out, results=comparison.results, run=run, tables=tables, figures=figures, html=html)
    record_outputs(store, no_store, command="compare", out=out, results=comparison.results, run=run, files=written,
                   quiet=quiet)
    if not quiet:
        _print_comparison(comparison.results)
        if decided is not None:
            _print_precision(decided.record)
        console.print(f"report: {(out / 'report.html').resolve()}")


def _print_comparison(results: dict) -> None:
    from rich.table import Table

    k = results["reference_sites"]
    table = Table(title=f"Options against {results['options'][0]['name']} (K = {k}, paired 95% CI)")
    for column in ("option", "yearly cost (GBP m)", "min to first armed", "share > 10 min", "deaths per attack"):
        table.add_column(column, justify="right")
    for option in results["options"][1:]:
        cells = [_difference_cell(d) for d in results["differences"]
                 if d["option"] == option["name"] and d["sites"] == k]
        table.add_row(option["name"], f"{option['cost']['yearly_gbp'] / 1e6:.2f}", *cells)
    Console().print(table)
    scenarios = results.get("structural", {}).get("scenarios", [])
    if scenarios:
        table = Table(title=f"Structural scenarios against the baseline (K = {k}, paired 95% CI)")
        metrics = ("time_to_first_armed_min", "time_to_first_unarmed_min", "deaths_per_attack")
        for column in ("scenario", "min to first armed", "min to first unarmed", "deaths per attack"):
            table.add_column(column, justify="right")
        for scenario in scenarios:
            row = next(r for r in scenario["by_sites"] if r["sites"] == k)
            table.add_row(scenario["name"], *(_difference_cell(row[m]["difference"]) for m in metrics))
        Console().print(table)


def _difference_cell(d: dict) -> str:
    return f"{d['mean']:+.2f} ({d['ci95'][0]:+.2f} to {d['ci95'][1]:+.2f})"


@app.command()
@user_errors
def coverage(config: ConfigArg = None, out: OutOpt = Path("out-coverage"),
             replications: Annotated[str, typer.Option(
                 "--replications", help="instants per hour of the week, or 'auto' (with --precision)")] = "200",
             seed: SeedOpt = 2015, quiet: QuietOpt = False, precision: PrecisionOpt = None,
             min_replications: MinRepsOpt = COVERAGE_MINIMUM, max_replications: MaxRepsOpt = COVERAGE_MAXIMUM,
             batch: BatchOpt = COVERAGE_BATCH, store: StoreOpt = None, no_store: NoStoreOpt = False) -> None:
    """Everyday view: share of residents a free armed unit reaches within 5/10/15/20 min, by hour of week."""
    from readiness.coverage import run_coverage
    from readiness.precision import coverage_source, parse_replications, rule_from_options
    from readiness.report import coverage_outputs, prepare_out_dir, run_record, write_outputs

    began = time.perf_counter()
    fixed = parse_replications(replications, least=1)
    rule = rule_from_options(fixed, precision, minimum=min_replications, maximum=max_replications, batch=batch)
    prepare_out_dir(out)
    model = load_model(config)
    decided = None
    if rule is not None:
        decided = _sequential(rule, coverage_source(model, seed=seed), quiet)
        fixed = decided.replications
    with console.status("simulating the week", spinner="dots") if not quiet else _nothing():
        result = run_coverage(model, seed=seed, replications=fixed)
    if decided is not None:
        result.results["precision"] = decided.record
    tables, figures, html = coverage_outputs(result)
    run = run_record(command="coverage", out=out, seconds=time.perf_counter() - began,
                     extra={"config_file": str(config.resolve()) if config else None})
    written = write_outputs(out, results=result.results, run=run, tables=tables, figures=figures, html=html)
    record_outputs(store, no_store, command="coverage", out=out, results=result.results, run=run, files=written,
                   quiet=quiet)
    if not quiet:
        shares = ", ".join(f"{100 * v:.0f}% within {t} min"
                           for t, v in result.coverage["share_within_min"].items())
        exposed = ", ".join(f"{100 * v:.0f}%" for v in result.coverage["exposure_within_min"].values())
        console.print(f"residents reached by a free ARV: {shares} (people exposed: {exposed}); "
                      f"report: {(out / 'report.html').resolve()}")
        if decided is not None:
            _print_precision(decided.record)


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield


@app.command()
@user_errors
def optimise(config: ConfigArg = None, out: OutOpt = Path("out-optimise"),
             model_name: Annotated[str, typer.Option("--model", help="; ".join(
                 f"{name}: {entry.question}" for name, entry in LOCATION_MODELS.items()))] = "mclp",
             units: Annotated[int | None, typer.Option("--units", min=1, help="units to place (default: ARVs on duty)")]
             = None,
             within: Annotated[float, typer.Option("--within", min=0.0, callback=finite_number,
                                                    help="coverage standard, blue-light minutes")]
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
             weights: Annotated[str, typer.Option(
                 "--weights", help="demand the plan serves: exposure (at the attack time), residents, week "
                                   "(the site weights averaged over the week)")] = "exposure",
             assess_plan: Annotated[bool, typer.Option("--assess", help="re-check the plan by simulation")] = False,
             replications: Annotated[int, typer.Option("--replications", min=2, help="replications per K for --assess")]
             = 2_000,
             seed: SeedOpt = 2015, quiet: QuietOpt = False, store: StoreOpt = None,
             no_store: NoStoreOpt = False) -> None:
    """Where should armed units stand by, and how many are needed? Optionally re-checked by simulation."""
    from readiness.planning import PLANNING_WEIGHTS, location_model, run_optimise
    from readiness.report import optimise_outputs, prepare_out_dir, run_record, write_outputs

    location_model(model_name)  # a bad --model or --weights fails before the model is built
    if weights not in PLANNING_WEIGHTS:
        raise ReadinessError(f"--weights must be one of {', '.join(PLANNING_WEIGHTS)}, got {weights!r}")
    began = time.perf_counter()
    prepare_out_dir(out)
    model = load_model(config)
    with console.status("optimising", spinner="dots") if not quiet else _nothing():
        result = run_optimise(model, model_name=model_name, units=units, within=within, busy_fraction=busy_fraction,
                              fix_existing=fix_existing, method=method, per_shift=per_shift, assess_plan=assess_plan,
                              replications=replications, seed=seed, weights=weights)
    tables, figures, html = optimise_outputs(result)
    run = run_record(command="optimise", out=out, seconds=time.perf_counter() - began,
                     extra={"config_file": str(config.resolve()) if config else None,
                            "solve_seconds": result.plan.solve_seconds})
    written = write_outputs(out, results=result.results, run=run, tables=tables, figures=figures, html=html)
    record_outputs(store, no_store, command="optimise", out=out, results=result.results, run=run, files=written,
                   quiet=quiet)
    if not quiet:
        summary = result.results["plan"]
        console.print(f"{model_name}: {summary['n_sites']} sites, {100 * summary['share_weight_within_standard']:.1f}% "
                      f"of demand within {within:g} min ({result.plan.status}, gap {result.plan.gap:.2g}); "
                      f"report: {(out / 'report.html').resolve()}")


@config_app.command("default")
@user_errors
def config_default(config: ConfigArg = None) -> None:
    """Print the full default configuration as YAML (every default made explicit; a force's with its config)."""
    from readiness.area import load_area
    from readiness.config import config_to_yaml, load_config
    from readiness.forces import default_bases_for, parameters_for
    from readiness.resources import resolve_resources

    cfg = load_config(config)
    params = parameters_for(cfg)
    bases = None if cfg.resources.bases is not None else default_bases_for(cfg, load_area(cfg.area), params)
    resolved = cfg.model_copy(update={"resources": resolve_resources(cfg.resources, params, bases),
                                      "parameters": dict(params)})
    sys.stdout.write(config_to_yaml(resolved))


@app.command()
@user_errors
def validate(config: Annotated[Path, typer.Argument(help="YAML config to check")]) -> None:
    """Check a config (keys, types, counts, bases, LSOA codes, files) without running anything."""
    model = load_model(config)
    console.print(f"{config}: valid ({model.area.n} LSOAs, {model.fleet.n} units on {model.fleet.n_bases} bases)")


areas_app = typer.Typer(no_args_is_help=True, help="The police force areas of England and Wales.")
app.add_typer(areas_app, name="areas")


@areas_app.command("list")
@user_errors
def areas_list() -> None:
    """Print the 43 forces (``area: {force: NAME | CODE}``): code, name, LSOAs, residents, officers, km2."""
    from readiness.forces import areas_table

    table = areas_table()
    sys.stdout.write(f"{'code':<10} {'name':<22} {'LSOAs':>6} {'residents':>10} {'officers':>8} {'km2':>8}\n")
    for row in table.itertuples(index=False):
        sys.stdout.write(f"{row.code:<10} {row.name:<22} {row.lsoas:>6} {row.residents:>10} "
                         f"{row.officers_2019:>8} {row.area_km2:>8.0f}\n")


harm_app = typer.Typer(no_args_is_help=True, help="The harm model: fit it on the table of real attacks.")
app.add_typer(harm_app, name="harm")


@harm_app.command("fit")
@user_errors
def harm_fit(attacks: Annotated[Path | None, typer.Argument(help="attack table CSV (default: the shipped table)",
                                                            show_default=False)] = None,
             out: OutOpt = Path("out-harm-fit"), seed: SeedOpt = 0,
             loo: Annotated[bool, typer.Option("--loo/--no-loo", help="leave-one-out predictive checks")] = True,
             quiet: QuietOpt = False, store: StoreOpt = None, no_store: NoStoreOpt = False) -> None:
    """Fit harm (kill rate by weapon, factor by setting, flight time) on an attack table; writes a parameters file."""
    from readiness.attacks import load_attacks
    from readiness.harm_fit import fit_harm, parameters_yaml, results_document
    from readiness.report import harm_fit_outputs, prepare_out_dir, run_record, write_outputs

    began = time.perf_counter()
    prepare_out_dir(out)
    result = fit_harm(load_attacks(attacks), seed=seed, loo=loo)
    results = results_document(result)
    tables, figures, html = harm_fit_outputs(result)
    run = run_record(command="harm fit", out=out, seconds=time.perf_counter() - began,
                     extra={"attacks_file": str(Path(result.source).resolve())})
    written = write_outputs(out, results=results, run=run, tables=tables, figures=figures, html=html,
                            files={"parameters.yaml": parameters_yaml(result)})
    record_outputs(store, no_store, command="harm fit", out=out, results=results, run=run, files=written,
                   quiet=quiet)
    if not quiet:
        loo_line = (f"; leave-one-out: {result.checks['loo']['share_within_p5_p95']:.0%} of rows in their 90% "
                    "interval" if loo else "")
        console.print(f"harm fit on {len(result.rows)} sites: firearm kill rate "
                      f"{result.parameters['harm.kill_rate_per_attacker_min']:.2f}/min per attacker, flight "
                      f"{result.parameters['harm.flight_time_min']:.0f} min{loo_line}; parameters: "
                      f"{(out / 'parameters.yaml').resolve()}", highlight=False)
        fbi = result.checks["fbi"]
        held = fbi["held_out_2014_2019"]["predicted_deaths_per_incident"]
        console.print(f"FBI check: {fbi['at_fbi_locations']['mean']:.1f} deaths per incident predicted at the FBI's "
                      f"location mix against {fbi['fbi_deaths_per_incident']:.2f}; population factor "
                      f"{fbi['population_factor']['mean']:.2f}, held out on 2014-2019: {held['mean']:.1f} "
                      f"({held['p5']:.1f}-{held['p95']:.1f}) against {held['recorded']:.2f}", highlight=False)


@app.command()
@user_errors
def replay(attacks: Annotated[Path | None, typer.Argument(help="attack table CSV (default: the shipped table)",
                                                          show_default=False)] = None,
           out: OutOpt = Path("out-replay"),
           replications: Annotated[int, typer.Option("--replications", help="replications per attack")] = 1000,
           seed: SeedOpt = 2015,
           ids: Annotated[str | None, typer.Option("--ids", help="only these row ids or attack_ids, e.g. "
                                                                 "UK-READING-2020,UK-BIRMINGHAM-2020")] = None,
           quiet: QuietOpt = False, store: StoreOpt = None, no_store: NoStoreOpt = False) -> None:
    """Replay real attacks, each in its force at its hour, and score the predictions against what happened."""
    from readiness.attacks import load_attacks
    from readiness.replay import attack_count, run_replay
    from readiness.report import prepare_out_dir, replay_outputs, run_record, write_outputs

    began = time.perf_counter()
    prepare_out_dir(out)
    table = load_attacks(attacks)
    chosen = None if ids is None else [i.strip() for i in ids.split(",") if i.strip()]
    with progress_bar(attack_count(table, chosen) * replications, quiet, "replaying") as advance:
        result = run_replay(table, replications=replications, seed=seed, ids=chosen, progress=advance)
    tables, figures, html = replay_outputs(result)
    run = run_record(command="replay", out=out, seconds=time.perf_counter() - began,
                     extra={"attacks_file": str(Path(result.source).resolve())})
    written = write_outputs(out, results=result.results, run=run, tables=tables, figures=figures, html=html)
    record_outputs(store, no_store, command="replay", out=out, results=result.results, run=run, files=written,
                   quiet=quiet)
    if not quiet:
        s = result.summary
        share = "no recorded value scored" if s["share_within_p5_p95"] is None else (
            f"{s['share_within_p5_p95']:.0%} of {s['recorded_values']} recorded values inside p5-p95")
        console.print(f"replayed {s['reported']} rows, {s['scored']} scored: {share}; "
                      f"report: {(out / 'report.html').resolve()}", highlight=False)


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
def warmup(config: ConfigArg = None, out: OutOpt = Path("out-warmup"),
           replications: Annotated[int, typer.Option("--replications", help="trajectories from an empty start")] = 20,
           hours: Annotated[float, typer.Option("--hours", help="hours followed after the empty start")] = 72.0,
           step: Annotated[float, typer.Option("--step", help="minutes between readings")] = 5.0,
           check_replications: Annotated[int, typer.Option(
               "--check-replications", help="replications of each warm-up in the end-state check")] = CHECK_REPLICATIONS,
           margin: Annotated[float, typer.Option(
               "--margin", help="end-state check: equivalence margin, relative to the reference")] = EQUIVALENCE_MARGIN,
           seed: SeedOpt = 2015, quiet: QuietOpt = False, store: StoreOpt = None,
           no_store: NoStoreOpt = False) -> None:
    """How long a warm-up the everyday workload needs: MSER-5 on ARVs busy and on duty from an empty start,
    and the state at the first shot after shorter warm-ups checked against the longest (--hours)."""
    from readiness.report import prepare_out_dir, run_record, warmup_outputs, write_outputs

    began = time.perf_counter()
    prepare_out_dir(out)
    model = load_model(config)
    readings = round(hours * 60.0 / step) if step > 0 and hours > 0 else 0
    checks = sum(1 for h in CANDIDATE_HOURS if h < hours)
    with progress_bar(readings + checks, quiet, "warming up") as advance:
        results, series = warmup_analysis(model, seed=seed, replications=replications, hours=hours, step_min=step,
                                          check_replications=check_replications, margin=margin, progress=advance)
    tables, figures, html = warmup_outputs(model, results, series)
    run = run_record(command="warmup", out=out, seconds=time.perf_counter() - began,
                     extra={"config_file": str(config.resolve()) if config else None})
    written = write_outputs(out, results=results, run=run, tables=tables, figures=figures, html=html)
    record_outputs(store, no_store, command="warmup", out=out, results=results, run=run, files=written, quiet=quiet)
    if not quiet:
        check = results["end_state"]
        found = (f"the state at the first shot after {check['recommended_hours']:g} h is that after {hours:g} h"
                 if check["recommended_hours"] < hours else f"no warm-up shorter than {hours:g} h passed")
        console.print(f"warm-up: ARVs busy settle after {results['mser']['arvs_busy']['hours']} h (MSER-5); "
                      f"{found} (end-state check); recommended {results['recommended_warmup_hours']:g} h, configured "
                      f"{results['configured_warmup_hours']:g} h; report: {(out / 'report.html').resolve()}")


@app.command()
@user_errors
def exposure(config: ConfigArg = None, out: OutOpt = Path("out-exposure"),
             at: Annotated[str | None, typer.Option("--at", help="time of the week, e.g. 'Fri 21:20' "
                                                             "(default: the scenario's attack time; Fri 21:20 when it is drawn)")] = None,
             quiet: QuietOpt = False, store: StoreOpt = None, no_store: NoStoreOpt = False) -> None:
    """Where attacks happen: people exposed in crowded places by LSOA at a time of the week, mapped."""
    from readiness.exposure import run_exposure
    from readiness.report import exposure_outputs, prepare_out_dir, run_record, write_outputs

    began = time.perf_counter()
    prepare_out_dir(out)
    result = run_exposure(load_model(config), at=at)
    tables, figures, html = exposure_outputs(result)
    run = run_record(command="exposure", out=out, seconds=time.perf_counter() - began,
                     extra={"config_file": str(config.resolve()) if config else None})
    written = write_outputs(out, results=result.results, run=run, tables=tables, figures=figures, html=html)
    record_outputs(store, no_store, command="exposure", out=out, results=result.results, run=run, files=written,
                   quiet=quiet)
    if not quiet:
        top = ", ".join(p["name"] for p in result.results["exposure"]["top_places"][:3])
        console.print(f"{result.results['exposure']['hour']}: most exposed {top}; "
                      f"report: {(out / 'report.html').resolve()}")


app.add_typer(runs_app, name="runs")


@app.command("validate-model")
@user_errors
def validate_model(out: OutOpt = Path("out-validate"),
                   subset: Annotated[str, typer.Option("--subset", help="full, or ci: the fast subset (closed forms, "
                                                                         "warm-up, hypercube, replay of two rows)")] = "full",
                   fast: Annotated[bool, typer.Option("--fast", help="the same as --subset ci")] = False,
                   docs: Annotated[Path | None, typer.Option("--docs", help="also write this run as Markdown "
                                                                            "(make validate: docs/validation.md)")] = None,
                   seed: SeedOpt = 2015, quiet: QuietOpt = False, store: StoreOpt = None,
                   no_store: NoStoreOpt = False) -> None:
    """Run every check of the model (closed forms, warm-up, hypercube, SimPy reference, spopt, harm fit, replay); exit 1 if
    one fails."""
    from readiness.model_checks import markdown, run_model_checks
    from readiness.report import (
        prepare_out_dir,
        run_record,
        validate_model_outputs,
        write_atomic,
        write_outputs,
    )

    began = time.perf_counter()
    prepare_out_dir(out)
    progress = None if quiet else (lambda name: console.print(f"checking: {name}", highlight=False))
    result = run_model_checks(subset="ci" if fast else subset, seed=seed, progress=progress)  # type: ignore[arg-type]
    tables, figures, html = validate_model_outputs(result)
    run = run_record(command="validate-model", out=out, seconds=time.perf_counter() - began,
                     extra={"check_seconds": result.seconds})
    written = write_outputs(out, results=result.results, run=run, tables=tables, figures=figures, html=html)
    record_outputs(store, no_store, command="validate-model", out=out, results=result.results, run=run,
                   files=written, quiet=quiet)
    if docs is not None:
        docs.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(docs, markdown(result.results))
    if not quiet:
        s = result.results["summary"]
        console.print(f"{s['checks']} checks: {s['pass']} passed, {s['fail']} failed, {s['skip']} skipped"
                      + (f" (failed: {'; '.join(result.failed)})" if result.failed else "")
                      + f"; report: {(out / 'report.html').resolve()}", highlight=False)
    if result.failed:
        raise typer.Exit(1)
