"""Report: write results.json, run.json, CSV tables, PNG figures and a self-contained HTML page."""

from __future__ import annotations

import base64
import importlib.metadata
import json
import os
import platform
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from jinja2 import Environment, PackageLoader, select_autoescape  # noqa: E402

from readiness.area import Area  # noqa: E402
from readiness.errors import ReadinessError  # noqa: E402
from readiness.registry import Parameters  # noqa: E402

if TYPE_CHECKING:  # only for annotations: these modules import report's callers, not report
    from readiness.assessment import Assessment
    from readiness.exposure import ExposureResult
    from readiness.model import Model
    from readiness.optimise import LocationPlan
    from readiness.planning import StandbyProblem

SOFTWARE = ("readiness", "numpy", "scipy", "numba", "pandas", "geopandas", "shapely", "pyproj", "matplotlib",
            "pydantic", "highspy")


def software_versions() -> dict[str, str]:
    """Versions of Python and the packages that shape the numbers."""
    versions = {"python": platform.python_version()}
    for name in SOFTWARE:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


@dataclass
class Figure:
    """A PNG figure written to ``figures/`` and embedded in the HTML."""

    name: str
    title: str
    caption: str
    png: bytes = field(repr=False)

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode()


def render_figure(fig: plt.Figure, name: str, title: str, caption: str) -> Figure:
    """Render a matplotlib figure to PNG bytes and close it."""
    from io import BytesIO

    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return Figure(name=name, title=title, caption=caption, png=buffer.getvalue())


def lsoa_map(area: Area, values: np.ndarray, *, label: str, points: np.ndarray | None = None,
             point_label: str = "bases", cmap: str = "viridis_r", vmax: float | None = None) -> plt.Figure:
    """A choropleth of one value per LSOA, with optional points (bases, chosen sites) on top."""
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    if vmax is not None and np.nanmin(values) >= vmax:
        vmax = None  # everything beyond the cap: let the data set the scale
    if area.geometry is not None:
        frame = area.geometry.to_frame("geometry").assign(value=values)
        frame.plot(column="value", ax=ax, cmap=cmap, legend=True, vmax=vmax, linewidth=0.05,
                   edgecolor="white", legend_kwds={"label": label, "shrink": 0.7})
    else:
        scatter = ax.scatter(area.x, area.y, c=values, s=4, cmap=cmap, vmax=vmax)
        fig.colorbar(scatter, ax=ax, label=label, shrink=0.7)
    if points is not None and len(points):
        ax.scatter(points[:, 0], points[:, 1], marker="^", s=70, c="red", edgecolors="black", label=point_label,
                   zorder=5)
        ax.legend(loc="lower left")
    ax.set_axis_off()
    ax.set_aspect("equal")
    return fig


def parameter_table(params: Parameters) -> pd.DataFrame:
    """The registry as a table (value, unit, range, source, note)."""
    return pd.DataFrame(params.as_records())[["name", "value", "unit", "low", "high", "source", "note"]]


