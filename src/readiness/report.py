"""Report: write results.json, run.json, CSV tables, PNG figures and a self-contained HTML page."""

from __future__ import annotations

import base64
import ctypes
import errno
import glob
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from readiness.area import Area
from readiness.errors import ReadinessError
from readiness.registry import Parameters

if TYPE_CHECKING:  # only for annotations: these modules import report's callers, not report
    from readiness.assessment import Assessment
    from readiness.compare import Comparison
    from readiness.coverage import CoverageResult
    from readiness.exposure import ExposureResult
    from readiness.harm_fit import HarmFitResult
    from readiness.model import Model
    from readiness.model_checks import ModelChecks
    from readiness.planning import OptimiseResult
    from readiness.replay import ReplayResult
    from readiness.warmup import UnitSeries

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


MANIFEST = "manifest.json"
_STAGING, _RETIRED = ".tmp-", ".old-"  # siblings of the output folder: ``out.tmp-<pid>``, ``out.old-<pid>``


def prepare_out_dir(out: Path) -> Path:
    """Check ``out`` before any work and finish a swap a killed run left half done; stored outputs stay."""
    if out.exists() and not out.is_dir():
        raise ReadinessError(f"--out {out} exists and is not a folder")
    _recover(out.resolve())
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
                  tables: Mapping[str, pd.DataFrame], figures: Iterable[Figure], html: str,
                  files: Mapping[str, str] | None = None) -> list[Path]:
    """Write every output of a command into ``out`` as one set; returns the paths written, manifest last.

    The set is written into a sibling staging folder with ``manifest.json`` (names and SHA-256) last,
    then swapped in with one atomic exchange, so a run killed at any moment leaves ``out`` holding the
    previous complete set or the new one (docs/results.md). Files in ``out`` that no earlier run listed
    in its manifest (a user's own files) are kept. ``files`` adds other text files by name.
    """
    contents: dict[str, str | bytes] = {
        "results.json": dumps_results(results), "run.json": json.dumps(run, indent=2, default=str) + "\n",
        "report.html": html,
        **{f"{name}.csv": table.to_csv(index=False, lineterminator="\n") for name, table in tables.items()},
        **{f"figures/{figure.name}.png": figure.png for figure in figures}, **(files or {})}
    folder = prepare_out_dir(out).resolve()  # a symlinked ``out`` keeps its link: the set swaps at its target
    staging = _sibling(folder, _STAGING)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    _carry_over(folder, staging, set(contents))
    digests = {}
    for name, data in contents.items():
        raw = data.encode("utf-8") if isinstance(data, str) else data
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(staging / name, raw)
        digests[name] = hashlib.sha256(raw).hexdigest()
    write_atomic(staging / MANIFEST, json.dumps({"format": "readiness.manifest/1", "files": digests}, indent=2)
                 + "\n")
    _swap_in(staging, folder)
    return [*(out / name for name in contents), out / MANIFEST]


def read_manifest(out: Path) -> dict[str, str] | None:
    """The files (relative name to SHA-256) of the complete set in ``out``; ``None`` if it holds none."""
    try:
        files = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return files if isinstance(files, dict) else None


def is_complete_set(out: Path) -> bool:
    """Whether ``out`` holds a complete set: a manifest whose every file is there with its SHA-256."""
    files = read_manifest(out)
    if files is None:
        return False
    try:
        return all(hashlib.sha256((out / name).read_bytes()).hexdigest() == digest for name, digest in files.items())
    except OSError:
        return False


def _sibling(out: Path, tag: str, pid: int | None = None) -> Path:
    """This process's staging (or retired) folder beside ``out``."""
    return out.with_name(f"{out.name}{tag}{os.getpid() if pid is None else pid}")


