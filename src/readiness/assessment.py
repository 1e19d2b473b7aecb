"""Assessment: run the engine for each number of sites and gather the results document."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from readiness import __version__
from readiness.config import portable_config
from readiness.engine import Outcomes, UnitStateSampler, simulate
from readiness.forces import force_record
from readiness.model import Model
from readiness.patrol import where_units_are
from readiness.resources import ARMED
from readiness.summary import by_district, summarise_sites
from readiness.workload import resolve_unit_states

RESULTS_FORMAT = "readiness.assessment/1"
#: Times of the week at which the report compares results when the workload model is on (night, morning,
#: afternoon, and the Paris start time).
START_TIMES = ("Fri 03:00", "Fri 09:00", "Fri 15:00", "Fri 21:20")


@dataclass(frozen=True)
class Assessment:
    """The outcomes of every K and the results document built from them (no paths, no timings)."""

    model: Model
    outcomes: dict[int, Outcomes]
    results: dict[str, object]


def site_counts(model: Model) -> list[int]:
    """The K values to run: the configured list, or the number of named sites."""
    if model.named_sites is not None:
        return [len(model.named_sites)]
    return list(model.config.scenario.sites)


def minutes_to_nearest_armed_base(model: Model) -> np.ndarray:
    """Per LSOA: median notification delay plus blue-light minutes from the nearest ARV base.

    The best case (every ARV free at its base) that the report maps; the simulation adds busy units,
    several sites and the spread of delays.
    """
    armed_bases = np.unique(model.fleet.position[(model.fleet.kind == ARMED) & (model.fleet.position >= 0)])
    if len(armed_bases) == 0:
        return np.full(model.area.n, np.inf)
    nearest = model.blue_light_minutes[armed_bases].min(axis=0).astype(float)
    return model.params["notify.median_min"] + model.attack_blue_light_factor() * nearest


def run_assessment(model: Model, *, replications: int, seed: int,
                   unit_states: UnitStateSampler | None = None,
                   progress: Callable[[int], None] | None = None) -> Assessment:
    """Simulate every configured K with the same seed (common random numbers across K).

    ``unit_states=None`` means as configured (``workload.unit_state_sampler``), one sampler for every K.
    """
    horizon = model.params["horizon_min"]
    unit_states = resolve_unit_states(model, unit_states)
    outcomes = {k: simulate(model, sites=k, replications=replications, seed=seed, unit_states=unit_states,
                            progress=progress) for k in site_counts(model)}
    smallest = min(outcomes)
    results: dict[str, object] = {
        "format": RESULTS_FORMAT,
        "version": __version__,
        "seed": seed,
        "replications": replications,
        "area": {"name": model.area.name, "lsoas": model.area.n,
                 "residents": round(float(model.area.residents.sum()))},
        "fleet": {"armed_units": model.fleet.count(ARMED), "units": model.fleet.n,
                  "bases": list(model.fleet.base_names),
                  "deployment": where_units_are(model.fleet, model.config.resources.unit_types,
                                                user_layer=model.config.resources.patrol_layer is not None)},
        **force_record(model),
        "config": portable_config(model.config),
        "parameters": model.params.as_records(),
        "by_sites": [summarise_sites(outcomes[k], horizon) for k in sorted(outcomes)],
        "by_district": {"sites": smallest,
                        "rows": by_district(outcomes[smallest], model.area.districts, horizon)},
    }
    if model.config.workload.enabled:
        results["by_start_time"] = by_start_time(model, replications=replications, seed=seed, progress=progress)
    return Assessment(model=model, outcomes=outcomes, results=results)


def by_start_time(model: Model, *, replications: int, seed: int, times: tuple[str, ...] = START_TIMES,
                  progress: Callable[[int], None] | None = None) -> list[dict[str, object]]:
    """The same attacks started at several times of the week: shifts, everyday workload and site weights differ.

    Common random numbers: every start time sees the same delays and attackers, and its sites are picked
    by the same uniforms from that hour's weights.
    """
    from readiness.workload import workload_sampler

    horizon = model.params["horizon_min"]
    inputs = workload_sampler(model)
    rows = []
    for start in times:
        sampler, timed = inputs.at(start), model.at_time(start)
        rows.append({"start": start, "by_sites": [
            summarise_sites(simulate(timed, sites=k, replications=replications, seed=seed, unit_states=sampler,
                                     progress=progress), horizon) for k in site_counts(model)]})
    return rows
