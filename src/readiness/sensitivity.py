"""Sensitivity analysis: a one-at-a-time tornado over the registry ranges, and Morris screening (SALib)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from SALib.analyze import morris as morris_analyze
from SALib.sample import morris as morris_sample

from readiness.config import ResourcesConfig
from readiness.model import Model, derive_model
from readiness.registry import Parameter, Parameters

#: A function from parameter values to named outputs (e.g. deaths per attack, share waiting).
Evaluate = Callable[[Parameters], Mapping[str, float]]


def ranged(params: Parameters, *, exclude_prefixes: Sequence[str] = ()) -> list[Parameter]:
    """Registry entries with a range to sweep (``low < high``), optionally leaving some namespaces out."""
    return [p for p in params.entries() if p.low < p.high and not p.name.startswith(tuple(exclude_prefixes))]


def model_with_parameters(model: Model, params: Parameters, *, resources: ResourcesConfig | None = None) -> Model:
    """The model with other parameter values; the fleet is rebuilt (``arv.on_duty`` and crews count).

    ``resources`` is the config's resources before defaults were filled in; without it the fleet keeps
    its resolved unit counts and only crews follow the parameters. Travel is reused unless its
    coefficients change (``derive_model``); congestion follows the parameters.
    """
    raw = resources if resources is not None else model.config.resources
    return derive_model(model, model.config.model_copy(update={"resources": raw, "parameters": params.overrides()}))


def _value(entry: Parameter, value: float) -> float:
    return float(round(value)) if entry.integer else float(value)


def tornado(evaluate: Evaluate, params: Parameters, entries: Sequence[Parameter]) -> list[dict[str, object]]:
    """One-at-a-time swings: each parameter at its low and high end, the others at their values.

    Returns one long-form row per parameter and output, sorted by swing (largest first) within each
    output; ``swing = |output(high) - output(low)|``.
    """
    base = evaluate(params)
    rows = []
    for entry in entries:
        low = evaluate(params.overridden(**{entry.name: _value(entry, entry.low)}))
        high = evaluate(params.overridden(**{entry.name: _value(entry, entry.high)}))
        for output, value in base.items():
            rows.append({"output": output, "parameter": entry.name, "low": entry.low, "high": entry.high,
                         "base_output": value, "output_at_low": low[output], "output_at_high": high[output],
                         "swing": abs(high[output] - low[output])})
    order = {name: i for i, name in enumerate(base)}
    return sorted(rows, key=lambda r: (order[r["output"]], -r["swing"], r["parameter"]))


def morris(evaluate: Evaluate, params: Parameters, entries: Sequence[Parameter], *, trajectories: int,
           seed: int, levels: int = 4) -> list[dict[str, object]]:
    """Morris elementary effects over the ranges: ``mu_star`` ranks influence, ``sigma`` flags interaction.

    Runs ``trajectories x (len(entries) + 1)`` evaluations. Integer parameters are rounded.
    """
    problem = {"num_vars": len(entries), "names": [e.name for e in entries],
               "bounds": [[e.low, e.high] for e in entries]}
    rng = np.random.default_rng(seed)
    sample = morris_sample.sample(problem, trajectories, num_levels=levels, seed=rng)
    outputs: dict[str, list[float]] = {}
    for row in sample:
        values = evaluate(params.overridden(**{e.name: _value(e, v) for e, v in zip(entries, row)}))
        for name, value in values.items():
            outputs.setdefault(name, []).append(value)
    rows = []
    for name, values in outputs.items():
        result = morris_analyze.analyze(problem, sample, np.array(values), num_levels=levels, seed=rng,
                                        num_resamples=200)
        for i, entry in enumerate(entries):
            rows.append({"output": name, "parameter": entry.name, "mu_star": float(result["mu_star"][i]),
                         "mu_star_ci95": float(result["mu_star_conf"][i]), "sigma": float(result["sigma"][i])})
    order = {name: i for i, name in enumerate(outputs)}
    return sorted(rows, key=lambda r: (order[r["output"]], -r["mu_star"], r["parameter"]))
