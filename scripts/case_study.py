"""The West Midlands 2015 case study: run the shipped 2015 options and write docs/west-midlands-2015.md."""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from readiness.compare import Comparison, prevention_rows, replication_metrics, run_comparison
from readiness.config import Config, ResourcesConfig, load_config
from readiness.costs import cost_per_life_saved, officers_per_post, option_cost
from readiness.engine import simulate
from readiness.errors import ConfigError
from readiness.model import Model, build_model
from readiness.options import OptionsFile, apply_options, load_options
from readiness.registry import Parameter, Parameters
from readiness.report import plt, software_versions, structural_plot
from readiness.sensitivity import model_with_parameters, ranged
from readiness.summary import paired_difference

DOCS = Path(__file__).resolve().parent.parent / "docs"
DOC_NAME = "west-midlands-2015.md"
FIGURES = Path("figures") / "west-midlands-2015"
#: Registry namespaces that change only money or the prevention section: no re-simulation needed.
NOT_SIMULATED = ("costs.", "threat.", "prevention.")
ROLE_COLOURS = {"neighbourhood": "#2e86ab", "response": "#f18f01", "firearms": "#c0392b"}


@dataclass(frozen=True)
class Settings:
    """Seed and sample sizes of the case study (the defaults are the published run)."""

    seed: int = 2015
    replications: int = 5_000
    sites: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
    sensitivity_replications: int = 1_000
    morris_trajectories: int = 8
    ranking_replications: int = 1_000
    #: Registry parameters the ranking sweep visits (``None``: every ranged one); tests sweep a few.
    ranking_parameters: tuple[str, ...] | None = None
    #: Sobol indices at K = 1 and 3: base samples (0: none), over the parameters Morris ranks highest on deaths
    #: (screen, then quantify: all 50-odd would need 50x the runs), each run at these replications.
    sobol_samples: int = 64
    sobol_parameters: int = 10
    sobol_replications: int = 200


@dataclass(frozen=True)
class CaseStudy:
    """Everything the document is written from: the comparison, the options file and the ranking sweep."""

    settings: Settings
    config: Config
    options_file: OptionsFile
    comparison: Comparison
    ranking: dict[str, object]
    seconds: float


def _end_value(entry: Parameter, value: float) -> float:
    return float(round(value)) if entry.integer else float(value)


def _option_summary(baseline: Model, options_file: OptionsFile, values: Parameters, resources: ResourcesConfig, *,
                    seed: int, replications: int, sites: int, simulate_again: bool,
                    averted: Mapping[str, float] | None) -> dict[str, dict[str, float]]:
    """Deaths averted per attack (K = ``sites``), yearly cost and lives saved per GBP m, per option."""
    model = model_with_parameters(baseline, values, resources=resources)
    applied = apply_options(model, options_file)
    if simulate_again or averted is None:
        def deaths(m: Model) -> np.ndarray:
            out = simulate(m, sites=sites, replications=replications, seed=seed)
            return out.deaths.sum(axis=1).astype(float)

        base = deaths(model)
        averted = {a.name: float((base - deaths(a.model)).mean()) for a in applied}
    rows = {}
    for a in applied:
        yearly = option_cost(a.changes, values).yearly_gbp
        lives = values["threat.attacks_per_year"] * averted[a.name]
        rows[a.name] = {"averted": averted[a.name], "yearly_gbp": yearly,
                        "lives_per_gbp_m": lives / (yearly / 1e6) if yearly > 0 and lives > 0 else 0.0}
    return rows


def _orders(rows: Mapping[str, Mapping[str, float]]) -> tuple[list[str], list[str]]:
    """Options ranked by deaths averted per attack, and the costed ones (yearly cost > 0) by lives per GBP m."""
    by_deaths = sorted(rows, key=lambda n: (-round(rows[n]["averted"], 9), n))
    costed = [n for n in rows if rows[n]["yearly_gbp"] > 0]
    by_value = sorted(costed, key=lambda n: (-round(rows[n]["lives_per_gbp_m"], 12), n))
    return by_deaths, by_value


def ranking_sensitivity(baseline: Model, options_file: OptionsFile, resources: ResourcesConfig, *, seed: int,
                        replications: int, sites: int,
                        parameters: Sequence[str] | None = None) -> dict[str, object]:
    """Which registry assumptions, at the low or high end of their range, change the order of the options.

    The baseline and every option are re-simulated (common random numbers) at each end of every ranged
    parameter that enters the simulation, with the options re-applied to the changed baseline (so a cut's
    role shares move the units it removes); money and prevention parameters re-cost the base outcomes.
    """
    params = baseline.params
    entries = [e for e in ranged(params) if parameters is None or e.name in parameters]
    if parameters is not None and len(entries) != len(set(parameters)):
        unknown = sorted(set(parameters) - {e.name for e in entries})
        raise ConfigError(f"not registry parameters with a range: {unknown}", field="ranking_parameters")
    base = _option_summary(baseline, options_file, params, resources, seed=seed, replications=replications,
                           sites=sites, simulate_again=True, averted=None)
    base_averted = {n: r["averted"] for n, r in base.items()}
    base_deaths, base_value = _orders(base)
    rows = []
    for entry in entries:
        for end, value in (("low", entry.low), ("high", entry.high)):
            values = params.overridden(**{entry.name: _end_value(entry, value)})
            summary = _option_summary(baseline, options_file, values, resources, seed=seed,
                                      replications=replications, sites=sites,
                                      simulate_again=not entry.name.startswith(NOT_SIMULATED),
                                      averted=base_averted)
            by_deaths, by_value = _orders(summary)
            rows.append({"parameter": entry.name, "end": end, "value": _end_value(entry, value),
                         "by_deaths": by_deaths, "by_value": by_value,
                         "averted": {n: r["averted"] for n, r in summary.items()},
                         "deaths_order_changed": by_deaths != base_deaths,
                         "value_order_changed": by_value != base_value})
    return {"sites": sites, "replications": replications, "base": base, "base_by_deaths": base_deaths,
            "base_by_value": base_value, "rows": rows}


