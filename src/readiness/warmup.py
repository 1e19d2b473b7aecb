"""Warm-up length justified, not assumed: MSER-5 on ARVs busy and on duty from an empty start.

The everyday workload model (``workload.WorkloadSampler``) starts every replication with all units free
``workload.warmup_hours`` before the first shot. Here the same model is read at many times ``tau`` after an
empty start: the warm-up run for ``tau`` minutes to an observation at (start + ``tau``) has the same jobs as
the longer ones (job ``k`` of a class is keyed by ``k`` and its arrival counts from the empty start), so the
readings trace one trajectory per replication. Empty starts are uniform over the week, so after the
transient the mean over replications is flat and MSER-5 (White 1997; Hoad, Robinson and Davies 2010) finds
where the transient ends.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from readiness import __version__
from readiness.errors import ReadinessError

if TYPE_CHECKING:
    from readiness.model import Model

WARMUP_FORMAT = "readiness.warmup/1"
MSER_BATCH = 5


def mser(series: np.ndarray, batch: int = MSER_BATCH) -> int:
    """MSER-``batch`` truncation point, in points of ``series``: the start that minimises the squared standard
    error of the mean of what is left, searched over the first half (batch means of ``batch`` points)."""
    values = np.asarray(series, dtype=float)
    m = len(values) // batch
    if m < 2:
        raise ReadinessError(f"MSER-{batch} needs at least {2 * batch} points, got {len(values)}")
    means = values[: m * batch].reshape(m, batch).mean(axis=1)
    best, best_d = math.inf, 0
    for d in range(m // 2 + 1):
        rest = means[d:]
        score = float(np.square(rest - rest.mean()).sum()) / len(rest) ** 2
        if score < best:
            best, best_d = score, d
    return best_d * batch


@dataclass(frozen=True)
class UnitSeries:
    """ARVs busy and on duty, ``(replications, times)``, at ``minutes`` after an empty start."""

    minutes: np.ndarray
    busy: np.ndarray
    on_duty: np.ndarray


def unit_series(model: Model, *, seed: int, replications: int, hours: float, step_min: float,
                progress: Callable[[int], None] | None = None) -> UnitSeries:
    """Read the workload model's ARVs busy and on duty every ``step_min`` minutes for ``hours`` from empty."""
    from readiness.config import MINUTES_PER_WEEK
    from readiness.resources import ARMED
    from readiness.scenario import draw_unit_starts
    from readiness.workload import workload_sampler

    if not model.config.workload.enabled:
        raise ReadinessError("workload.enabled is false: there is no everyday workload to warm up")
    sampler = workload_sampler(model).at(None)  # empty starts uniform over the week
    reps = np.arange(replications, dtype=np.int64)
    begin = sampler.attack_minutes(seed, reps)
    starts = draw_unit_starts(model, seed, reps)
    minutes = np.arange(1, round(hours * 60.0 / step_min) + 1) * step_min
    busy, on_duty = np.empty((replications, len(minutes))), np.empty((replications, len(minutes)))
    for i, tau in enumerate(minutes):
        reader = copy.copy(sampler)
        reader.warmup_min = float(tau)
        state = reader.state(model, seed, reps, (begin + round(tau)) % MINUTES_PER_WEEK, starts=starts)
        armed = model.fleet.kind[state.units] == ARMED
        busy[:, i] = (state.busy[:, armed]).sum(axis=1)
        on_duty[:, i] = (state.on_duty[:, armed]).sum(axis=1)
        if progress is not None:
            progress(1)
    return UnitSeries(minutes=minutes, busy=busy, on_duty=on_duty)


def warmup_analysis(model: Model, *, seed: int, replications: int, hours: float = 72.0, step_min: float = 5.0,
                    progress: Callable[[int], None] | None = None) -> tuple[dict[str, object], UnitSeries]:
    """The results document of ``readiness warmup`` and the series it was computed from."""
    from readiness.config import portable_config
    from readiness.summary import rounded

    for name, value in (("--hours", hours), ("--step", step_min)):
        if not math.isfinite(value) or value <= 0:
            raise ReadinessError(f"{name} must be a finite number above zero, got {value}")
    if replications < 1:
        raise ReadinessError(f"--replications must be at least 1, got {replications}")
    series = unit_series(model, seed=seed, replications=replications, hours=hours, step_min=step_min,
                         progress=progress)
    truncation = {}
    for name, values in (("arvs_busy", series.busy), ("arvs_on_duty", series.on_duty)):
        points = mser(values.mean(axis=0))
        truncation[name] = {"points": points, "hours": rounded(points * step_min / 60.0),
                            "mean_after": rounded(values[:, points:].mean())}
    recommended = float(math.ceil(max(t["hours"] for t in truncation.values())))
    configured = model.config.workload.warmup_hours
    results: dict[str, object] = {
        "format": WARMUP_FORMAT, "version": __version__, "seed": seed, "replications": replications,
        "config": portable_config(model.config), "parameters": model.params.as_records(),
        "method": {"rule": f"MSER-{MSER_BATCH} on the mean over replications, truncation searched over the first half",
                   "empty_start": "all units free; start uniform over the week", "hours": hours,
                   "step_min": step_min},
        "mser": truncation,
        "recommended_warmup_hours": recommended,
        "configured_warmup_hours": configured,
        "configured_is_enough": bool(configured >= recommended),
    }
    return results, series