def dumps_results(results: Mapping[str, object]) -> str:
    """Canonical JSON text: sorted keys within objects are not used, order is the document's own."""
    return json.dumps(results, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def prepare_out_dir(out: Path) -> Path:
    """Create the output folder (and ``figures/``); a file in the way is a user error."""
    if out.exists() and not out.is_dir():
        raise ReadinessError(f"--out {out} exists and is not a folder")
    (out / "figures").mkdir(parents=True, exist_ok=True)
    return out


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write via a temporary file and rename, so an interrupted run never leaves half a file."""
    tmp = path.with_name(path.name + ".tmp")
    if isinstance(text, bytes):
        tmp.write_bytes(text)
    else:
        tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_outputs(out: Path, *, results: Mapping[str, object], run: Mapping[str, object],
                  tables: Mapping[str, pd.DataFrame], figures: Iterable[Figure], html: str) -> list[Path]:
    """Write every output of a command into ``out``; returns the paths written."""
    prepare_out_dir(out)
    written = []
    for name, text in (("results.json", dumps_results(results)),
                       ("run.json", json.dumps(run, indent=2, default=str) + "\n"), ("report.html", html)):
        write_atomic(out / name, text)
        written.append(out / name)
    for name, table in tables.items():
        write_atomic(out / f"{name}.csv", table.to_csv(index=False, lineterminator="\n"))
        written.append(out / f"{name}.csv")
    for figure in figures:
        write_atomic(out / "figures" / f"{figure.name}.png", figure.png)
        written.append(out / "figures" / f"{figure.name}.png")
    return written


def run_record(*, command: str, out: Path, seconds: float, extra: Mapping[str, object] | None = None) -> dict:
    """What ``run.json`` holds: everything specific to this run (paths, timings, machine)."""
    return {"command": command, "argv": sys.argv, "out": str(out.resolve()), "seconds": round(seconds, 3),
            "machine": {"platform": platform.platform(), "processor": platform.processor(),
                        "cpus": os.cpu_count()},
            "software": software_versions(), **(extra or {})}


_ENV = Environment(loader=PackageLoader("readiness", "templates"), autoescape=select_autoescape(["html"]))


def render_html(template: str, **context: object) -> str:
    """Render one of the package's report templates (no remote scripts, fonts or tiles)."""
    return _ENV.get_template(template).render(software=software_versions(), **context)


def _headline_figure(by_sites: list[dict]) -> Figure:
    ks = [row["sites"] for row in by_sites]
    fig, ax = plt.subplots(figsize=(7, 4))
    for key, label, colour in (("share_sites_waiting_over_10_min", "over 10 min", "#c0392b"),
                               ("share_sites_waiting_over_20_min", "over 20 min", "#2c3e50")):
        values = np.array([row[key]["value"] for row in by_sites])
        lows = np.array([row[key]["ci95"][0] for row in by_sites])
        highs = np.array([row[key]["ci95"][1] for row in by_sites])
        ax.errorbar(ks, values, yerr=[values - lows, highs - values], marker="o", capsize=4, label=label,
                    color=colour)
    ax.set_xlabel("attack sites starting within the window (K)")
    ax.set_ylabel("share of sites waiting for armed officers")
    ax.set_ylim(0, 1)
    ax.set_xticks(ks)
    ax.grid(alpha=0.3)
    ax.legend()
    return render_figure(fig, "headline", "Sites waiting for the first armed officers",
                         "Share of attack sites where the first armed officers arrive more than 10 (red) and "
                         "20 (dark) minutes after the first shot, with 95% confidence intervals.")


def _victims_figure(by_sites: list[dict]) -> Figure:
    ks = [row["sites"] for row in by_sites]
    mean = np.array([row["victims"]["mean"] for row in by_sites])
    low = np.array([row["victims"]["ci95"][0] for row in by_sites])
    high = np.array([row["victims"]["ci95"][1] for row in by_sites])
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.errorbar(ks, mean, yerr=[mean - low, high - mean], marker="s", capsize=4, color="#7f1d1d")
    ax.set_xlabel("attack sites (K)")
    ax.set_ylabel("deaths per attack (mean)")
    ax.set_xticks(ks)
    ax.grid(alpha=0.3)
    return render_figure(fig, "victims", "Deaths per attack",
                         "Mean deaths per attack (all sites) with 95% confidence intervals.")


def _distribution_figure(outcomes: Mapping[int, object], horizon: float) -> Figure:
    fig, ax = plt.subplots(figsize=(7, 4))
    bins = np.arange(0, horizon + 2.5, 2.5)
    for k, result in sorted(outcomes.items()):
        times = np.minimum(result.t_first_armed.ravel(), horizon)
        ax.hist(times, bins=bins, histtype="step", density=True, label=f"K = {k}", linewidth=1.4)
    ax.axvline(10, color="grey", linestyle="--", linewidth=1)
    ax.set_xlim(0, 60)
    ax.set_xlabel("minutes from first shot to first armed officers (sites beyond 60 min not shown)")
    ax.set_ylabel("density")
    ax.legend()
    return render_figure(fig, "time_to_first_armed", "How long sites wait",
                         "Distribution of the time to the first armed officers per site, by K.")


def _start_time_figure(by_start_time: list[dict]) -> Figure:
    fig, ax = plt.subplots(figsize=(7, 4))
    for row in by_start_time:
        ks = [b["sites"] for b in row["by_sites"]]
        ax.plot(ks, [b["time_to_first_armed_min"]["mean"] for b in row["by_sites"]], marker="o", label=row["start"])
    ax.set_xlabel("attack sites (K)")
    ax.set_ylabel("mean minutes to first armed officers")
    ax.grid(alpha=0.3)
    ax.legend(title="first shot")
    return render_figure(fig, "by_start_time", "When the attack starts",
                         "Mean minutes to the first armed officers by the time the attack starts: shifts and "
                         "everyday armed jobs decide how many ARVs are free and where they are.")


def assessment_outputs(assessment: Assessment) -> tuple[dict[str, pd.DataFrame], list[Figure], str]:
    """Tables, figures and HTML of an assessment (``readiness.assessment.Assessment``)."""
    from readiness.assessment import minutes_to_nearest_armed_base

    model, results = assessment.model, assessment.results
    by_sites = results["by_sites"]
    horizon = model.params["horizon_min"]
    best_case = minutes_to_nearest_armed_base(model)
    sites_table = pd.DataFrame([{
        "sites": row["sites"],
        "time_to_first_armed_mean_min": row["time_to_first_armed_min"]["mean"],
        "time_to_first_armed_ci95_low": row["time_to_first_armed_min"]["ci95"][0],
        "time_to_first_armed_ci95_high": row["time_to_first_armed_min"]["ci95"][1],
        "time_to_first_armed_p50_min": row["time_to_first_armed_min"]["p50"],
        "time_to_first_armed_p90_min": row["time_to_first_armed_min"]["p90"],
        "share_over_10_min": row["share_sites_waiting_over_10_min"]["value"],
        "share_over_10_ci95_low": row["share_sites_waiting_over_10_min"]["ci95"][0],
        "share_over_10_ci95_high": row["share_sites_waiting_over_10_min"]["ci95"][1],
        "share_over_20_min": row["share_sites_waiting_over_20_min"]["value"],
        "share_over_20_ci95_low": row["share_sites_waiting_over_20_min"]["ci95"][0],
        "share_over_20_ci95_high": row["share_sites_waiting_over_20_min"]["ci95"][1],
        "sites_not_reached": row["sites_not_reached"],
        "victims_mean": row["victims"]["mean"],
        "victims_ci95_low": row["victims"]["ci95"][0],
        "victims_ci95_high": row["victims"]["ci95"][1],
    } for row in by_sites])
    tables = {
        "by_sites": sites_table,
        "by_district": pd.DataFrame(results["by_district"]["rows"]),
        "parameters": parameter_table(model.params),
        "lsoa_minutes": pd.DataFrame({"lsoa11cd": model.area.codes, "district": model.area.districts,
                                      "residents": model.area.residents.astype(int),
                                      "best_case_minutes_to_first_armed": np.round(best_case, 3)}),
    }
    armed_bases = model.fleet.base_xy[np.unique(model.fleet.position[model.fleet.position >= 0])]
    figures = [
        _headline_figure(by_sites),
        _victims_figure(by_sites),
        _distribution_figure(assessment.outcomes, horizon),
        render_figure(lsoa_map(model.area, best_case, label="minutes", points=armed_bases, vmax=30),
                      "map_minutes_to_first_armed", "Minutes to the first armed unit, best case",
                      "Median notification delay plus blue-light travel from the nearest ARV base, if every "
                      "ARV is free at its base. Triangles: bases."),
    ]
    if model.named_sites is None:
        figures.append(exposure_map(model, model.site_weights, name="map_site_weights",
                                    title="Where attack sites are drawn", caption=site_weights_text(model)))
    if "by_start_time" in results:
        figures.insert(2, _start_time_figure(results["by_start_time"]))
        tables["by_start_time"] = pd.DataFrame([
            {"start": row["start"], "sites": b["sites"],
             "time_to_first_armed_mean_min": b["time_to_first_armed_min"]["mean"],
             "share_over_10_min": b["share_sites_waiting_over_10_min"]["value"],
             "share_over_20_min": b["share_sites_waiting_over_20_min"]["value"], "victims_mean": b["victims"]["mean"]}
            for row in results["by_start_time"] for b in row["by_sites"]])
    html = render_html("assessment.html.j2", results=results, figures=figures, tables=tables,
                       parameters=model.params.entries(), horizon=horizon, site_weights=site_weights_text(model))
    return tables, figures, html


def coverage_outputs(model: Model, coverage: Mapping[str, object], reached_10: np.ndarray,
                     results: Mapping[str, object]) -> tuple[dict[str, pd.DataFrame], list[Figure], str]:
    """Tables, figures and HTML of ``readiness coverage`` (everyday armed coverage by hour of week)."""
    by_hour = coverage["by_hour"]
    thresholds = [f"{t:g}" for t in coverage["method"]["thresholds_min"]]
    hours = pd.DataFrame([{"hour_of_week": h["hour_of_week"], "label": h["label"],
                           "armed_on_duty": h["armed_on_duty"], "armed_busy": h["armed_busy"],
                           "armed_free": h["armed_free"], "share_of_time_none_free": h["none_free"],
                           **{f"share_residents_within_{t}_min": h["share_within_min"][t] for t in thresholds}}
                          for h in by_hour])
    utilisation = pd.DataFrame([{"unit": name, "utilisation": value}
                                for name, value in coverage["utilisation"]["by_unit"].items()])
    tables = {"by_hour": hours, "utilisation": utilisation, "parameters": parameter_table(model.params),
              "lsoa_coverage": pd.DataFrame({"lsoa11cd": model.area.codes, "district": model.area.districts,
                                             "residents": model.area.residents.astype(int),
                                             "probability_reached_within_10_min": np.round(reached_10, 6)})}
    fig, ax = plt.subplots(figsize=(9, 4))
    for t in thresholds:
        ax.plot(hours["hour_of_week"], hours[f"share_residents_within_{t}_min"], label=f"within {t} min")
    ax.set_xticks(range(0, 168, 24), [h["label"][:3] for h in by_hour[::24]])
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of residents")
    ax.set_xlabel("hour of the week")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    by_hour_figure = render_figure(fig, "coverage_by_hour", "Everyday armed coverage through the week",
                                   "Share of residents a free, on-duty ARV reaches within 5, 10, 15 and 20 minutes "
                                   "of blue-light travel, by hour of the week.")
    fig, ax = plt.subplots(figsize=(7, max(3, 0.3 * len(utilisation))))
    ax.barh(utilisation["unit"], utilisation["utilisation"], color="#2c3e50")
    ax.set_xlabel("share of on-duty time busy with everyday jobs")
    utilisation_figure = render_figure(fig, "utilisation", "ARV utilisation", "Share of each ARV's working time "
                                       "spent on everyday firearms jobs and other duties.")
    armed_bases = model.fleet.base_xy[np.unique(model.fleet.position[model.fleet.position >= 0])]
    map_figure = render_figure(lsoa_map(model.area, reached_10, label="probability", points=armed_bases,
                                        cmap="viridis"), "map_coverage_10_min",
                               "Where a free ARV arrives within 10 minutes",
                               "Probability over the hours of the week that a free, on-duty ARV reaches the LSOA "
                               "within 10 minutes of blue-light travel. Triangles: bases.")
    figures = [by_hour_figure, map_figure, utilisation_figure]
    html = render_html("coverage.html.j2", results=results, coverage=coverage, figures=figures,
                       parameters=model.params.entries())
    return tables, figures, html


def optimise_outputs(model: Model, problem: StandbyProblem, plan: LocationPlan, results: Mapping[str, object]
                     ) -> tuple[dict[str, pd.DataFrame], list[Figure], str]:
    """Tables, figures and HTML of ``readiness optimise`` (chosen standby sites, before and after)."""
    within = results["request"]["within_min"]
    nearest = problem.minutes[:, plan.sites].min(axis=1)
    tables = {"plan_sites": pd.DataFrame(results["plan"]["sites"]),
              "parameters": parameter_table(model.params),
              "lsoa_minutes": pd.DataFrame({"lsoa11cd": model.area.codes,
                                            "minutes_to_nearest_planned_site": np.round(nearest, 3),
                                            "minutes_to_nearest_existing_base":
                                                np.round(problem.minutes[:, problem.existing].min(axis=1), 3)})}
    figures = [render_figure(lsoa_map(model.area, nearest, label="blue-light minutes", points=problem.xy[plan.sites],
                                      point_label="chosen standby sites", vmax=max(2 * within, 1.0)),
                             "map_plan", "The chosen standby sites",
                             "Blue-light minutes from the nearest chosen site; triangles: chosen sites.")]
    if "assessment" in results:
        before, after = results["assessment"]["before"], results["assessment"]["after"]
        fig, ax = plt.subplots(figsize=(7, 4))
        for rows, label in ((before, "existing bases"), (after, "optimised plan")):
            ks = [r["sites"] for r in rows]
            ax.plot(ks, [r["share_sites_waiting_over_10_min"]["value"] for r in rows], marker="o", label=label)
        ax.set_xlabel("attack sites (K)")
        ax.set_ylabel("share of sites waiting over 10 min")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        ax.legend()
        figures.append(render_figure(fig, "before_after", "Re-checked by simulation",
                                     "Share of attack sites waiting over 10 minutes for armed officers, with the "
                                     "existing bases and with the plan (same attacks, same seed)."))
        tables["before_after"] = pd.DataFrame([
            {"sites": b["sites"], "before_mean_min": b["time_to_first_armed_min"]["mean"],
             "after_mean_min": a["time_to_first_armed_min"]["mean"],
             "before_share_over_10": b["share_sites_waiting_over_10_min"]["value"],
             "after_share_over_10": a["share_sites_waiting_over_10_min"]["value"],
             "before_victims": b["victims"]["mean"], "after_victims": a["victims"]["mean"]}
            for b, a in zip(before, after, strict=True)])
    html = render_html("optimise.html.j2", results=results, figures=figures, tables=tables,
                       parameters=model.params.entries())
    return tables, figures, html


def site_weights_text(model: Model) -> str:
    """Plain words for where the model draws attack sites (the assess and compare reports)."""
    scenario = model.config.scenario
    if model.named_sites is not None:
        return "The sites are the ones the scenario names."
    when = (f"at {scenario.attack_time}" if scenario.attack_time
            else "at a time drawn over the week for each replication")
    choice = scenario.site_weights
    if choice == "exposure":
        what = ("where people are in crowded places " + when + ": rail stations, football grounds on match days, "
                "shopping streets and the night-time economy, and residents at home (the exposure layer; "
                "the readiness exposure command maps it at any hour)")
    elif choice in (None, "residents"):
        what = "by usual residents (where people live), the same at every hour"
    else:
        what = f"by the weights of {Path(str(choice)).name} {when}"
        places = model.exposure.report if model.exposure is not None else None
        if places is not None:
            what += (f" ({places.kept} of {places.rows} places inside the area; {places.outside} dropped beyond "
                     "the boundary tolerance)")
    return (f"Attack sites are drawn {what}. Each site takes the weights of the hour it starts in. The map shows "
            "the share of the weight in each LSOA at the configured time; the five largest are named.")


def exposure_map(model: Model, weights: np.ndarray, *, title: str, caption: str, name: str,
                 top: int = 5) -> Figure:
    """A map of site weights (share of people exposed per LSOA) with the most exposed LSOAs named."""
    share = weights / weights.sum()
    fig = lsoa_map(model.area, share, label="share of people exposed", cmap="magma_r",
                   vmax=float(np.quantile(share, 0.99)))
    ax = fig.axes[0]
    offsets = [(8, 8), (8, -14), (-70, 8), (-70, -14), (8, 22)]  # neighbouring centres: labels apart
    for rank, i in enumerate(np.argsort(-weights, kind="stable")[:top]):
        ax.annotate(str(model.area.names[i]), (model.area.x[i], model.area.y[i]), fontsize=7, zorder=6,
                    xytext=offsets[rank % len(offsets)], textcoords="offset points",
                    arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "#1a5276"},
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.8, "lw": 0})
        ax.plot(model.area.x[i], model.area.y[i], "o", ms=4, color="#1a5276", zorder=6)
    return render_figure(fig, name, title, caption)