def run_case_study(settings: Settings) -> CaseStudy:
    """The default comparison on the shipped 2015 options, plus the ranking sweep, at the given settings."""
    began = time.perf_counter()
    config = load_config(None)
    baseline = build_model(config)
    options_file, source = load_options(None)
    applied = apply_options(baseline, options_file, source=source)
    comparison = run_comparison(baseline, applied, replications=settings.replications, seed=settings.seed,
                                baseline_name=options_file.baseline, sites=settings.sites,
                                resources=config.resources,
                                sensitivity_replications=settings.sensitivity_replications,
                                morris_trajectories=settings.morris_trajectories,
                                sobol_samples=settings.sobol_samples if settings.morris_trajectories > 0 else 0,
                                sobol_parameters=settings.sobol_parameters,
                                sobol_replications=settings.sobol_replications)
    ranking = ranking_sensitivity(baseline, options_file, config.resources, seed=settings.seed,
                                  replications=settings.ranking_replications,
                                  sites=int(comparison.results["reference_sites"]),
                                  parameters=settings.ranking_parameters)
    return CaseStudy(settings=settings, config=config, options_file=options_file, comparison=comparison,
                     ranking=ranking, seconds=time.perf_counter() - began)


# --- formatting -------------------------------------------------------------------------------------------

