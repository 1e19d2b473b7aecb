"""p-median: the sites that minimise the weighted minutes from every demand point to its nearest site."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from readiness.errors import InfeasibleError
from readiness.locate.base import (
    _LAGRANGE_ITERATIONS,
    AUTO_MAX_PAIRS,
    DEFAULT_TIME_LIMIT,
    MIP_REL_GAP,
    LocationPlan,
    Method,
    _gap,
    _median_centre_inputs,
    _median_greedy,
    _open_sites_plan,
    _solve_mip,
    _status,
    _swap,
    _use_highs,
    _weights,
)


def _median_lagrangian(
    weighted: np.ndarray, fixed: np.ndarray, p: int, incumbent: float
) -> tuple[float, np.ndarray]:
    """Lower bound by relaxing each point's assignment ``sum_j z_ij = 1`` with a multiplier ``λ_i``.

    ``L(λ) = sum(λ) + sum over the chosen sites of sum_i min(0, w_i c_ij - λ_i)``, the chosen sites
    being the fixed ones plus those with the most negative sums; they are also a feasible plan.
    """
    lam = np.sort(weighted, axis=1)[:, min(1, weighted.shape[1] - 1)]
    best, step, stall = -np.inf, 2.0, 0
    best_open, best_value = np.zeros(weighted.shape[1], dtype=bool), incumbent
    free = p - int(fixed.sum())
    for _ in range(_LAGRANGE_ITERATIONS):
        reduced = np.minimum(0.0, weighted - lam[:, None])
        column_sums = reduced.sum(axis=0)
        opened = fixed.copy()
        opened[np.argsort(np.where(fixed, np.inf, column_sums), kind="stable")[:free]] = True
        value = float(lam.sum() + column_sums[opened].sum())
        if value > best + 1e-12 * max(1.0, abs(best) if np.isfinite(best) else 1.0):
            best, stall = value, 0
        else:
            stall += 1
            if stall >= 20:
                step, stall = step / 2, 0
        primal = float(weighted[:, opened].min(axis=1).sum())
        if primal < best_value:
            best_value, best_open = primal, opened
        subgradient = 1.0 - (reduced[:, opened] < 0).sum(axis=1)
        norm = float(subgradient @ subgradient)
        if norm == 0 or _gap(best_value, best) <= MIP_REL_GAP / 10 or step < 1e-4:
            break
        lam = lam + step * (best_value - value) / norm * subgradient
    return best, best_open


def _median_highs(
    weighted: np.ndarray, fixed: np.ndarray, p: int, fallback: np.ndarray, time_limit: float
) -> tuple[np.ndarray, float, str]:
    """Exact p-median, strong formulation: ``min sum w_i c_ij z_ij``, ``sum_j z_ij = 1``, ``z_ij <= x_j``.

    Returns the better of HiGHS's plan and ``fallback`` (open-site mask), HiGHS's bound and status.
    """
    n, m = weighted.shape
    pairs = n * m
    assign = sp.kron(sp.eye_array(n), np.ones((1, m)), format="csr")
    link_z = sp.eye_array(pairs, format="csr")
    link_x = -sp.kron(np.ones((n, 1)), sp.eye_array(m), format="csr")
    matrix = sp.block_array(
        [[None, assign], [link_x, link_z], [sp.csr_array(np.ones((1, m))), None]], format="csc"
    )
    row_lower = np.concatenate([np.ones(n), np.full(pairs, -np.inf), [p]])
    row_upper = np.concatenate([np.ones(n), np.zeros(pairs), [p]])
    outcome = _solve_mip(
        objective=np.concatenate([np.zeros(m), weighted.ravel()]),
        lower=np.concatenate([fixed.astype(float), np.zeros(pairs)]),
        upper=np.ones(m + pairs),
        integer=np.concatenate([np.ones(m), np.zeros(pairs)]),
        matrix=sp.csc_array(matrix),
        row_lower=row_lower,
        row_upper=row_upper,
        maximise=False,
        time_limit=time_limit,
        start=np.concatenate(
            [
                fallback.astype(float),
                np.eye(m)[np.argmin(np.where(fallback, weighted, np.inf), axis=1)].ravel(),
            ]
        ),
    )
    if outcome.values is None:
        return fallback, outcome.bound, outcome.status
    solved = outcome.values[:m] > 0.5
    better = weighted[:, solved].min(axis=1).sum() <= weighted[:, fallback].min(axis=1).sum()
    return (solved if better else fallback), outcome.bound, outcome.status


def p_median(
    weights: Any,
    cost: Any,
    p: int,
    fixed: Sequence[int] | None = None,
    *,
    method: Method = "auto",
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> LocationPlan:
    """p-median (Hakimi 1964; ReVelle & Swain 1970): ``p`` sites minimising total weighted minutes.

    Parameters
    ----------
    weights
        Demand weight per point, non-negative, not all zero.
    cost
        Minutes from every site to every demand point, a dense demand × site array.
    p, fixed, method, time_limit
        As for :func:`mclp`; ``"auto"`` is exact up to ``AUTO_MAX_PAIRS`` demand × site pairs.

    Returns
    -------
    LocationPlan
        ``objective`` is ``sum_i w_i min_j c_ij`` over open sites; ``mean_cost`` the weighted mean minutes.
    """
    started = time.perf_counter()
    c, fixed_mask, p = _median_centre_inputs(cost, p, fixed, method, time_limit)
    w = _weights(weights, c.shape[0])
    if w.sum() <= 0:
        raise InfeasibleError("weights sum to zero: p-median needs some demand weight to place sites")
    weighted = w[w > 0, None] * c[w > 0]

    def total(t: np.ndarray) -> np.ndarray:
        return t.sum(axis=0)

    opened = _swap(weighted, _median_greedy(weighted, fixed_mask, p), fixed_mask, total)
    value = float(weighted[:, opened].min(axis=1).sum())
    used, bound, status = "heuristic", -np.inf, "feasible"
    if method != "highs":
        bound, lagrangian_open = _median_lagrangian(weighted, fixed_mask, p, value)
        if lagrangian_open.any():
            opened = _swap(weighted, lagrangian_open, fixed_mask, total)
        value = float(weighted[:, opened].min(axis=1).sum())
        status = _status(_gap(value, bound))
    if method == "highs" or (status != "optimal" and _use_highs(method, c.size, AUTO_MAX_PAIRS)):
        opened, bound, status = _median_highs(weighted, fixed_mask, p, opened, time_limit)
        value = float(weighted[:, opened].min(axis=1).sum())
        used = "highs"
    return _open_sites_plan(
        "p_median", opened, value, bound, used, status, started, mean_cost=value / float(w.sum())
    )
