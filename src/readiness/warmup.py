"""Warm-up length justified, not assumed: MSER-5 on ARVs busy and on duty from an empty start.

The everyday workload model (``workload.WorkloadSampler``) starts every replication with all units free
``workload.warmup_hours`` before the first shot. Here the same model is read at many times ``tau`` after an
empty start: the warm-up run for ``tau`` minutes to an observation at (start + ``tau``) has the same jobs as
the longer ones (job ``k`` of a class is keyed by ``k`` and its arrival counts from the empty start), so the
readings trace one trajectory per replication. Empty starts are uniform over the week, so after the
transient the mean over replications is flat and MSER-5 (White 1997; Hoad, Robinson and Davies 2010) finds
where the transient ends.

MSER-5 answers how much of one long run to discard before averaging the rest; the engine instead reads the
state at the very end of each warm-up, so the warm-up must be long enough that the state *there* has the
steady-state distribution, a stronger demand (a level MSER-5 accepts can still be several percent low at
its truncation point). :func:`end_state_check` asks that directly: at the configured attack time, ARVs busy
and the ARV-minutes still committed after warm-ups of a few hours, each against a long reference warm-up
on independent replications, by two one-sided tests (Schuirmann 1987) with a relative margin.
"""

from __future__ import annotations

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
#: Warm-ups the end-state check tries (hours; those shorter than its reference).
CANDIDATE_HOURS = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 18.0, 24.0, 36.0, 48.0)
#: Equivalence margin of the end-state check, relative to the reference's mean: an assumption (range 2% to
#: 10%). On the default 5% of ARVs busy is 0.14 of the 2.8 busy ARVs, and at the shortest warm-up that passes
#: (4 h) the time to first armed and the deaths moved by under 1% (docs/workload.md).
EQUIVALENCE_MARGIN = 0.05
#: Replications of each warm-up in the end-state check: at 20,000 the 90% bound on ARV-minutes committed
#: (heavy-tailed: firearms jobs) is about 0.7 of the default's 23, inside a 5% margin of 1.2.
CHECK_REPLICATIONS = 20_000
#: Two one-sided tests at 5% each: the 90% interval of the difference must lie inside the margin.
TOST_Z = 1.6448536269514722


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
        reader = sampler.with_warmup(float(tau))
        state = reader.state(model, seed, reps, (begin + round(tau)) % MINUTES_PER_WEEK, starts=starts)
        armed = model.fleet.kind[state.units] == ARMED
        busy[:, i] = (state.busy[:, armed]).sum(axis=1)
        on_duty[:, i] = (state.on_duty[:, armed]).sum(axis=1)
        if progress is not None:
            progress(1)
    return UnitSeries(minutes=minutes, busy=busy, on_duty=on_duty)


def end_state(model: Model, *, seed: int, reps: np.ndarray, hours: float) -> dict[str, np.ndarray]:
    """Per replication, at the configured attack time after a warm-up of ``hours`` from an empty start: ARVs
    busy, and ARV-minutes committed (a busy ARV's minutes until it can be sent, to the horizon)."""
    from readiness.resources import ARMED
    from readiness.workload import workload_sampler

    sampler = workload_sampler(model).with_warmup(float(hours) * 60.0)
    state = sampler.state(model, seed, reps, sampler.attack_minutes(seed, reps))
    armed = model.fleet.kind[state.units] == ARMED
    busy = state.busy[:, armed]
    committed = np.where(busy, np.minimum(state.available[:, armed], model.params["horizon_min"]), 0.0)
    return {"arvs_busy": busy.sum(axis=1).astype(float), "arv_minutes_committed": committed.sum(axis=1)}


def equivalence(candidate: np.ndarray, reference: np.ndarray, margin: float) -> dict[str, float | bool | None]:
    """Two one-sided tests of independent samples: is the candidate's mean within ``margin`` (relative to the
    reference's mean) of the reference's, with 90% confidence?"""
    from readiness.summary import rounded

    difference = float(candidate.mean() - reference.mean())
    se = math.sqrt(candidate.var(ddof=1) / len(candidate) + reference.var(ddof=1) / len(reference))
    allowed = margin * abs(float(reference.mean()))
    bound = abs(difference) + TOST_Z * se
    return {"reference_mean": rounded(reference.mean()), "mean": rounded(candidate.mean()),
            "difference": rounded(difference), "se": rounded(se), "bound_90": rounded(bound),
            "allowed": rounded(allowed), "equivalent": bool(bound <= allowed)}