def _f(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _signed(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:+,.{digits}f}"


def _ci(stats: Mapping[str, object], digits: int = 1, *, signed: bool = False, key: str = "mean") -> str:
    fmt = _signed if signed else _f
    low, high = stats["ci95"]
    return f"{fmt(stats[key], digits)} ({fmt(low, digits)} to {fmt(high, digits)})"


def _pct(stats: Mapping[str, object]) -> str:
    low, high = stats["ci95"]
    return f"{100 * stats['value']:.0f}% ({100 * low:.0f}–{100 * high:.0f}%)"


def _gbp_m(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    return f"−£{-value / 1e6:,.{digits}f}m" if value < 0 else f"£{value / 1e6:,.{digits}f}m"


def _scenario_cells(row: Mapping[str, Mapping[str, object]]) -> list[str]:
    """Minutes to first unarmed (mean, paired change), change in minutes to first armed and in deaths."""
    unarmed = row["time_to_first_unarmed_min"]
    return [f"{_f(unarmed['scenario'], 2)} ({_ci(unarmed['difference'], 2, signed=True)})",
            _ci(row["time_to_first_armed_min"]["difference"], 2, signed=True),
            _ci(row["deaths_per_attack"]["difference"], 2, signed=True)]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _entry(params: Parameters, name: str) -> Parameter:
    return next(p for p in params.entries() if p.name == name)


def _range(params: Parameters, name: str) -> str:
    e = _entry(params, name)
    return f"{e.value:,g} (range {e.low:,g}–{e.high:,g} {e.unit}; {e.source})"


# --- figures ----------------------------------------------------------------------------------------------

def _save(fig: plt.Figure, folder: Path, name: str) -> str:
    fig.savefig(folder / f"{name}.png", format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return (FIGURES / f"{name}.png").as_posix()


def _baseline_figure(by_sites: list[dict], folder: Path) -> str:
    ks = [b["sites"] for b in by_sites]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    first = [b["time_to_first_armed_min"] for b in by_sites]
    axes[0].errorbar(ks, [s["mean"] for s in first], yerr=np.array([[s["mean"] - s["ci95"][0], s["ci95"][1] - s["mean"]]
                                                                     for s in first]).T, marker="o", label="mean")
    axes[0].plot(ks, [s["p90"] for s in first], marker="s", linestyle="--", label="90th percentile")
    axes[0].set_ylabel("minutes, first shot to first armed officer")
    for key, label in (("share_sites_waiting_over_10_min", "> 10 min"), ("share_sites_waiting_over_20_min", "> 20 min")):
        axes[1].plot(ks, [100 * b[key]["value"] for b in by_sites], marker="o", label=label)
    axes[1].set_ylabel("sites waiting (%)")
    axes[1].set_ylim(0, 100)
    victims = [b["victims"] for b in by_sites]
    axes[2].errorbar(ks, [v["mean"] for v in victims], yerr=np.array([[v["mean"] - v["ci95"][0], v["ci95"][1] - v["mean"]]
                                                                      for v in victims]).T, marker="o", label="mean")
    axes[2].plot(ks, [v["p90"] for v in victims], marker="s", linestyle="--", label="90th percentile")
    axes[2].set_ylabel("deaths per attack")
    for ax in axes:
        ax.set_xlabel("simultaneous sites K")
        ax.set_xticks(ks)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return _save(fig, folder, "baseline")


def _differences_figure(results: Mapping[str, object], folder: Path) -> str:
    names = [o["name"] for o in results["options"][1:]]
    ks = results["sites"]
    titles = {"time_to_first_armed_min": "minutes to first armed officer",
              "share_sites_waiting_over_10_min": "share of sites waiting > 10 min",
              "deaths_per_attack": "deaths per attack"}
    fig, axes = plt.subplots(1, 3, figsize=(14, 0.6 * len(names) + 2), sharey=True)
    for ax, (metric, title) in zip(axes, titles.items()):
        for j, k in enumerate(ks):
            rows = {d["option"]: d for d in results["differences"] if d["metric"] == metric and d["sites"] == k}
            y = np.arange(len(names)) + (j - (len(ks) - 1) / 2) * 0.8 / len(ks)
            means = np.array([rows[n]["mean"] for n in names])
            err = np.array([[rows[n]["mean"] - rows[n]["ci95"][0], rows[n]["ci95"][1] - rows[n]["mean"]]
                            for n in names]).T
            ax.errorbar(means, y, xerr=err, fmt="o", markersize=3, label=f"K = {k}")
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(f"change in {title}", fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].set_yticks(range(len(names)), names)
    axes[0].invert_yaxis()
    axes[-1].legend(fontsize=7, loc="best")
    return _save(fig, folder, "differences")


def _cost_figure(results: Mapping[str, object], folder: Path) -> str:
    k = results["reference_sites"]
    frontier = set(results["pareto"]["frontier"])
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for row in (r for r in results["value_for_money"] if r["sites"] == k):
        x, stats = row["yearly_cost_gbp"] / 1e6, row["deaths_averted_per_attack"]
        colour = "#c0392b" if row["option"] in frontier else "#596275"
        ax.errorbar(x, stats["mean"], yerr=[[stats["mean"] - stats["ci95"][0]], [stats["ci95"][1] - stats["mean"]]],
                    fmt="o", color=colour, capsize=3)
        ax.annotate(row["option"], (x, stats["mean"]), textcoords="offset points", xytext=(6, 4), fontsize=8)
    ax.axhline(0, color="grey", linewidth=0.6)
    ax.axvline(0, color="grey", linewidth=0.6)
    ax.set_xlabel("yearly cost (GBP m; negative: a saving)")
    ax.set_ylabel(f"deaths averted per attack (K = {k}), 95% CI")
    ax.grid(alpha=0.3)
    return _save(fig, folder, "cost_vs_deaths_averted")


def _cut_figure(cuts: Sequence[tuple[str, Mapping[str, float]]], folder: Path) -> str:
    fig, ax = plt.subplots(figsize=(8, 0.8 * len(cuts) + 1.2))
    for i, (name, lost) in enumerate(cuts):
        left = 0.0
        for role, colour in ROLE_COLOURS.items():
            value = lost.get(role, 0.0)
            ax.barh(i, value, left=left, color=colour, label=role if i == 0 else None)
            left += value
    ax.set_yticks(range(len(cuts)), [name for name, _ in cuts])
    ax.set_xlabel("officers lost (full cost per officer from the registry)")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3, axis="x")
    return _save(fig, folder, "funding_cut")


def _prevention_figure(rows: Sequence[Mapping[str, object]], low: Sequence[Mapping[str, object]],
                       high: Sequence[Mapping[str, object]], folder: Path) -> str:
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(rows) + 1.4))
    for i, (row, lo, hi) in enumerate(zip(rows, low, high)):
        values = sorted([lo["expected_deaths_per_year"], hi["expected_deaths_per_year"]])
        ax.plot(values, [i, i], color="#7b8794", linewidth=3, alpha=0.6)
        ax.plot(row["expected_deaths_per_year"], i, "o", color="#2e86ab")
    ax.set_yticks(range(len(rows)), [r["option"] for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel("expected deaths per year (ASSUMPTION: prevention model; bar: elasticity range)")
    ax.grid(alpha=0.3, axis="x")
    return _save(fig, folder, "prevention_assumption")


def _tornado_figure(rows: Sequence[Mapping[str, object]], output: str, folder: Path, top: int = 12) -> str:
    chosen = [r for r in rows if r["output"] == output][:top][::-1]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(chosen) + 1.5))
    base = chosen[0]["base_output"] if chosen else 0.0
    for i, row in enumerate(chosen):
        ax.barh(i, row["output_at_low"] - base, left=base, color="#2c3e50", alpha=0.8, label="low end" if i == 0 else None)
        ax.barh(i, row["output_at_high"] - base, left=base, color="#c0392b", alpha=0.8,
                label="high end" if i == 0 else None)
    ax.set_yticks(range(len(chosen)), [r["parameter"] for r in chosen])
    ax.axvline(base, color="black", linewidth=0.8)
    ax.set_xlabel(output.replace("_", " ") + " (baseline)")
    ax.legend(fontsize=8)
    return _save(fig, folder, f"tornado_{output}")


