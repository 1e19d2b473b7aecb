"""Sensitivity analysis: a one-at-a-time tornado over the registry ranges, Morris screening and Sobol indices (SALib)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from readiness.config import ResourcesConfig
from readiness.model import Model, derive_model
from readiness.registry import Parameter, Parameters

#: A function from parameter values to named outputs (e.g. deaths per attack, share waiting).
Evaluate = Callable[[Parameters], Mapping[str, float]]


def ranged(params: Parameters, *, exclude_prefixes: Sequence[str] = ()) -> list[Parameter]:
    """Registry entries with a range to sweep (``low < high``), optionally leaving some namespaces out.

    The ``force.*`` scaling rules are swept only where a force's values are scaled by them.
    """
    excluded = (*exclude_prefixes, *(() if params.is_scaled else ("force.",)))
    return [p for p in params.entries() if p.low < p.high and not p.name.startswith(excluded)]


def model_with_parameters(model: Model, params: Parameters, *, resources: ResourcesConfig | None = None) -> Model:
    """The model with other parameter values; the fleet is rebuilt (``arv.on_duty`` and crews count).

    ``resources`` is the config's resources before defaults were filled in; without it the fleet keeps
    its resolved unit counts and only crews follow the parameters. Travel is reused unless its
    coefficients change (``derive_model``); congestion and the site weights (``exposure.*``) follow the parameters.
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


#: Bootstrap resamples behind the Sobol indices' 95% confidence intervals.
SOBOL_RESAMPLES = 200


def sobol_evaluations(base_samples: int, parameters: int) -> int:
    """Model runs of a Sobol analysis: Saltelli's ``N (D + 2)`` (first and total order, no second order)."""
    return base_samples * (parameters + 2)


def sobol_indices(function: Callable[[np.ndarray], Mapping[str, float]], names: Sequence[str],
                  bounds: Sequence[tuple[float, float]], *, base_samples: int, seed: int) -> list[dict[str, object]]:
    """First-order ``S1`` and total ``ST`` Sobol indices with bootstrap 95% CIs, per output of ``function``.

    Saltelli sampling on a scrambled Sobol' sequence (``base_samples`` a power of two) and the Jansen/Saltelli
    estimators of SALib; runs :func:`sobol_evaluations` points.
    """
    problem = {"num_vars": len(names), "names": list(names), "bounds": [list(b) for b in bounds]}
    sample = sobol_sample.sample(problem, base_samples, calc_second_order=False, seed=seed)
    outputs: dict[str, list[float]] = {}
    for row in sample:
        for name, value in function(row).items():
            outputs.setdefault(name, []).append(value)
    rows = []
    for name, values in outputs.items():
        if np.ptp(values) == 0:  # an output no parameter moves: every index is 0 (SALib would divide by 0)
            zero = np.zeros(len(names))
            result = {"S1": zero, "S1_conf": zero, "ST": zero, "ST_conf": zero}
        else:
            result = sobol_analyze.analyze(problem, np.array(values), calc_second_order=False,
                                           num_resamples=SOBOL_RESAMPLES, seed=seed)
        for i, parameter in enumerate(names):
            rows.append({"output": name, "parameter": parameter, "S1": float(result["S1"][i]),
                         "S1_ci95": float(result["S1_conf"][i]), "ST": float(result["ST"][i]),
                         "ST_ci95": float(result["ST_conf"][i])})
    order = {name: i for i, name in enumerate(outputs)}
    return sorted(rows, key=lambda r: (order[r["output"]], -r["ST"], r["parameter"]))


def sobol(evaluate: Evaluate, params: Parameters, entries: Sequence[Parameter], *, base_samples: int,
          seed: int) -> list[dict[str, object]]:
    """Sobol indices of ``evaluate`` over the registry ranges of ``entries`` (integer parameters rounded)."""
    def at(row: np.ndarray) -> Mapping[str, float]:
        return evaluate(params.overridden(**{e.name: _value(e, v) for e, v in zip(entries, row, strict=True)}))

    return sobol_indices(at, [e.name for e in entries], [(e.low, e.high) for e in entries],
                         base_samples=base_samples, seed=seed)