def _check_options(replications: int, margin: float) -> None:
    """The end-state check's options, refused before any work."""
    if replications < 2:
        raise ReadinessError(f"--check-replications must be at least 2, got {replications}")
    if not (math.isfinite(margin) and 0 < margin < 1):
        raise ReadinessError(f"--margin must be a finite number between 0 and 1, got {margin}")


def end_state_check(model: Model, *, seed: int, replications: int, reference_hours: float,
                    margin: float = EQUIVALENCE_MARGIN, candidate_hours: tuple[float, ...] = CANDIDATE_HOURS,
                    progress: Callable[[int], None] | None = None) -> dict[str, object]:
    """Which warm-ups leave the state at the first shot as a ``reference_hours`` warm-up leaves it.

    The reference runs on replications ``replications`` to ``2 * replications - 1``, the candidates on
    ``0`` to ``replications - 1``, so the samples compared are independent. The recommendation is the
    shortest candidate that, with every longer one, is equivalent on both measures (the reference itself
    when none is).
    """
    _check_options(replications, margin)
    reps = np.arange(replications, dtype=np.int64)
    reference = end_state(model, seed=seed, reps=reps + replications, hours=reference_hours)
    candidates = []
    for hours in (h for h in candidate_hours if h < reference_hours):
        measured = end_state(model, seed=seed, reps=reps, hours=hours)
        tests = {name: equivalence(measured[name], reference[name], margin) for name in reference}
        candidates.append({"hours": hours, **tests, "equivalent": all(t["equivalent"] for t in tests.values())})
        if progress is not None:
            progress(1)
    recommended = reference_hours
    for candidate in reversed(candidates):
        if not candidate["equivalent"]:
            break
        recommended = candidate["hours"]
    attack_time = model.config.workload.attack_time
    return {"reference_hours": reference_hours, "replications": replications, "margin": margin,
            "observed_at": attack_time if attack_time is not None else "uniform over the week",
            "rule": "two one-sided tests (90% interval of the difference inside the margin) on the mean of "
                    "ARVs busy and of ARV-minutes committed, each candidate against the reference",
            "candidates": candidates, "recommended_hours": recommended}


def warmup_analysis(model: Model, *, seed: int, replications: int, hours: float = 72.0, step_min: float = 5.0,
                    check_replications: int = CHECK_REPLICATIONS, margin: float = EQUIVALENCE_MARGIN,
                    progress: Callable[[int], None] | None = None) -> tuple[dict[str, object], UnitSeries]:
    """The results document of ``readiness warmup`` and the series it was computed from."""
    from readiness.config import portable_config
    from readiness.summary import rounded

    for name, value in (("--hours", hours), ("--step", step_min)):
        if not math.isfinite(value) or value <= 0:
            raise ReadinessError(f"{name} must be a finite number above zero, got {value}")
    if replications < 1:
        raise ReadinessError(f"--replications must be at least 1, got {replications}")
    _check_options(check_replications, margin)
    series = unit_series(model, seed=seed, replications=replications, hours=hours, step_min=step_min,
                         progress=progress)  # first: it refuses a model without the workload
    check = end_state_check(model, seed=seed, replications=check_replications, reference_hours=hours,
                            margin=margin, progress=progress)
    truncation = {}
    for name, values in (("arvs_busy", series.busy), ("arvs_on_duty", series.on_duty)):
        points = mser(values.mean(axis=0))
        truncation[name] = {"points": points, "hours": rounded(points * step_min / 60.0),
                            "mean_after": rounded(values[:, points:].mean())}
    by_mser = float(math.ceil(max(t["hours"] for t in truncation.values())))
    recommended = max(by_mser, float(check["recommended_hours"]))
    configured = model.config.workload.warmup_hours
    results: dict[str, object] = {
        "format": WARMUP_FORMAT, "version": __version__, "seed": seed, "replications": replications,
        "config": portable_config(model.config), "parameters": model.params.as_records(),
        "method": {"rule": f"MSER-{MSER_BATCH} on the mean over replications, truncation searched over the first half",
                   "empty_start": "all units free; start uniform over the week", "hours": hours,
                   "step_min": step_min},
        "mser": truncation,
        "mser_recommended_hours": by_mser,
        "end_state": check,
        "recommended_warmup_hours": recommended,
        "configured_warmup_hours": configured,
        "configured_is_enough": bool(configured >= recommended),
    }
    return results, series