def _ranking_figure(ranking: Mapping[str, object], folder: Path, top: int = 10) -> str:
    base = ranking["base"]
    names = list(base)
    by_param: dict[str, dict[str, dict[str, float]]] = {}
    for row in ranking["rows"]:
        by_param.setdefault(row["parameter"], {})[row["end"]] = row["averted"]
    swing = {p: max(abs(ends["high"][n] - ends["low"][n]) for n in names) for p, ends in by_param.items()}
    chosen = sorted(swing, key=lambda p: (-swing[p], p))[:top][::-1]
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(chosen) + 1.8))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for j, name in enumerate(names):
        offset = (j - (len(names) - 1) / 2) * 0.7 / len(names)
        for i, p in enumerate(chosen):
            ends = by_param[p]
            ax.plot([ends["low"][name], ends["high"][name]], [i + offset] * 2, color=colours[j % len(colours)],
                    linewidth=2, label=name if i == 0 else None)
            ax.plot(ends["high"][name], i + offset, ">", color=colours[j % len(colours)], markersize=4)
    ax.set_yticks(range(len(chosen)), chosen)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(f"deaths averted per attack (K = {ranking['sites']}), low end to high end (arrow)")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.08 - 0.3 / len(chosen)), ncol=3)
    ax.grid(alpha=0.3, axis="x")
    return _save(fig, folder, "ranking_sensitivity")


# --- the document -----------------------------------------------------------------------------------------

def _by_k_table(by_sites: list[dict], horizon: float) -> str:
    rows = [[str(b["sites"]), _ci(b["time_to_first_armed_min"]), _f(b["time_to_first_armed_min"]["p90"]),
             _pct(b["share_sites_waiting_over_10_min"]), _pct(b["share_sites_waiting_over_20_min"]),
             f"{b['sites_not_reached']:,}", _ci(b["victims"]), _f(b["victims"]["p90"])] for b in by_sites]
    return _table(["K", "minutes to first armed: mean (95% CI)", "p90 min", "sites waiting > 10 min",
                   "> 20 min", f"sites not reached in {horizon:g} min", "deaths per attack: mean (95% CI)",
                   "p90 deaths"], rows)


def _difference_tables(results: Mapping[str, object]) -> str:
    names = [o["name"] for o in results["options"][1:]]
    ks = results["sites"]
    out = []
    for metric, title, digits in (("deaths_per_attack", "Deaths per attack", 2),
                                  ("time_to_first_armed_min", "Minutes to the first armed officer", 2),
                                  ("share_sites_waiting_over_10_min", "Share of sites waiting over 10 minutes", 3)):
        cells = {(d["option"], d["sites"]): d for d in results["differences"] if d["metric"] == metric}
        rows = [[n, *(_ci(cells[(n, k)], digits, signed=True) for k in ks)] for n in names]
        out.append(f"**{title}**, option minus baseline (negative is better):\n\n"
                   + _table(["option", *(f"K = {k}" for k in ks)], rows))
    return "\n\n".join(out)


def _adjacent_pairs(study: CaseStudy) -> list[list[str]]:
    """Paired CI of the difference in deaths per attack between options adjacent in the base ranking."""
    results, outcomes = study.comparison.results, study.comparison.outcomes
    k = results["reference_sites"]
    horizon = study.comparison.baseline.params["horizon_min"]
    order = study.ranking["base_by_deaths"]
    rows = []
    for better, worse in itertools.pairwise(order):
        a = replication_metrics(outcomes[better][k], horizon)["deaths_per_attack"]
        b = replication_metrics(outcomes[worse][k], horizon)["deaths_per_attack"]
        stats = paired_difference(b, a)
        low = stats["ci95"][0]
        rows.append([f"{better} vs {worse}", _ci(stats, 2, signed=True),
                     "yes" if low is not None and low > 0 else "no (within noise)"])
    return rows


def _ranking_section(study: CaseStudy) -> str:
    ranking = study.ranking
    rows = ranking["rows"]
    deaths = [r for r in rows if r["deaths_order_changed"]]
    value = [r for r in rows if r["value_order_changed"]]
    n_params = len({r["parameter"] for r in rows})

    def listing(changed: list[dict], key: str) -> str:
        if not changed:
            return " none of them."
        return "\n" + "\n".join(f"- `{r['parameter']}` at its {r['end']} end ({r['value']:,g}): "
                                + " > ".join(r[key]) for r in changed)

    return (f"Each of the {n_params} registry parameters with a range was set to its low and then its high end, the "
            f"others at their values; the baseline and every option were re-simulated at K = {ranking['sites']} "
            f"({ranking['replications']:,} replications, same seed, the options re-applied to the changed "
            "baseline) where the parameter enters the simulation, and re-costed where it is money only.\n\n"
            f"Order by deaths averted per attack at the registry values: **{' > '.join(ranking['base_by_deaths'])}**. "
            f"Ends of a range that change this order ({len(deaths)} of {len(rows)}):"
            f"{listing(deaths, 'by_deaths')}\n\n"
            "Is the order at the registry values itself clear of noise? Paired differences in deaths per attack "
            f"between neighbours in that order (main run, K = {study.comparison.results['reference_sites']}):\n\n"
            + _table(["pair", "extra deaths per attack, second minus first (95% CI)", "clearly ordered"],
                     _adjacent_pairs(study))
            + f"\n\nOrder of the options that cost money by lives saved per £m: **{' > '.join(ranking['base_by_value'])}**. "
            f"Ends that change it ({len(value)} of {len(rows)}):{listing(value, 'by_value')}\n\n"
            "`threat.attacks_per_year` multiplies every option's lives saved by the same factor, so it can never "
            "change either order: it changes the price of a life, not which option buys more.")


def _duration(seconds: float) -> str:
    """A run time in words: seconds under two minutes, else minutes."""
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} minutes"