def _carry_over(out: Path, staging: Path, new: set[str]) -> None:
    """Hard-link (else copy) into ``staging`` every file of ``out`` that is neither new nor an old output."""
    if not out.is_dir():
        return
    old = set(read_manifest(out) or ()) | {MANIFEST}
    for path in sorted(out.rglob("*")):
        name = path.relative_to(out).as_posix()
        if path.is_dir() and not path.is_symlink():
            (staging / name).mkdir(parents=True, exist_ok=True)
        elif name not in old and name not in new:
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if path.is_symlink():
                target.symlink_to(os.readlink(path))
                continue
            try:
                os.link(path, target)
            except OSError:
                shutil.copy2(path, target)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2(RENAME_EXCHANGE)``); ``False`` where unsupported."""
    rename = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None) if sys.platform == "linux" else None
    if rename is None:
        return False
    at_cwd, exchange = -100, 2
    if rename(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), exchange) == 0:
        return True
    if ctypes.get_errno() in (errno.EINVAL, errno.ENOSYS, errno.EXDEV):  # the filesystem cannot
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(b))


def _swap_in(staging: Path, out: Path) -> None:
    """Make ``staging`` the output folder: one atomic exchange, else two renames that ``_recover`` completes."""
    if not out.exists():
        os.rename(staging, out)
        return
    if _exchange(staging, out):
        shutil.rmtree(staging)
        return
    retired = _sibling(out, _RETIRED)
    os.rename(out, retired)  # killed here: no ``out``; the next run's ``_recover`` puts one set back
    os.rename(staging, out)
    shutil.rmtree(retired)


def _recover(out: Path) -> None:
    """Finish what a killed run left beside ``out``: restore a set if ``out`` is missing, drop leftovers.

    Only folders of processes no longer running are touched, so concurrent runs keep their own.
    """
    leftovers = sorted(p for p in out.parent.glob(f"{glob.escape(out.name)}.*-*")
                       if _owner(p, out) is not None and not _running(_owner(p, out)))
    if not out.exists():
        complete = [p for p in leftovers if _STAGING in p.name[len(out.name):] and is_complete_set(p)]
        retired = [p for p in leftovers if _RETIRED in p.name[len(out.name):]]
        chosen = (complete or retired)[:1]
        if chosen:
            os.rename(chosen[0], out)
            leftovers.remove(chosen[0])
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)


def _owner(path: Path, out: Path) -> int | None:
    """The process id in a staging or retired folder's name (``None``: not one of ours)."""
    tail = path.name[len(out.name):]
    for tag in (_STAGING, _RETIRED):
        if tail.startswith(tag) and tail[len(tag):].isdigit():
            return int(tail[len(tag):])
    return None


