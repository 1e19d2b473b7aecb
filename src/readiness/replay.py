"""Replay real attacks: each attack run in its force at its hour, predictions set beside what was recorded.

``readiness replay`` (docs/replay.md). Each attack of an attack table (its rows grouped by ``attack_id``;
rows of one attack in different forces run as one attack per force) is simulated in its force
(``area: {force}``) with that force's default resources, at the local day and time of its first row
(``scenario.attack_time``), with the rows as named sites at their coordinates (the nearest LSOA), each
fixing its start, attackers, weapon and setting (``config.NamedSite``). The predictions of every row
(minutes from the first call and from the start to the first armed officers, deaths at the site) are
scored against the recorded values: inside the predicted p5-p95 band or not, and the recorded value's
predicted percentile (mid-p). No recorded column enters a simulation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from readiness import __version__
from readiness.area import to_area_crs
from readiness.attacks import (
    UNSCORED_ABROAD,
    UNSCORED_BOMB,
    UNSCORED_NO_START,
    AttackRow,
    AttackTable,
    load_attacks,
)
from readiness.config import WEEKDAYS, WGS84, NamedSite, config_from_mapping
from readiness.engine import Outcomes, simulate
from readiness.errors import ConfigError, DataError
from readiness.forces import Force, lookup_force
from readiness.model import Model, build_model, derive_model
from readiness.registry import Parameters
from readiness.summary import censored, rounded

RESULTS_FORMAT = "readiness.replay/1"
#: The predicted quantities, each with the attack-table column its recorded value is read from.
METRICS: dict[str, str] = {"call_to_first_armed_min": "minutes_call_to_first_armed",
                           "start_to_first_armed_min": "minutes_start_to_first_armed",
                           "deaths": "deaths"}
MINUTE_METRICS = ("call_to_first_armed_min", "start_to_first_armed_min")
#: The band a recorded value is scored against (predicted percentiles).
BAND = (5.0, 95.0)
#: Replications below this give no meaningful percentiles.
MIN_REPLICATIONS = 2


@dataclass(frozen=True)
class ReplayResult:
    """The replay of an attack table: one incident per row, the summary of the scores, the results document."""

    incidents: list[dict[str, object]]
    summary: dict[str, object]
    source: str
    seed: int
    replications: int
    forces: list[dict[str, object]]

    @property
    def results(self) -> dict[str, object]:
        """The ``readiness.replay/1`` results document (docs/results.md)."""
        return {"format": RESULTS_FORMAT, "version": __version__, "source": Path(self.source).name,
                "seed": self.seed, "replications": self.replications, "method": METHOD,
                "forces": self.forces, "summary": self.summary, "incidents": self.incidents,
                "parameters": Parameters().as_records()}


METHOD = {
    "attack": "rows grouped by attack_id (and force); each attack runs in its force (area.force) with its default "
              "resources at the local day and time of its earliest row (minute resolution)",
    "sites": "each row a named site at its coordinates (the nearest LSOA centroid), fixing its start (minutes after "
             "the attack's earliest row), attackers, weapon and setting; everything else is drawn",
    "call_to_first_armed_min": "minutes to the first armed arrival less the shot-to-call part of the notification "
                               "delay (notify.call_median_min / notify.median_min of it)",
    "censoring": "a site no armed officer reaches within the horizon counts at the horizon",
    "quantiles": "minutes: linear interpolation; deaths: the inverted empirical CDF (whole numbers)",
    "percentile": "mid-p: 100 (P(X < x) + P(X = x) / 2) over the replications",
    "band": f"recorded value within the predicted p{BAND[0]:g}-p{BAND[1]:g} (inclusive)",
    "independence": "no recorded column (first call, first armed, stop times and minutes, deaths, injured) enters "
                    "a simulation",
}


def run_replay(table: AttackTable | None = None, *, replications: int = 1000, seed: int = 2015,
               ids: Sequence[str] | None = None,
               progress: Callable[[int], None] | None = None) -> ReplayResult:
    """Replay the attacks of ``table`` (default: the shipped table), or only the rows or attacks ``ids`` name.

    ``progress`` is called with the replications done after each attack's simulation.
    """
    if replications < MIN_REPLICATIONS:
        raise ConfigError(f"expected at least {MIN_REPLICATIONS} replications, got {replications}",
                          field="replications")
    table = load_attacks() if table is None else table
    rows = _selected(table, ids)
    numbers = {row.id: number for number, row in enumerate(table.rows, start=1)}
    models = _ForceModels()
    incidents: dict[str, dict[str, object]] = {}
    for group in _groups(rows):
        runnable = [row for row in group if _not_run(row) is None]
        predicted: dict[str, dict[str, object]] = {}
        if runnable:
            model, positions = models.attack(runnable, numbers, table.source)
            outcomes = simulate(model, sites=len(runnable), replications=replications, seed=seed)
            predicted = _predictions(model, runnable, positions, outcomes)
            if progress is not None:
                progress(replications)
        for row in group:
            incidents[row.id] = _incident(row, predicted.get(row.id))
    ordered = [incidents[row.id] for row in rows]
    return ReplayResult(incidents=ordered, summary=summarise(ordered), source=table.source, seed=seed,
                        replications=replications, forces=models.records())


def attack_count(table: AttackTable | None = None, ids: Sequence[str] | None = None) -> int:
    """How many simulations :func:`run_replay` runs (attacks per force with a row to run): for a progress bar."""
    rows = _selected(load_attacks() if table is None else table, ids)
    return sum(any(_not_run(row) is None for row in group) for group in _groups(rows))


# --- scoring -------------------------------------------------------------------------------------------------


def quantiles(samples: np.ndarray, *, discrete: bool = False) -> dict[str, float | None]:
    """``{mean, p5, p50, p95}`` of predicted samples (whole-number quantiles for counts)."""
    values = np.asarray(samples, dtype=float)
    method = "inverted_cdf" if discrete else "linear"
    p5, p50, p95 = np.percentile(values, [BAND[0], 50.0, BAND[1]], method=method)
    return {"mean": rounded(values.mean()), "p5": rounded(p5), "p50": rounded(p50), "p95": rounded(p95)}


def score(samples: np.ndarray, recorded: float, band: Mapping[str, float | None]) -> dict[str, object]:
    """Whether a recorded value lies in the predicted p5-p95 ``band`` (the samples' :func:`quantiles`, computed
    once for the results), and its predicted mid-p percentile."""
    values = np.asarray(samples, dtype=float)
    below, equal = float(np.mean(values < recorded)), float(np.mean(values == recorded))
    return {"within_p5_p95": bool(band["p5"] <= recorded <= band["p95"]),
            "percentile": rounded(100.0 * (below + equal / 2.0))}


def summarise(incidents: Sequence[dict[str, object]]) -> dict[str, object]:
    """Counts, the share of recorded values inside their band by metric, and the mean absolute error of medians.

    ``reported``: every row in the output; ``scored``: rows whose recorded values are scored;
    ``excluded``: rows reported but not scored (``not_scored``: how many for each reason).
    """
    scored = [i for i in incidents if i["scored"]]
    reasons: dict[str, int] = {}
    for incident in incidents:
        if not incident["scored"]:
            reasons[str(incident["reason"])] = reasons.get(str(incident["reason"]), 0) + 1
    by_metric = {}
    for metric in METRICS:
        pairs = [(i["comparison"][metric], i["recorded"][metric], i["predicted"][metric]["p50"])
                 for i in scored if metric in i["comparison"]]
        by_metric[metric] = {"recorded_values": len(pairs), "within_p5_p95": sum(c["within_p5_p95"] for c, _, _ in pairs),
                             "share_within_p5_p95": _share([c["within_p5_p95"] for c, _, _ in pairs]),
                             "mean_abs_error_of_median": _mae([(r, m) for _, r, m in pairs])}
    values = sum(m["recorded_values"] for m in by_metric.values())
    within = sum(m["within_p5_p95"] for m in by_metric.values())
    minutes = [(i["recorded"][m], i["predicted"][m]["p50"]) for i in scored for m in MINUTE_METRICS
               if m in i["comparison"]]
    return {"reported": len(incidents), "scored": len(scored), "excluded": len(incidents) - len(scored),
            "not_scored": reasons, "recorded_values": values,
            "share_within_p5_p95": rounded(within / values) if values else None,
            "mean_abs_error_of_median": {"minutes": _mae(minutes), "deaths": by_metric["deaths"]["mean_abs_error_of_median"]},
            "by_metric": by_metric}


def _share(flags: Sequence[bool]) -> float | None:
    return rounded(sum(flags) / len(flags)) if flags else None


def _mae(pairs: Sequence[tuple[float, float]]) -> float | None:
    """Mean absolute error of the predicted medians against the recorded values (None: nothing recorded)."""
    return rounded(float(np.mean([abs(r - m) for r, m in pairs]))) if pairs else None


# --- rows, attacks and forces --------------------------------------------------------------------------------


def _selected(table: AttackTable, ids: Sequence[str] | None) -> list[AttackRow]:
    """The rows ``ids`` names (a row's ``id`` or an ``attack_id``: all its rows), in table order; all when None."""
    if ids is None:
        return list(table.rows)
    known = {row.id for row in table.rows} | {row.attack_id for row in table.rows}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise DataError(f"unknown id(s) {unknown}; expected row ids or attack_ids of the table", source=table.source)
    wanted = set(ids)
    return [row for row in table.rows if row.id in wanted or row.attack_id in wanted]


def _groups(rows: Sequence[AttackRow]) -> list[list[AttackRow]]:
    """Rows by (attack, force), in order of first appearance: an attack across forces runs once in each."""
    groups: dict[tuple[str, str], list[AttackRow]] = {}
    for row in rows:
        groups.setdefault((row.attack_id, row.force), []).append(row)
    return list(groups.values())


def _not_run(row: AttackRow) -> str | None:
    """Why a row cannot be simulated (None: it can): a bomb, outside England and Wales, no start time."""
    if row.weapon == "bomb":
        return UNSCORED_BOMB
    if lookup_force(row.force) is None:
        return UNSCORED_ABROAD
    if row.start_local is None:
        return UNSCORED_NO_START
    return None


class _ForceModels:
    """Each force's model, built once per run (the Met's travel matrix is large), and the attack's copies."""

    def __init__(self) -> None:
        self._models: dict[str, Model] = {}

    def base(self, force: Force) -> Model:
        """The force's model with its default resources."""
        if force.code not in self._models:
            self._models[force.code] = build_model(config_from_mapping({"area": {"force": force.code}},
                                                                       source=f"force {force.name}"))
        return self._models[force.code]

    def attack(self, rows: Sequence[AttackRow], numbers: dict[str, int],
               source: str) -> tuple[Model, list[tuple[float, float]]]:
        """The force's model with the attack's rows as named sites, at the local time of its earliest row, and
        the rows' positions in the area's CRS."""
        force = lookup_force(rows[0].force)
        assert force is not None  # runnable rows name a force
        base = self.base(force)
        first = min(row.start_local for row in rows)  # type: ignore[type-var]
        positions = [to_area_crs(row.lon, row.lat, WGS84, base.area.crs) for row in rows]
        for row, (x, y) in zip(rows, positions):
            if not base.area.contains(x, y):
                raise DataError(f"row {numbers[row.id]} (id {row.id!r}), column 'lat'/'lon': expected a position "
                                f"in {force.name}, got ({row.lat:g}, {row.lon:g})", source=source)
        sites = [NamedSite(x=row.lon, y=row.lat, crs=WGS84, attackers=row.attackers, weapon=row.weapon,
                           setting=row.setting,
                           start_min=(row.start_local - first).total_seconds() / 60.0)  # type: ignore[operator]
                 for row in rows]
        time = f"{WEEKDAYS[first.weekday()]} {first:%H:%M}"
        config = base.config.model_copy(update={
            "scenario": base.config.scenario.model_copy(update={
                "named_sites": sites, "sites": [len(sites)], "attack_time": time}),
            "workload": base.config.workload.model_copy(update={"attack_time": time})})
        return derive_model(base, config), positions

    def records(self) -> list[dict[str, object]]:
        """The forces run: code, name, LSOAs, armed units on duty, and parameters that differ from the registry."""
        registry = Parameters()
        return [{"code": code, "name": model.area.name, "lsoas": model.area.n,
                 "armed_units": round(model.params["arv.on_duty"]), "units": model.fleet.n,
                 "parameters": {name: rounded(model.params[name]) for name in model.params
                                if model.params[name] != registry[name]}}
                for code, model in sorted(self._models.items())]


def call_offset(model: Model, outcomes: Outcomes) -> np.ndarray:
    """Minutes from each site's start to its first 999 call: the shot-to-call part of the notification delay."""
    p = model.params
    share = p["notify.call_median_min"] / p["notify.median_min"]
    if not 0.0 < share <= 1.0:
        raise ConfigError(f"expected notify.call_median_min ({p['notify.call_median_min']:g}) at most "
                          f"notify.median_min ({p['notify.median_min']:g})", field="parameters.notify.call_median_min")
    return share * (outcomes.report - outcomes.start)


def _predictions(model: Model, rows: Sequence[AttackRow], positions: Sequence[tuple[float, float]],
                 outcomes: Outcomes) -> dict[str, dict[str, object]]:
    """Each row's predicted samples summarised, where it was placed (``positions``: the rows' in the area's
    CRS), and its samples (for scoring)."""
    horizon = float(model.params["horizon_min"])
    first = censored(outcomes.t_first_armed, horizon)
    call = first - call_offset(model, outcomes)
    predicted = {}
    for j, (row, (x, y)) in enumerate(zip(rows, positions)):
        lsoa = int(model.named_sites[j])  # type: ignore[index]
        samples = {"call_to_first_armed_min": call[:, j], "start_to_first_armed_min": first[:, j],
                   "deaths": outcomes.deaths[:, j]}
        predicted[row.id] = {
            "samples": samples,
            "simulation": {"force": model.area.name, "attack_time": model.config.scenario.attack_time,
                           "sites_in_attack": len(rows), "start_min": rounded(outcomes.start[0, j]),
                           "lsoa11cd": str(model.area.codes[lsoa]),
                           "distance_to_lsoa_centroid_m": rounded(round(float(np.hypot(
                               model.area.x[lsoa] - x, model.area.y[lsoa] - y)), 1)),
                           "share_not_reached": rounded(float(np.mean(~np.isfinite(outcomes.t_first_armed[:, j]))))}}
    return predicted


def _incident(row: AttackRow, prediction: dict[str, object] | None) -> dict[str, object]:
    """The results entry of one row: what it is, why not scored, predicted, recorded, and the comparison."""
    reason = _not_run(row) or (None if row.scored else row.scored_reason)
    recorded = {metric: getattr(row, column) for metric, column in METRICS.items()}
    samples: dict[str, np.ndarray] = {} if prediction is None else prediction["samples"]  # type: ignore[assignment]
    predicted = {m: quantiles(s, discrete=m == "deaths") for m, s in samples.items()} if samples else None
    comparison = {} if predicted is None or reason is not None else {
        m: score(samples[m], float(v), predicted[m]) for m, v in recorded.items() if v is not None}
    simulation = None if prediction is None else prediction["simulation"]
    return {"id": row.id, "attack_id": row.attack_id, "force": row.force, "place": row.place,
            "start_local": row.start_local.isoformat() if row.start_local else None,
            "weapon": row.weapon, "setting": row.setting, "attackers": row.attackers,
            "scored": reason is None, "reason": reason, "simulation": simulation,
            "predicted": predicted, "recorded": recorded, "comparison": comparison}
