"""Replications chosen to a stated precision: a sequential rule on the 95% CI half-width of headline metrics.

Replications are added in batches of ``batch`` (streams are keyed by replication index, so replications
``[0, N)`` gathered in batches are exactly those of one run of ``N``); the rule is checked at the end of
each batch once ``minimum`` replications are in (a lucky first batch cannot stop the run), and the run stops
when every targeted metric's half-width is at most its target, or at ``maximum``. The caller then produces
its results by the ordinary code path with ``replications=N``, so a fixed run of ``N`` gives the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from readiness.errors import ReadinessError

if TYPE_CHECKING:  # the CLI reads this module's defaults at start-up: the engine (Numba) is imported when used
    from readiness.engine import UnitStateSampler
    from readiness.model import Model
    from readiness.options import AppliedOption

#: Headline metric kinds a target can name: ``share`` (share of sites waiting over 10 minutes, or in
#: ``coverage`` the share of residents reached within 10 minutes; a fraction) and ``deaths`` (deaths per attack).
METRIC_KINDS = ("share", "deaths")
#: Defaults of the sequential rule (assumptions, stated in every report that uses the rule): batches of
#: 1,000 replications, at least 2,000 (two batches), at most 100,000 (ten times the fixed default).
DEFAULT_BATCH, DEFAULT_MINIMUM, DEFAULT_MAXIMUM = 1_000, 2_000, 100_000
#: The same for ``coverage``, whose replication is one instant in each of the 168 hours (a simulated week):
#: batches of 25 weeks, at least 50, at most 2,000 (ten times the fixed default of 200).
COVERAGE_BATCH, COVERAGE_MINIMUM, COVERAGE_MAXIMUM = 25, 50, 2_000

#: Per-replication values of every headline metric for replications ``[first, first + count)``:
#: ``{label: (kind, values)}`` with ``kind`` in :data:`METRIC_KINDS`.
MetricSource = Callable[[int, int], Mapping[str, tuple[str, np.ndarray]]]


@dataclass(frozen=True)
class Target:
    """One half-width target: absolute (in the metric's own unit) or relative to the metric's mean."""

    value: float
    relative: bool

    def text(self) -> str:
        return f"{100 * self.value:g}%" if self.relative else f"{self.value:g}"

    def limit(self, mean: float) -> float:
        """The half-width allowed for a metric with this mean."""
        return self.value * abs(mean) if self.relative else self.value


@dataclass(frozen=True)
class Precision:
    """Targets per metric kind; a kind without a target is reported but does not decide when to stop."""

    targets: Mapping[str, Target]
    text: str

    def describe(self) -> str:
        return ", ".join(f"{kind} ±{target.text()}" for kind, target in self.targets.items())


def _target(text: str, whole: str) -> Target:
    body, relative = (text[:-1], True) if text.endswith("%") else (text, False)
    try:
        value = float(body)
    except ValueError:
        raise ReadinessError(f"--precision expects a number or a percentage (0.01, 5%), got {whole!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ReadinessError(f"--precision must be a finite number above zero, got {whole!r}")
    return Target(value / 100.0 if relative else value, relative)


def parse_precision(text: str) -> Precision:
    """``"0.01"`` (shares within ±0.01), ``"5%"`` (every headline metric within ±5% of its mean), or
    ``"share=0.01,deaths=0.5"`` per kind; an absolute bare number is a share (deaths have another unit)."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise ReadinessError("--precision expects a number or a percentage (0.01, 5%), got an empty value")
    targets: dict[str, Target] = {}
    for part in parts:
        kind, sep, value = part.partition("=")
        if not sep:
            target = _target(part, text)
            for name in METRIC_KINDS if target.relative else ("share",):
                targets.setdefault(name, target)
            continue
        if kind.strip() not in METRIC_KINDS:
            raise ReadinessError(f"--precision names {kind.strip()!r}; expected one of {', '.join(METRIC_KINDS)}")
        targets[kind.strip()] = _target(value.strip(), text)
    return Precision(targets={k: targets[k] for k in METRIC_KINDS if k in targets}, text=text)


@dataclass(frozen=True)
class SequentialRule:
    """Batches of ``batch`` replications, at least ``minimum``, at most ``maximum``, until ``precision`` is met."""

    precision: Precision
    batch: int = DEFAULT_BATCH
    minimum: int = DEFAULT_MINIMUM
    maximum: int = DEFAULT_MAXIMUM

    def __post_init__(self) -> None:
        for name, value, least in (("--batch", self.batch, 1), ("--min-replications", self.minimum, 2),
                                   ("--max-replications", self.maximum, 2)):
            if value < least:
                raise ReadinessError(f"{name} must be at least {least}, got {value}")
        if self.maximum < self.minimum:
            raise ReadinessError(f"--max-replications ({self.maximum}) is below --min-replications ({self.minimum})")

    def describe(self) -> str:
        return (f"sequential rule: batches of {self.batch} replications, at least {self.minimum}, at most "
                f"{self.maximum}; stop at the end of the first batch at which every 95% CI half-width is within "
                f"its target ({self.precision.describe()})")


def half_width(values: np.ndarray) -> float:
    """95% normal CI half-width of a mean over replications (the same as ``summary.mean_ci``)."""
    from readiness.summary import Z95

    values = np.asarray(values, dtype=float)
    return float(Z95 * values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else math.inf


@dataclass(frozen=True)
class PrecisionResult:
    """What the rule decided: the replications to run and the ``precision`` object of results.json."""

    replications: int
    met: bool
    record: dict[str, object]


def _check(rule: SequentialRule, values: Mapping[str, tuple[str, np.ndarray]]) -> tuple[bool, list[dict]]:
    from readiness.summary import rounded

    rows, met = [], True
    for label, (kind, series) in values.items():
        mean, half = float(np.mean(series)), half_width(series)
        target = rule.precision.targets.get(kind)
        limit = target.limit(mean) if target is not None else None
        ok = None if limit is None else bool(half <= limit)
        met = met and ok is not False
        rows.append({"metric": label, "kind": kind, "mean": rounded(mean), "half_width": rounded(half),
                     "target_half_width": None if limit is None else rounded(limit), "met": ok})
    return met, rows


def choose_replications(rule: SequentialRule, source: MetricSource) -> PrecisionResult:
    """Add batches from replication 0 until the rule stops; the record states the rule and what was reached."""
    gathered: dict[str, tuple[str, list[np.ndarray]]] = {}
    n = 0
    while True:
        count = min(rule.batch, rule.maximum - n)
        for label, (kind, series) in source(n, count).items():
            gathered.setdefault(label, (kind, []))[1].append(np.asarray(series, dtype=float))
        n += count
        met, rows = _check(rule, {label: (kind, np.concatenate(parts)) for label, (kind, parts) in gathered.items()})
        if (met and n >= rule.minimum) or n >= rule.maximum:
            break
    record = {"rule": rule.describe(), "precision": rule.precision.text,
              "targets": {kind: {"value": t.value, "relative": t.relative} for kind, t in rule.precision.targets.items()},
              "batch_size": rule.batch, "min_replications": rule.minimum, "max_replications": rule.maximum,
              "replications": n, "met": met, "metrics": rows}
    return PrecisionResult(replications=n, met=met, record=record)


def parse_replications(text: str, *, least: int = 2) -> int | None:
    """``--replications``: a whole number (at least ``least``), or ``auto`` (``None``: chosen by the rule)."""
    if text.strip().lower() == "auto":
        return None
    try:
        value = int(text)
    except ValueError:
        raise ReadinessError(f"--replications expects a whole number or 'auto', got {text!r}") from None
    if value < least:
        raise ReadinessError(f"--replications must be at least {least}, got {value}")
    return value


def assessment_source(model: Model, *, site_counts: list[int], seed: int,
                      unit_states: UnitStateSampler | None = None) -> MetricSource:
    """Headline metrics of an assessment for every K: share of sites waiting over 10 minutes, deaths per attack."""
    from readiness.engine import simulate
    from readiness.workload import resolve_unit_states

    unit_states = resolve_unit_states(model, unit_states)  # once: the sampler reads its inputs when made

    def source(first: int, count: int) -> dict[str, tuple[str, np.ndarray]]:
        values: dict[str, tuple[str, np.ndarray]] = {}
        for k in site_counts:
            outcomes = simulate(model, sites=k, replications=count, seed=seed, first_replication=first,
                                unit_states=unit_states)
            values[f"K={k} share_sites_waiting_over_10_min"] = ("share", (outcomes.t_first_armed > 10.0).mean(axis=1))
            values[f"K={k} victims"] = ("deaths", outcomes.deaths.sum(axis=1).astype(float))
        return values

    return source


def coverage_source(model: Model, *, seed: int) -> MetricSource:
    """The headline of ``coverage``: per replication (one instant in each hour of the week), the weekly share of
    residents a free armed unit reaches within 10 minutes."""
    from readiness.workload import weekly_share_within

    def source(first: int, count: int) -> dict[str, tuple[str, np.ndarray]]:
        return {"share_residents_within_10_min": ("share", weekly_share_within(model, seed=seed, first=first,
                                                                               count=count))}

    return source


def comparison_source(baseline: Model, options: Sequence[AppliedOption], *, sites: Sequence[int], seed: int,
                      sampler_for: Callable[[Model], UnitStateSampler] | None = None) -> MetricSource:
    """Headline metrics of a comparison: paired differences (option - baseline) of the share of sites waiting
    over 10 minutes and of deaths per attack, for every option and K, on common random numbers."""
    from readiness.compare import replication_metrics
    from readiness.engine import simulate
    from readiness.workload import resolve_unit_states

    models = {"": baseline, **{option.name: option.model for option in options}}
    samplers = {name: resolve_unit_states(model, sampler_for(model) if sampler_for else None)
                for name, model in models.items()}

    def source(first: int, count: int) -> dict[str, tuple[str, np.ndarray]]:
        values: dict[str, tuple[str, np.ndarray]] = {}
        for k in sites:
            metrics = {name: replication_metrics(simulate(model, sites=k, replications=count, seed=seed,
                                                          first_replication=first, unit_states=samplers[name]),
                                                 model.params["horizon_min"]) for name, model in models.items()}
            for option in options:
                for metric, kind in (("share_sites_waiting_over_10_min", "share"), ("deaths_per_attack", "deaths")):
                    values[f"{option.name} - baseline, K={k} {metric}"] = (
                        kind, metrics[option.name][metric] - metrics[""][metric])
        return values

    return source


def rule_from_options(replications: int | None, precision: str | None, *, minimum: int = DEFAULT_MINIMUM,
                      maximum: int = DEFAULT_MAXIMUM, batch: int = DEFAULT_BATCH) -> SequentialRule | None:
    """The sequential rule of ``--replications auto --precision P`` (``None`` for a fixed number)."""
    if replications is not None:
        if precision is not None:
            raise ReadinessError("--precision needs --replications auto (a fixed number of replications was given)")
        return None
    if precision is None:
        raise ReadinessError("--replications auto needs --precision, e.g. --precision 0.01 or --precision 5%")
    return SequentialRule(parse_precision(precision), batch=batch, minimum=minimum, maximum=maximum)