def _running(pid: int) -> bool:
    """Whether a process is alive (this one counts as not: its own leftovers are stale)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_record(*, command: str, out: Path, seconds: float, extra: Mapping[str, object] | None = None) -> dict:
    """What ``run.json`` holds: everything specific to this run (paths, timings, machine)."""
    return {"command": command, "argv": sys.argv, "out": str(out.resolve()), "seconds": round(seconds, 3),
            "machine": {"platform": platform.platform(), "processor": platform.processor(),
                        "cpus": os.cpu_count()},
            "software": software_versions(), **(extra or {})}


_ENV = Environment(loader=PackageLoader("readiness", "templates"), autoescape=select_autoescape(["html"]))


def render_html(template: str, **context: object) -> str:
    """Render one of the package's report templates (no remote scripts, fonts or tiles).

    With ``results`` (the run's results document) the page gets its STRESS-DES section (``readiness.stress``).
    """
    from readiness.stress import stress_des

    software = software_versions()
    results = context.get("results")
    checklist = stress_des(results, software) if isinstance(results, Mapping) else ()
    return _ENV.get_template(template).render(software=software, stress_des=checklist, **context)


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
    from readiness.harm_fit import shipped_fit

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
        "time_to_stop_mean_min": row["time_to_stop_min"]["mean"],
        "time_to_stop_p90_min": row["time_to_stop_min"]["p90"],
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
    fit = shipped_fit()
    html = render_html("assessment.html.j2", results=results, figures=figures, tables=tables,
                       parameters=model.params.entries(), horizon=horizon, site_weights=site_weights_text(model),
                       harm_fit=_harm_fit_figure(fit), harm_check=fit.checks["fbi"])
    return tables, figures, html


def coverage_outputs(result: CoverageResult) -> tuple[dict[str, pd.DataFrame], list[Figure], str]:
    """Tables, figures and HTML of ``readiness coverage`` (``readiness.coverage.CoverageResult``)."""
    model, coverage, reached_10, results = result.model, result.coverage, result.reached_10, result.results
    by_hour = coverage["by_hour"]
    thresholds = [f"{t:g}" for t in coverage["method"]["thresholds_min"]]
    hours = pd.DataFrame([{"hour_of_week": h["hour_of_week"], "label": h["label"],
                           "armed_on_duty": h["armed_on_duty"], "armed_busy": h["armed_busy"],
                           "armed_free": h["armed_free"], "share_of_time_none_free": h["none_free"],
                           **{f"share_residents_within_{t}_min": h["share_within_min"][t] for t in thresholds},
                           **{f"share_exposed_within_{t}_min": h["exposure_within_min"][t] for t in thresholds}}
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


def optimise_outputs(result: OptimiseResult) -> tuple[dict[str, pd.DataFrame], list[Figure], str]:
    """Tables, figures and HTML of ``readiness optimise`` (chosen standby sites, before and after)."""
    model, problem, plan, results = result.model, result.problem, result.plan, result.results
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


def _tornado_figure(rows: list[dict[str, object]], output: str, sites: int, top: int = 12) -> Figure:
    chosen = [r for r in rows if r["output"] == output][:top][::-1]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(chosen) + 1.5))
    base = chosen[0]["base_output"] if chosen else 0.0
    for i, row in enumerate(chosen):
        for end, colour in (("output_at_low", "#2c3e50"), ("output_at_high", "#c0392b")):
            ax.barh(i, row[end] - base, left=base, color=colour, alpha=0.8)
    ax.set_yticks(range(len(chosen)), [r["parameter"] for r in chosen])
    ax.axvline(base, color="black", linewidth=0.8)
    ax.set_xlabel(f"{output.replace('_', ' ')} (baseline, K = {sites})")
    return render_figure(fig, f"tornado_{output}", f"Which assumption moves {output.replace('_', ' ')}",
                         "Each parameter set to the low (dark) and high (red) end of its registry range, the others "
                         "at their values, on the same random numbers.")


def _pareto_figure(pareto: Mapping[str, object]) -> Figure:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    frontier = set(pareto["frontier"])
    for point in pareto["points"]:
        x, y = point["yearly_cost_gbp"] / 1e6, point["deaths_averted_per_attack"]
        ax.scatter(x, y, s=60, color="#c0392b" if point["option"] in frontier else "#7b8794", zorder=3)
        ax.annotate(point["option"], (x, y), textcoords="offset points", xytext=(5, 5), fontsize=8)
    line = sorted((p["yearly_cost_gbp"] / 1e6, p["deaths_averted_per_attack"]) for p in pareto["points"]
                  if p["option"] in frontier)
    ax.plot(*zip(*line), color="#c0392b", linewidth=1, zorder=2)
    ax.axhline(0, color="grey", linewidth=0.6)
    ax.axvline(0, color="grey", linewidth=0.6)
    ax.set_xlabel("yearly cost (GBP m; negative: saving)")
    ax.set_ylabel(f"deaths averted per attack (K = {pareto['sites']})")
    ax.grid(alpha=0.3)
    return render_figure(fig, "pareto", "Cost against deaths averted",
                         "Each option against the baseline on the same attacks; red: the Pareto frontier "
                         "(no other option is both cheaper and averts more deaths).")


def _difference_records(entries: list[dict[str, object]], metrics: Sequence[str]) -> list[dict[str, object]]:
    """Flat CSV rows from ``paired_rows`` entries: baseline, scenario, difference and its CI per metric."""
    records = []
    for entry in entries:
        row = entry["row"]
        record = {k: v for k, v in entry.items() if k != "row"} | {"sites": row["sites"]}
        for m in metrics:
            d = row[m]["difference"]
            record |= {f"{m}_baseline": row[m]["baseline"], f"{m}_scenario": row[m]["scenario"],
                       f"{m}_difference": d["mean"], f"{m}_ci95_low": d["ci95"][0], f"{m}_ci95_high": d["ci95"][1]}
        records.append(record)
    return records


def structural_plot(structural: Mapping[str, object], sites: int) -> plt.Figure:
    """Paired differences of each structural scenario at one K: minutes to first armed/unarmed and deaths."""
    scenarios = structural["scenarios"]
    metrics = (("time_to_first_armed_min", "minutes to first armed"),
               ("time_to_first_unarmed_min", "minutes to first unarmed"), ("deaths_per_attack", "deaths per attack"))
    fig, axes = plt.subplots(1, len(metrics), figsize=(11, 0.45 * len(scenarios) + 1.8), sharey=True)
    for ax, (metric, label) in zip(axes, metrics, strict=True):
        for i, scenario in enumerate(scenarios):
            d = next(r for r in scenario["by_sites"] if r["sites"] == sites)[metric]["difference"]
            low, high = (np.nan if v is None else v for v in d["ci95"])
            ax.errorbar(d["mean"], i, xerr=[[d["mean"] - low], [high - d["mean"]]], fmt="o", color="#c0392b",
                        capsize=3)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    axes[0].set_yticks(range(len(scenarios)), [s["name"] for s in scenarios])
    axes[0].invert_yaxis()
    fig.tight_layout()
    return fig


def _structural_figure(structural: Mapping[str, object], sites: int) -> Figure:
    return render_figure(structural_plot(structural, sites), "structural",
                         f"How much the answer depends on each structural choice (K = {sites})",
                         "Each switch set to its other value, everything else as in the baseline, on the same "
                         "attacks: paired difference from the baseline with its 95% CI (positive: later or worse).")


def comparison_outputs(comparison: Comparison) -> tuple[dict[str, pd.DataFrame], list[Figure], str]:
    """Tables, figures and HTML of ``readiness compare`` (``readiness.compare.Comparison``)."""
    from readiness.compare import METRICS
    from readiness.structural import STRUCTURAL_METRICS

    results = comparison.results
    differences = pd.DataFrame([{**{k: v for k, v in r.items() if k != "ci95"}, "ci95_low": r["ci95"][0],
                                 "ci95_high": r["ci95"][1]} for r in results["differences"]])
    money = pd.DataFrame([{**{k: v for k, v in r.items() if k != "deaths_averted_per_attack"},
                           "deaths_averted_per_attack": r["deaths_averted_per_attack"]["mean"],
                           "deaths_averted_ci95_low": r["deaths_averted_per_attack"]["ci95"][0],
                           "deaths_averted_ci95_high": r["deaths_averted_per_attack"]["ci95"][1]}
                          for r in results["value_for_money"]])
    costs = pd.DataFrame([{"option": o["name"], **{k: v for k, v in o["cost"].items() if k != "breakdown"},
                           **o["cost"]["breakdown"]} for o in results["options"] if o["cost"] is not None])
    tables = {"differences": differences, "value_for_money": money, "costs": costs,
              "prevention": pd.DataFrame(results["prevention"]["rows"]),
              "parameters": parameter_table(comparison.baseline.params)}
    figures = [_pareto_figure(results["pareto"])]
    structural = results.get("structural")
    if structural and structural["scenarios"]:
        tables["structural"] = pd.DataFrame(_difference_records(
            [{"scenario": s["name"], "switch": s["switch"], "value": s["value"], "row": row}
             for s in structural["scenarios"] for row in s["by_sites"]], structural["metrics"]))
        figures.append(_structural_figure(structural, results["reference_sites"]))
    if results["neighbourhood_response"]:
        tables["neighbourhood_response"] = pd.DataFrame(_difference_records(
            [{"option": r["option"], "neighbourhood_officers": r["neighbourhood_officers"], "row": row}
             for r in results["neighbourhood_response"] for row in r["by_sites"]], STRUCTURAL_METRICS))
    sensitivity = results.get("sensitivity")
    if sensitivity:
        tables["tornado"] = pd.DataFrame(sensitivity["tornado"])
        tables["money_tornado"] = pd.DataFrame(sensitivity["money_tornado"])
        if "morris" in sensitivity:
            tables["morris"] = pd.DataFrame(sensitivity["morris"])
        if "sobol" in sensitivity:
            tables["sobol"] = pd.DataFrame(sensitivity["sobol"]["rows"])
        figures += [_tornado_figure(sensitivity["tornado"], output, sensitivity["sites"])
                    for output in ("deaths_per_attack", "share_sites_waiting_over_10_min")]
    baseline = comparison.baseline
    if baseline.named_sites is None:
        figures.append(exposure_map(baseline, baseline.site_weights, name="map_site_weights",
                                    title="Where attack sites are drawn", caption=site_weights_text(baseline)))
    html = render_html("compare.html.j2", results=results, figures=figures,
                       parameters=baseline.params.entries(), metrics=METRICS, nb_metrics=STRUCTURAL_METRICS,
                       site_weights=site_weights_text(baseline))
    return tables, figures, html


def warmup_outputs(model: Model, results: Mapping[str, object], series: UnitSeries
                   ) -> tuple[dict[str, pd.DataFrame], list[Figure], str]:
    """Tables, chart and HTML of ``readiness warmup`` (ARVs busy and on duty from an empty start, MSER-5;
    the end-state check of shorter warm-ups)."""
    hours = series.minutes / 60.0
    table = pd.DataFrame({"hours_since_empty_start": np.round(hours, 6),
                          "arvs_busy_mean": np.round(series.busy.mean(axis=0), 6),
                          "arvs_busy_min": series.busy.min(axis=0), "arvs_busy_max": series.busy.max(axis=0),
                          "arvs_on_duty_mean": np.round(series.on_duty.mean(axis=0), 6)})
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(hours, table["arvs_on_duty_mean"], color="#2c3e50", label="ARVs on duty (mean)")
    ax.plot(hours, table["arvs_busy_mean"], color="#c0392b", label="ARVs busy (mean)")
    for name, style in (("arvs_busy", "--"), ("arvs_on_duty", ":")):
        ax.axvline(results["mser"][name]["hours"], color="grey", linestyle=style,
                   label=f"MSER-5 truncation, {name.replace('_', ' ')}")
    ax.axvline(results["end_state"]["recommended_hours"], color="#8e44ad", linestyle="-.",
               label="shortest warm-up passing the end-state check")
    ax.axvline(results["configured_warmup_hours"], color="#27ae60", label="configured warm-up")
    ax.set_xlabel("hours since an empty start")
    ax.set_ylabel("ARVs")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    chart = render_figure(fig, "warmup", "ARVs busy and on duty from an empty start",
                          f"Mean over {results['replications']} replications, every "
                          f"{results['method']['step_min']:g} minutes; vertical lines: the MSER-5 truncation "
                          f"points, the end-state check's shortest warm-up and the configured warm-up "
                          f"({results['configured_warmup_hours']:g} h).")
    checked = pd.DataFrame([{"warmup_hours": c["hours"], "equivalent": c["equivalent"],
                             **{f"{measure}_{field}": c[measure][field] for measure in ("arvs_busy", "arv_minutes_committed")
                                for field in ("mean", "difference", "se", "bound_90", "allowed")}}
                            for c in results["end_state"]["candidates"]])
    html = render_html("warmup.html.j2", results=results, figures=[chart], parameters=model.params.entries())
    return ({"warmup_series": table, "warmup_end_state": checked, "parameters": parameter_table(model.params)},
            [chart], html)


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


def _harm_fit_figure(result: HarmFitResult) -> Figure:
    """Predicted deaths (mean, 90% interval; leave-one-out where run) against recorded deaths, per row."""
    rows = sorted(result.rows, key=lambda r: r["recorded"])
    key = "loo" if all("loo" in r for r in rows) else "predicted"
    y = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(7, 0.22 * len(rows) + 1.2))
    colours = {"firearm": "#c0392b", "knife": "#2c3e50", "vehicle": "#27ae60", "vehicle+knife": "#8e44ad"}
    for i, row in enumerate(rows):
        p = row[key]
        ax.plot([p["p5"] + 0.5, p["p95"] + 0.5], [i, i], color=colours[row["weapon"]], lw=2, alpha=0.6)
        ax.plot(p["mean"] + 0.5, i, "|", color=colours[row["weapon"]], ms=9)
    ax.plot([r["recorded"] + 0.5 for r in rows], y, "k.", label="recorded")
    for weapon, colour in colours.items():
        ax.plot([], [], color=colour, lw=2, label=f"{weapon}: predicted 90%, mean")
    ax.set_xscale("log")
    ax.set_yticks(y, [r["id"] for r in rows], fontsize=6)
    ax.set_xlabel("deaths at the site + 0.5 (log scale)")
    ax.legend(fontsize=7, loc="lower right")
    which = "each row predicted by a fit without it (leave-one-out)" if key == "loo" else "fit on all rows"
    return render_figure(fig, "harm_fit", "Harm fit: predicted against recorded deaths per site",
                         f"Attack table rows (bombs excluded), {which}: predicted 90% interval and mean against the "
                         "recorded deaths (dots). docs/model.md, harm fitted on real attacks.")


def harm_fit_outputs(result: HarmFitResult) -> tuple[dict[str, pd.DataFrame], list[Figure], str]:
    """Tables, figures and HTML of ``readiness harm fit`` (``readiness.harm_fit.HarmFitResult``)."""
    from readiness.harm_fit import results_document

    rows = pd.DataFrame([{
        "id": r["id"], "weapon": r["weapon"], "setting": r["setting"], "attackers": r["attackers"],
        "minutes": r["minutes"], "recorded": r["recorded"],
        **{f"predicted_{k}": v for k, v in r["predicted"].items()},
        **{f"loo_{k}": v for k, v in r.get("loo", {}).items()}} for r in result.rows])
    tables = {"rows": rows, "estimates": pd.DataFrame(result.estimates), "excluded": pd.DataFrame(result.excluded,
                                                                                                   columns=["id", "reason"])}
    figures = [_harm_fit_figure(result)]
    html = render_html("harm_fit.html.j2", result=result, results=results_document(result), figures=figures,
                       tables=tables, parameters=Parameters(result.parameters).entries())
    return tables, figures, html


def validate_model_outputs(result: ModelChecks) -> tuple[dict[str, pd.DataFrame], list[Figure], str]:
    """Tables and HTML of ``readiness validate-model`` (``readiness.model_checks.ModelChecks``)."""
    checks = pd.DataFrame([{"name": c["name"], "group": c["group"], "status": c["status"], "note": c["note"],
                            "failure_means": c["failure_means"]} for c in result.checks])
    numbers = pd.DataFrame([{"check": c["name"], **n} for c in result.checks for n in c["numbers"]],
                           columns=["check", "quantity", "model", "expected", "tolerance", "ok"])
    html = render_html("validate_model.html.j2", results=result.results, figures=[],
                       parameters=Parameters().entries())
    return {"checks": checks, "numbers": numbers}, [], html


def _replay_table(result: ReplayResult) -> pd.DataFrame:
    """One row per incident: what it is, whether scored, and per metric recorded, predicted and the score."""
    from readiness.replay import METRICS

    records = []
    for incident in result.incidents:
        simulation, predicted = incident["simulation"] or {}, incident["predicted"] or {}
        record = {key: incident[key] for key in ("id", "attack_id", "force", "start_local", "weapon", "setting",
                                                 "attackers", "scored", "reason")}
        record["lsoa11cd"] = simulation.get("lsoa11cd")
        for metric in METRICS:
            record[f"{metric}_recorded"] = incident["recorded"][metric]
            record.update({f"{metric}_{k}": v for k, v in (predicted.get(metric) or {}).items()})
            record.update({f"{metric}_{k}": v for k, v in incident["comparison"].get(metric, {}).items()})
        records.append(record)
    return pd.DataFrame(records)


def _replay_incident_figure(incident: Mapping[str, object], index: int) -> Figure:
    """A small chart of one incident: predicted p5-p95 band, median and mean of each metric, the recorded value."""
    from readiness.replay import MINUTE_METRICS

    fig, (minutes, deaths) = plt.subplots(1, 2, figsize=(7.5, 1.5), gridspec_kw={"width_ratios": [2, 1]})
    for ax, metrics in ((minutes, MINUTE_METRICS), (deaths, ("deaths",))):
        for y, metric in enumerate(metrics):
            p, recorded = incident["predicted"][metric], incident["recorded"][metric]
            ax.plot([p["p5"], p["p95"]], [y, y], color="#2c3e50", lw=5, alpha=0.35, solid_capstyle="butt")
            ax.plot(p["p50"], y, "|", color="#2c3e50", ms=12, mew=2)
            ax.plot(p["mean"], y, "o", color="#2c3e50", ms=3)
            if recorded is not None:
                ax.plot(recorded, y, "D", color="#c0392b", ms=6)
        ax.set_yticks(range(len(metrics)), [m.replace("_min", "").replace("_", " ") for m in metrics], fontsize=7)
        ax.set_ylim(-0.6, len(metrics) - 0.4)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", alpha=0.3)
    minutes.set_xlabel("minutes", fontsize=7)
    deaths.set_xlabel("deaths at the site", fontsize=7)
    status = "scored" if incident["scored"] else f"not scored: {incident['reason']}"
    return render_figure(fig, f"incident_{index:02d}", str(incident["id"]),
                         f"Predicted 90% band (bar), median (tick) and mean (dot); recorded value (red diamond); {status}.")


def _replay_percentile_figure(result: ReplayResult) -> Figure:
    """Where each recorded value falls in its prediction (predicted percentile), by metric."""
    from readiness.replay import BAND, METRICS

    fig, ax = plt.subplots(figsize=(7, 2.4))
    ax.axvspan(*BAND, color="#27ae60", alpha=0.12, label=f"p{BAND[0]:g}-p{BAND[1]:g}")
    for y, metric in enumerate(METRICS):
        values = [i["comparison"][metric]["percentile"] for i in result.incidents if metric in i["comparison"]]
        ax.plot(values, [y] * len(values), "o", color="#2c3e50", alpha=0.7)
    ax.set_yticks(range(len(METRICS)), list(METRICS), fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.6, len(METRICS) - 0.4)
    ax.set_xlabel("predicted percentile of the recorded value (mid-p)")
    ax.legend(fontsize=7, loc="upper right")
    ax.grid(axis="x", alpha=0.3)
    return render_figure(fig, "replay_percentiles", "Recorded values in their predicted distributions",
                         "Each dot is one recorded value of a scored incident; a well-calibrated model puts about 90% "
                         "inside the band and spreads them evenly over 0-100.")


def replay_outputs(result: ReplayResult) -> tuple[dict[str, pd.DataFrame], list[Figure], str]:
    """Tables, figures and HTML of ``readiness replay``: a row and a small chart per incident, and the summary."""
    tables = {"incidents": _replay_table(result), "parameters": parameter_table(Parameters())}
    figures = [_replay_percentile_figure(result)]
    charts = {i["id"]: _replay_incident_figure(i, n) for n, i in enumerate(result.incidents, start=1)
              if i["predicted"] is not None}
    figures += list(charts.values())
    html = render_html("replay.html.j2", result=result, results=result.results, summary=result.summary,
                       figures=figures[:1], charts=charts, parameters=Parameters().entries())
    return tables, figures, html