def render_markdown(study: CaseStudy, figures: Mapping[str, str]) -> str:
    """The case-study document: every number read from the run's results."""
    s, results = study.settings, study.comparison.results
    params = study.comparison.baseline.params
    horizon = params["horizon_min"]
    k = results["reference_sites"]
    baseline = results["options"][0]
    options = results["options"][1:]
    by_k = {b["sites"]: b for b in baseline["by_sites"]}
    fleet = baseline["fleet"]
    rate = _entry(params, "threat.attacks_per_year")
    money = {r["option"]: r for r in results["value_for_money"] if r["sites"] == k}
    cut = results["funding_cut"]
    cuts = [a for a in study.comparison.options if a.changes.cut_gbp > 0]
    versions = software_versions()
    sens = results.get("sensitivity", {})
    prevention = results["prevention"]
    per_post = officers_per_post(params)

    def life_price(name: str, value: float) -> str:
        price = cost_per_life_saved(money[name]["yearly_cost_gbp"], money[name]["deaths_averted_per_attack"]["mean"],
                                    value)
        return _gbp_m(price, 1)

    option_rows = [[o["name"], "; ".join(o["changes"]), f"{o['fleet']['armed_units']}",
                    _gbp_m(o["cost"]["yearly_gbp"]), _gbp_m(o["cost"]["one_off_gbp"])] for o in options]
    money_rows = [[n, _gbp_m(r["yearly_cost_gbp"]), _ci(r["deaths_averted_per_attack"], 2, signed=True),
                   _f(r["lives_saved_per_year"], 4), life_price(n, rate.low), life_price(n, rate.value),
                   life_price(n, rate.high)] for n, r in money.items()]
    cut_rows = []
    for a in cuts:
        lost = a.changes.officers_lost
        diff = {d["metric"]: d for d in results["differences"] if d["option"] == a.name and d["sites"] == k}
        cut_rows.append([a.name, *(_f(lost.get(role, 0.0), 0) for role in ROLE_COLOURS),
                         _f(sum(lost.values()), 0), _ci(diff["time_to_first_armed_min"], 2, signed=True),
                         _ci(diff["deaths_per_attack"], 2, signed=True)])
    cut_lines = "\n".join(f"- **{a.name}**: {a.summary[-1]}." for a in cuts)
    neighbourhood_rows = [[r["option"], _f(r["neighbourhood_officers"], 0), _f(r["neighbourhood_on_duty"], 0),
                           *_scenario_cells(next(b for b in r["by_sites"] if b["sites"] == k))]
                          for r in results["neighbourhood_response"]]
    structural = results.get("structural", {"scenarios": []})
    structural_rows = [[f"`{sc['name']}`", sc["baseline_value"],
                        *_scenario_cells(next(b for b in sc["by_sites"] if b["sites"] == k))]
                       for sc in structural["scenarios"]]
    prev_rows = [[r["option"], _f(r["neighbourhood_officers"], 0), _f(r["p_disrupted"], 3),
                  _f(r["attacks_per_year"], 4), _f(r["deaths_per_attack"], 1), _f(r["expected_deaths_per_year"], 3)]
                 for r in prevention["rows"]]
    version_rows = [[name, version] for name, version in versions.items()]
    tornado_rows = [[r["parameter"], f"{r['low']:g}–{r['high']:g}", _f(r["output_at_low"], 1),
                     _f(r["output_at_high"], 1), _f(r["swing"], 1)]
                    for r in sens.get("tornado", []) if r["output"] == "deaths_per_attack"][:8]
    money_tornado = sorted(sens.get("money_tornado", []), key=lambda r: -r["swing"])
    money_top = [[r["output"], r["parameter"], _f(r["output_at_low"], 3), _f(r["output_at_high"], 3)]
                 for r in money_tornado if r["output"].startswith("lives saved")][:6]
    morris_rows = [[r["parameter"], _f(r["mu_star"], 2), _f(r["mu_star_ci95"], 2), _f(r["sigma"], 2)]
                   for r in sens.get("morris", []) if r["output"] == "deaths_per_attack"][:8]
    assumptions = sum(p.is_assumption for p in params.entries())
    not_reached = sum(b["sites_not_reached"] for b in baseline["by_sites"])
    arm = next((o for o in options if "response cars armed" in " ".join(o["changes"])), None)

    sensitivity_text = ""
    if sens:
        sensitivity_text = (
            f"### What moves the baseline\n\nOne at a time over the registry ranges (K = {sens['sites']}, "
            f"{sens['replications']:,} replications), deaths per attack at the low and high end:\n\n"
            + _table(["parameter", "range", "deaths at low", "deaths at high", "swing"], tornado_rows)
            + f"\n\n![Tornado: deaths per attack]({figures['tornado']})\n\n")
        if morris_rows:
            sensitivity_text += (
                f"Morris screening ({sens['morris_trajectories']} trajectories; all parameters moving together), "
                "deaths per attack: μ* ranks influence, σ flags interaction:\n\n"
                + _table(["parameter", "μ*", "μ* 95% CI ±", "σ"], morris_rows) + "\n\n")
        if "sobol" in sens:
            sb = sens["sobol"]
            sobol_rows = [[str(r["sites"]), r["parameter"], _f(r["S1"], 3), _f(r["S1_ci95"], 3), _f(r["ST"], 3),
                           _f(r["ST_ci95"], 3)]
                          for k_sobol in sb["sites"] for r in sb["rows"]
                          if r["output"] == "deaths_per_attack" and r["sites"] == k_sobol]
            sensitivity_text += (
                f"Sobol indices of deaths per attack at K = {' and '.join(str(x) for x in sb['sites'])} over the "
                f"{sb['parameters']} parameters Morris ranks highest: Saltelli sampling, {sb['base_samples']} base "
                f"samples x ({sb['parameters']} + 2) = {sb['evaluations']:,} runs of {sb['replications']:,} "
                f"replications at each K, {_duration(study.comparison.seconds['sobol'])} on this machine; "
                f"95% CIs from {sb['bootstrap_resamples']} bootstrap resamples. S1: the share of the variance a "
                "parameter explains alone; ST: with its interactions (integer parameters rounded):\n\n"
                + _table(["K", "parameter", "S1", "± 95%", "ST", "± 95%"], sobol_rows) + "\n\n")
        sensitivity_text += ("Money assumptions, swept on each option's lives saved per £m (largest swings):\n\n"
                             + _table(["output", "parameter", "at low", "at high"], money_top) + "\n\n")

    return f"""# West Midlands, November 2015: the debate in numbers

<!-- Generated by scripts/case_study.py (`make case-study`); do not edit by hand. -->

On 13 November 2015 three teams of attackers killed 130 people at several places in Paris in one evening.
Within days the West Midlands police and crime commissioner was asked whether his force could cope with
a surprise attack by many attackers at several places at once. Some wanted British police routinely armed;
the Police Federation wanted more specialist firearms capacity; the commissioner wanted the question debated
properly. In the same weeks the force learned that an error in the new national funding formula would have
cost it £{cut['amount_gbp'] / 1e6:.1f}m a year ({cut['source']}), and the commissioner argued that
neighbourhood officers, usually the first cut, are where much counter-terrorism intelligence starts.

This page puts the options of that debate, as shipped in `readiness/data/options_2015.yaml`, through
Readiness on {results['area']['name']} ({results['area']['lsoas']:,} LSOAs). Every number below is read from
one run; nothing is typed by hand. Sources and ranges of every parameter are in the registry
(`readiness config default`, docs/model.md); {assumptions} of its {len(params.entries())} parameters are
assumptions with no public figure.

## How this was run

- Seed **{s.seed}**; **{s.replications:,}** replications per option and K; K (simultaneous sites) =
  {', '.join(str(x) for x in results['sites'])}; the reference K for costs, Pareto and sensitivity is **{k}**
  (Paris had three teams).
- Every option runs on the baseline's random numbers (common random numbers): replication *r* has the same
  sites, start times, notification delays and attackers in every option, so differences are paired.
- Units start the attack busy or free as the everyday workload model leaves them (`readiness.workload`).
- Doctrine: **{study.comparison.baseline.config.dispatch.doctrine}** (`dispatch.doctrine`; the default is
  `confront`, national "locate and confront" doctrine since 2017): each armed arrival engages after
  {params['doctrine.engagement_delay_min']:g} min and stops the attackers with probability
  1 − (1 − {params['doctrine.stop_probability']:g})^(officers/attackers); a failed engagement cuts the killing
  rate to {params['doctrine.suppression_factor']:g} of what it was (docs/model.md 4.2). The older rule,
  `contain` (engage only once {params['dispatch.officers_per_attacker']:g} armed officers per attacker are on
  scene), is a structural scenario: `dispatch.doctrine: contain` in a config, or the `structural` section
  of `readiness compare`.
- Travel: blue-light minutes from the `{study.comparison.baseline.config.travel.model}` model
  (docs/travel.md), times the congestion factor of the attack's hour (`travel.congestion`).
- Sensitivity: tornado and Morris screening at {s.sensitivity_replications:,} replications
  ({s.morris_trajectories} Morris trajectories); Sobol indices at K = 1 and 3 on the {s.sobol_parameters} parameters
  Morris ranks highest ({s.sobol_samples} base samples, {s.sobol_replications:,} replications a run; none when
  Morris is off); the ranking sweep at {s.ranking_replications:,} replications.
- Confidence intervals are normal 95% intervals over replications. Sites no armed officer reaches within
  {horizon:g} minutes count as waiting and enter means at {horizon:g} minutes (means are then lower bounds).
- Regenerate: `make case-study` (`python scripts/case_study.py`).

{_table(['software', 'version'], version_rows)}

## 1. The baseline: how long sites wait, and deaths per attack

The baseline fleet: {fleet['armed_units']} armed units on duty ({fleet['armed_officers']} armed officers),
{fleet['specialist_teams']} specialist (CTSFO) team(s) (regional, arriving
{params['ctsfo.external_delay_low_min']:g}–{params['ctsfo.external_delay_high_min']:g} minutes after the call) and {fleet['unarmed_units']} unarmed response units.

{_by_k_table(baseline['by_sites'], horizon)}

At K = {k}, {100 * by_k[k]['share_sites_waiting_over_10_min']['value']:.0f}% of sites wait more than 10 minutes for
the first armed officer and an attack kills {_f(by_k[k]['victims']['mean'])} people on average (Paris, 13 November
2015: 130 killed at six sites). Across all K, {not_reached:,} simulated site(s) were not reached within {horizon:g} minutes.

![Baseline by K]({figures['baseline']})

## 2. The options: what each costs a year and what it buys

{_table(['option', 'changes', 'armed units', 'yearly cost', 'one-off cost (amortised in yearly)'], option_rows)}

Yearly cost: new officers at the full cost per officer ({_range(params, 'costs.officer_full_gbp')}),
{per_post:.2f} officers per post on duty around the clock, firearms allowances and requalification,
vehicles, and training amortised over {params['costs.amortisation_years']:g} years; a cut saves its amount.

{_difference_tables(results)}

![Paired differences]({figures['differences']})

## 3. Cost per life saved

Cost per life saved = yearly cost / (attacks per year × deaths averted per attack). The attack rate is an
**assumption**: {_range(params, 'threat.attacks_per_year')}. There had been no multi-site armed attack in the
UK up to 2015; the rate scales every cost per life saved by the same factor and never changes a response
result, so the table gives the price at both ends of its range (K = {k}).

{_table(['option', 'yearly cost', 'deaths averted per attack (95% CI)', f'lives saved per year at {rate.value:g}',
         f'cost per life, {rate.low:g}/yr', f'cost per life, {rate.value:g}/yr', f'cost per life, {rate.high:g}/yr'],
        money_rows)}

"n/a": the option saves no lives (or saves money while costing lives), so there is no price of a life.
Pareto frontier (no other option both cheaper and averting more deaths, K = {k}):
**{', '.join(results['pareto']['frontier'])}**. The frontier counts response deaths only: a cut that takes
neighbourhood officers costs lives here through fewer neighbourhood responders (section 4), and its possible
cost in plots not disrupted shows only under the prevention assumption (section 5).

![Cost against deaths averted]({figures['cost']})

## 4. The £{cut['amount_gbp'] / 1e6:.1f}m formula-error cut

At a full cost of £{cut['officer_full_cost_gbp'][1] / 1e3:.1f}k per officer (range
£{cut['officer_full_cost_gbp'][0] / 1e3:.0f}k–£{cut['officer_full_cost_gbp'][2] / 1e3:.0f}k) the cut is
**{cut['officers_lost']:,} officers** ({cut['officers_lost_range'][0]:,}–{cut['officers_lost_range'][1]:,}),
out of about 7,040 officers in September 2015 (Express & Star, 28 Jan 2017). Where it falls is a choice; two ways are compared:

{_table(['option', *ROLE_COLOURS, 'total', f'change in minutes to first armed (K = {k})',
         f'change in deaths per attack (K = {k})'], cut_rows)}

{cut_lines}

Unless a split is given, a cut falls on each role in its share of the force's officers (neighbourhood
{_f(params['options.cut_share_neighbourhood'] * 100, 1)}%, response {_f(params['options.cut_share_response'] * 100, 1)}%,
firearms {_f(params['options.cut_share_firearms'] * 100, 1)}%, normalised over the three). Officers lost from
response and firearms roles are removed from the fleet as whole cars on duty ({per_post:.2f} officers per post).
Neighbourhood officers lost leave fewer neighbourhood officers and PCSOs on duty to evacuate and cordon
(a density per district, docs/model.md 4.6), so the first unarmed officer reaches a site later; that is a
response result, paired on the same attacks (K = {k}):

{_table(['option', 'neighbourhood officers left', 'on duty with PCSOs', 'minutes to first unarmed (change, 95% CI)',
         'change in minutes to first armed', 'change in deaths per attack'], neighbourhood_rows)}

Their possible effect on prevention, below, is a separate assumption.

![Officers lost by role]({figures['cut']})

## 5. Prevention: an assumption, not a result

**This section is a labelled assumption.** Nothing in it feeds the response results above. No public figure
links neighbourhood staffing to the chance that a plot is disrupted; the model below only shows what the
commissioner's argument would imply if it held with these parameters:

- chance a plot is disrupted today: {_range(params, 'prevention.disruption_probability')};
- counter-terrorism and intelligence staff: {_range(params, 'prevention.intelligence_officers')};
- weight of one neighbourhood officer against one intelligence officer: {_range(params, 'prevention.neighbourhood_weight')};
- plots missed scale as (staffing / today) ^ −elasticity, elasticity {_range(params, 'prevention.staffing_elasticity')};
- neighbourhood officers today: {_range(params, 'neighbourhood.officers')};
- attacks per year today: {rate.value:g} (the same assumption as section 3).

Expected deaths per year = plots per year × (1 − P(disrupted)) × deaths per attack (K = {prevention['sites']}):

{_table(['option', 'neighbourhood officers', 'P(disrupted)', 'attacks per year', 'deaths per attack',
         'expected deaths per year'], prev_rows)}

![Prevention (assumption)]({figures['prevention']})

The bars run from elasticity {_entry(params, 'prevention.staffing_elasticity').low:g} (staffing does not
matter) to {_entry(params, 'prevention.staffing_elasticity').high:g}.

## 6. Structural choices: how much the answer depends on them

A parameter has a range (section 7); a structural choice of the model has alternatives. Each switch below is
set to its other value, everything else as in the baseline, on the same attacks (K = {k}; paired 95% CIs):

{_table(['scenario', 'baseline value', 'minutes to first unarmed (change, 95% CI)', 'change in minutes to first armed',
         'change in deaths per attack'], structural_rows) if structural_rows else 'No structural scenarios were run.'}

A change of exactly zero means the switch does not (yet) reach the attack model's numbers.
{'' if 'structural' not in figures else chr(10) + '![Structural scenarios](' + figures['structural'] + ')' + chr(10)}
## 7. Sensitivity: which assumptions could change the ranking of options

{_ranking_section(study)}

![Ranking sensitivity]({figures['ranking']})

{sensitivity_text}## 8. Limits

- **Not a prediction.** The model answers "if an attack of this shape started at a random time, what would
  the response look like"; it does not say how likely an attack is. The attack rate
  ({rate.value:g} a year) and the prevention model are assumptions with wide ranges.
- **ARVs on duty, bases and availability are not public.** The baseline fleet
  ({_range(params, 'arv.on_duty')}) and the response hubs used as ARV bases are reasoned
  assumptions; section 7 shows how far they move the answer.
- **The harm model is fitted on a few dozen notable attacks** (the attack table, `readiness harm fit`): a kill
  rate by weapon, a factor by setting and a flight time; the weapon mix (`scenario.weapons`) is an assumption.
  Deaths per attack carry the fit's uncertainty (the registry ranges), which the confidence intervals
  (replication noise only) do not include.
- **Arming response officers** rests on one assumption, the effectiveness of an armed response officer against
  an ARV officer ({_range(params, 'options.armed_response_effectiveness')}){'' if arm is None else
  '; its cost counts training and allowances only, not the wider effects of routine arming on policing'}.
- **Costs** are a yearly model of officers, allowances, vehicles and amortised training; recruitment lead
  times (an ARV officer takes months to select and train) and the 2016 national uplift grant are not modelled.
- **The funding cut** is modelled as officers lost at a full cost per officer; the force could meet a cut
  from staff, estate or reserves instead, and where the loss falls is a parameter, not a forecast.
- **Travel** is a distance model: blue-light minutes fitted to published emergency-vehicle studies and a
  congestion profile by hour of week (docs/travel.md), not live traffic; notification delays are drawn from a
  distribution, not from real call handling.
- **Doctrine**: the chance that an engagement stops the attackers and the suppression of a failed one are
  assumptions reasoned from a handful of attacks (registry `doctrine.*`); section 6 sweeps them.
- **Replication noise**: with {s.replications:,} replications the 95% intervals above are the noise of this
  run; orders in section 7 whose neighbours differ within noise should be read as ties.
"""