def exposure_outputs(result: ExposureResult) -> tuple[dict[str, pd.DataFrame], list[Figure], str]:
    """Tables, figures and HTML of ``readiness exposure`` (people exposed by LSOA at one hour)."""
    model, exposure = result.model, result.results["exposure"]
    tables = {"exposure": result.frame(), "parameters": parameter_table(model.params)}
    figures = [exposure_map(model, result.weights, name="map_exposure",
                            title=f"Where attack sites are drawn, {exposure['hour']}",
                            caption="Share of the people exposed in each LSOA at that hour (the weights sites are "
                                    "drawn from); the five most exposed LSOAs are named.")]
    fig, ax = plt.subplots(figsize=(9, 4))
    layer = model.exposure
    stacks = ({name: layer.by_source[s].sum(axis=1) for s, name in enumerate(layer.sources)} if layer is not None
              else {"weight": model.site_table.sum(axis=1)})
    ax.stackplot(np.arange(168), *stacks.values(), labels=list(stacks), alpha=0.85)
    ax.axvline(result.hour, color="black", lw=1, ls="--", label=exposure["hour"])
    ax.set_xticks(range(0, 168, 24), ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    ax.set_xlabel("hour of the week")
    ax.set_ylabel("people exposed" if layer is not None else "weight")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figures.append(render_figure(fig, "exposure_by_hour", "People exposed through the week, by source",
                                 "Total over the area by hour of the week; the dashed line is the hour mapped."))
    html = render_html("exposure.html.j2", results=result.results, exposure=exposure, figures=figures,
                       parameters=[p for p in model.params.entries() if p.name.startswith("exposure.")])
    return tables, figures, html