def write_case_study(study: CaseStudy, docs_dir: Path) -> Path:
    """Write the figures and the markdown under ``docs_dir``; returns the document's path."""
    folder = docs_dir / FIGURES
    folder.mkdir(parents=True, exist_ok=True)
    results = study.comparison.results
    params = study.comparison.baseline.params
    cuts = [(a.name, a.changes.officers_lost) for a in study.comparison.options if a.changes.cut_gbp > 0]
    elasticity = _entry(params, "prevention.staffing_elasticity")
    names = [o["name"] for o in results["options"]]
    lost = [{}, *(a.changes.officers_lost for a in study.comparison.options)]
    deaths = [r["deaths_per_attack"] for r in results["prevention"]["rows"]]

    def prevention_at(value: float) -> list[dict[str, object]]:
        return prevention_rows(names, lost, deaths, params.overridden(**{elasticity.name: value}))

    figures = {"baseline": _baseline_figure(results["options"][0]["by_sites"], folder),
               "differences": _differences_figure(results, folder),
               "cost": _cost_figure(results, folder),
               "cut": _cut_figure(cuts, folder),
               "prevention": _prevention_figure(results["prevention"]["rows"], prevention_at(elasticity.low),
                                                prevention_at(elasticity.high), folder),
               "ranking": _ranking_figure(study.ranking, folder)}
    if results.get("structural", {}).get("scenarios"):
        figures["structural"] = _save(structural_plot(results["structural"], int(results["reference_sites"])), folder,
                                      "structural")
    if "sensitivity" in results:
        figures["tornado"] = _tornado_figure(results["sensitivity"]["tornado"], "deaths_per_attack", folder)
    path = docs_dir / DOC_NAME
    path.write_text(render_markdown(study, figures), encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> Path:
    """Run the case study and write the document; options shrink the run for tests and quick looks."""
    defaults = Settings()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=Path, default=DOCS, help="folder for the document and figures/")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--replications", type=int, default=defaults.replications)
    parser.add_argument("--sensitivity-replications", type=int, default=defaults.sensitivity_replications)
    parser.add_argument("--morris-trajectories", type=int, default=defaults.morris_trajectories)
    parser.add_argument("--ranking-replications", type=int, default=defaults.ranking_replications)
    parser.add_argument("--sobol-samples", type=int, default=defaults.sobol_samples,
                        help="Sobol base samples, a power of two (0: none; needs Morris trajectories)")
    parser.add_argument("--sobol-parameters", type=int, default=defaults.sobol_parameters)
    parser.add_argument("--sobol-replications", type=int, default=defaults.sobol_replications)
    parser.add_argument("--ranking-parameters", default=None,
                        help="comma-separated registry names for the ranking sweep (default: every ranged one)")
    args = parser.parse_args(argv)
    settings = Settings(seed=args.seed, replications=args.replications,
                        sensitivity_replications=args.sensitivity_replications,
                        morris_trajectories=args.morris_trajectories, ranking_replications=args.ranking_replications,
                        sobol_samples=args.sobol_samples, sobol_parameters=args.sobol_parameters,
                        sobol_replications=args.sobol_replications,
                        ranking_parameters=None if args.ranking_parameters is None
                        else tuple(args.ranking_parameters.split(",")))
    study = run_case_study(settings)
    path = write_case_study(study, args.docs)
    print(f"{path} written in {study.seconds:.0f} s", file=sys.stderr)
    return path


if __name__ == "__main__":
    main()
