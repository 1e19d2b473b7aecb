"""Covering models: LSCP, MCLP, backup coverage and MEXCLP, and sparse coverage from coordinates."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from readiness.errors import InfeasibleError
from readiness.locate.base import (
    _LAGRANGE_ITERATIONS,
    _SWAP_PASSES,
    DEFAULT_TIME_LIMIT,
    MIP_REL_GAP,
    LocationPlan,
    Method,
    _check_options,
    _check_p,
    _coverage_matrix,
    _fixed,
    _gap,
    _open_sites_plan,
    _readonly,
    _solve_mip,
    _status,
    _use_highs,
    _weights,
)
from readiness.travel import CalibratedModel

AUTO_MAX_COVERAGE_NONZEROS = 100_000
"""Under ``method="auto"`` a covering model whose heuristic plan is not proved optimal goes to HiGHS while
its merged coverage matrix has at most this many demand-site pairs (the West Midlands at 10 minutes has
about 61,000 and solves in seconds; the national MCLP with 149,000 did not close in 300 s)."""

AUTO_MAX_COVER_NONZEROS = 500_000
"""The same for LSCP, whose MILP is smaller (no demand variables): the West Midlands at 15 minutes
(280,000 pairs) solves in about 8 s; the national LSCP (924,000 pairs) was still 1.6 % from optimal
after 300 s, against 4.5 % from the heuristic in 13 s."""


# ------------------------------------------------------------------------------ coverage-value models


@dataclass(frozen=True)
class _CoverageModel:
    """A covering model whose value is ``sum_i w_i * S[min(c_i, K)]``, with ``c_i`` the covering units.

    ``S = [0, s_0, s_0 + s_1, ...]`` are cumulative shares: MCLP ``s = [1]``; backup
    ``s = [θ, 1 - θ]``; MEXCLP ``s_k = (1 - q) q^k``. Rows are demand groups (identical coverage rows
    merged, weights summed, rows nobody covers dropped), columns are unit slots (sites, or type × site).
    """

    matrix: sp.csr_array
    weights: np.ndarray
    shares: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    @property
    def cumulative(self) -> np.ndarray:
        return np.concatenate([[0.0], np.cumsum(self.shares)])

    def value(self, counts: np.ndarray) -> float:
        """Model value of covering counts per demand group."""
        return float(self.weights @ self.cumulative[np.minimum(counts.astype(np.int64), self.shares.size)])

    def marginal(self, counts: np.ndarray, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Value each demand group (of ``rows``) would gain from one more covering unit."""
        s = self.cumulative
        k = self.shares.size
        c = counts.astype(np.int64)
        return self.weights[rows] * (s[np.minimum(c + 1, k)] - s[np.minimum(c, k)])


def _merge_rows(matrix: sp.csr_array, weights: np.ndarray) -> tuple[sp.csr_array, np.ndarray]:
    """Merge demand rows with identical coverage (their weights add) and drop rows worth nothing.

    The covering models value a demand point only through how many units cover it, so points with the
    same covering sites are interchangeable; merging them shrinks national models several-fold.
    """
    keep = np.flatnonzero((weights > 0) & (np.diff(matrix.indptr) > 0))
    groups: dict[bytes, int] = {}
    group_of = np.empty(keep.size, dtype=np.int64)
    indptr, indices = matrix.indptr, matrix.indices
    for position, row in enumerate(keep):
        key = indices[indptr[row] : indptr[row + 1]].tobytes()
        group_of[position] = groups.setdefault(key, len(groups))
    first = np.zeros(len(groups), dtype=np.int64)
    first[group_of[::-1]] = keep[::-1]
    merged_weights = np.bincount(group_of, weights=weights[keep], minlength=len(groups))
    return sp.csr_array(matrix[first]), merged_weights


def _coverage_model(
    matrix: sp.csr_array, weights: np.ndarray, shares: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> _CoverageModel:
    last = np.flatnonzero(shares > 0)
    shares = shares[: last[-1] + 1] if last.size else shares[:1]
    merged, merged_weights = _merge_rows(matrix, weights)
    return _CoverageModel(merged, merged_weights, shares, lower, upper)


def _coverage_highs(
    model: _CoverageModel,
    fallback: np.ndarray,
    *,
    resource: np.ndarray,
    resource_range: tuple[float, float],
    time_limit: float,
) -> tuple[np.ndarray, float, str]:
    """Exact MILP: maximise ``sum w_i s_k y_ik`` with ``sum_k y_ik <= sum_j a_ij x_j`` and a resource row.

    When the shares do not increase (MCLP, MEXCLP, backup with θ >= 0.5) ``y`` may be continuous in
    [0, 1]: the levels fill in order and are integral for integer ``x``. Otherwise (backup with
    θ < 0.5) ``y`` is binary with rows ``y_i,k+1 <= y_ik`` (Hogan & ReVelle 1986). Returns the better of
    HiGHS's plan and ``fallback``, HiGHS's bound and its status.
    """
    a = model.matrix
    n, m = a.shape
    levels = model.shares.size
    ordered = bool(np.any(np.diff(model.shares) > 0))
    blocks = [[-a, sp.hstack([sp.eye_array(n, format="csr")] * levels, format="csr")]]
    if ordered:
        size = n * (levels - 1)
        blocks.append([None, sp.eye_array(size, n * levels, k=n) - sp.eye_array(size, n * levels)])
    blocks.append([sp.csr_array(resource.reshape(1, -1)), None])
    matrix = sp.csc_array(sp.block_array(blocks, format="csc"))
    row_lower = np.full(matrix.shape[0], -np.inf)
    row_upper = np.zeros(matrix.shape[0])
    row_lower[-1], row_upper[-1] = resource_range
    outcome = _solve_mip(
        objective=np.concatenate([np.zeros(m), np.kron(model.shares, model.weights)]),
        lower=np.concatenate([model.lower, np.zeros(n * levels)]),
        upper=np.concatenate([model.upper, np.ones(n * levels)]),
        integer=np.concatenate([np.ones(m), np.full(n * levels, float(ordered))]),
        matrix=matrix,
        row_lower=row_lower,
        row_upper=row_upper,
        maximise=True,
        time_limit=time_limit,
        start=np.concatenate([fallback, (np.arange(levels)[:, None] < a @ fallback).ravel()]),
    )
    x = fallback
    if outcome.values is not None:
        solved = np.rint(outcome.values[:m]).astype(np.int64)
        x = solved if model.value(a @ solved) >= model.value(a @ fallback) else fallback
    return x, outcome.bound, outcome.status


def _fill_best(scores: np.ndarray, lower: np.ndarray, upper: np.ndarray, total: int) -> np.ndarray:
    """Units maximising ``scores @ x`` with ``sum(x) = total`` and ``lower <= x <= upper``: best columns first."""
    room = upper - lower
    order = np.argsort(-scores, kind="stable")
    before = np.cumsum(room[order]) - room[order]
    x = lower.copy()
    x[order] += np.clip(total - lower.sum() - before, 0, room[order])
    return x


class _CoverageSearch:
    """Greedy placement and unit-move local search for a coverage-value model, kept incremental.

    ``gains[j]`` is the value one more unit at column ``j`` would add; moving a unit touches only the
    demand rows that column covers, so each step costs the non-zeros of those rows, not the whole matrix.
    """

    def __init__(self, model: _CoverageModel, x: np.ndarray) -> None:
        self.model = model
        self.columns = sp.csc_array(model.matrix)
        self.x = x.copy()
        self.counts = (model.matrix @ x).astype(np.int64)
        self.gains = model.matrix.T @ model.marginal(self.counts)

    def shift(self, column: int, step: int) -> float:
        """Add (``step=1``) or remove (``step=-1``) a unit at ``column``; return the value gained or lost."""
        rows = self.columns.indices[self.columns.indptr[column] : self.columns.indptr[column + 1]]
        before = self.model.marginal(self.counts[rows], rows)
        self.counts[rows] += step
        self.x[column] += step
        after = self.model.marginal(self.counts[rows], rows)
        self.gains += self.model.matrix[rows].T @ (after - before)
        return float(before.sum() if step > 0 else after.sum())

    def best_column(self) -> int:
        """The column where one more unit would add most value, among those with room."""
        return int(np.argmax(np.where(self.x < self.model.upper, self.gains, -np.inf)))

    def greedy(self, total: int) -> None:
        """Add units one at a time, each where it adds most, until ``total`` are placed."""
        for _ in range(total - int(self.x.sum())):
            self.shift(self.best_column(), 1)

    def improve(self) -> np.ndarray:
        """Move single units to the best other column while that strictly increases the value."""
        tolerance = 1e-9 * max(1.0, float(self.model.weights.sum()))
        for _ in range(_SWAP_PASSES):
            moved = False
            for column in np.flatnonzero(self.x > self.model.lower):
                if self.x[column] <= self.model.lower[column]:
                    continue
                loss = self.shift(int(column), -1)
                target = self.best_column()
                if self.gains[target] > loss + tolerance:
                    self.shift(target, 1)
                    moved = True
                else:
                    self.shift(int(column), 1)
            if not moved:
                break
        return self.x.copy()


def _concave_envelope(shares: np.ndarray) -> np.ndarray:
    """Non-increasing shares whose cumulative sum is the least concave majorant of ``cumsum(shares)``."""
    cumulative = np.concatenate([[0.0], np.cumsum(shares)])
    hull = [0]
    for k in range(1, cumulative.size):
        while len(hull) >= 2 and (cumulative[hull[-1]] - cumulative[hull[-2]]) * (k - hull[-1]) <= (
            cumulative[k] - cumulative[hull[-1]]
        ) * (hull[-1] - hull[-2]):
            hull.pop()
        hull.append(k)
    return np.diff(np.interp(np.arange(cumulative.size), hull, cumulative[hull]))


def _coverage_lagrangian(model: _CoverageModel, total: int, incumbent: float) -> tuple[float, np.ndarray]:
    """Upper bound by relaxing ``sum_k y_ik <= (A x)_i`` with multipliers ``λ_i >= 0`` (subgradient).

    For fixed λ the problem splits: each demand group takes the number of levels ``k`` that maximises
    ``w_i S[k] - λ_i k`` (over the concave envelope of ``S``, which gives the same maximum) and the
    units go to the columns with the largest ``(Aᵀλ)_j``. Steps follow Polyak's rule towards the
    incumbent along a deflected direction (half the previous one added), which converges faster on
    national instances. Returns the bound and the best unit placement the subproblems produced (every
    one is a feasible plan), for local search to polish.
    """
    a = model.matrix
    w = model.weights
    shares = _concave_envelope(model.shares)
    levels = np.concatenate([[0.0], np.cumsum(shares)])
    lam = 0.5 * w * shares[0]
    bound, best_value, best_x = np.inf, -np.inf, model.lower.copy()
    step, stall, direction = 2.0, 0, np.zeros(a.shape[0])
    for _ in range(_LAGRANGE_ITERATIONS):
        take = np.searchsorted(-shares, -lam / w, side="left")
        reduced = a.T @ lam
        x = _fill_best(reduced, model.lower, model.upper, total)
        counts = a @ x
        value = float(w @ levels[take] - lam @ take + reduced @ x)
        if value < bound - 1e-12 * abs(bound if np.isfinite(bound) else value):
            bound, stall = value, 0
        else:
            stall += 1
            if stall >= 20:
                step, stall = step / 2, 0
        primal = model.value(counts)
        if primal > best_value:
            best_value, best_x = primal, x
        direction = (counts - take) + 0.5 * direction
        norm = float(direction @ direction)
        if norm == 0 or _gap(max(best_value, incumbent), bound) <= MIP_REL_GAP / 10 or step < 1e-4:
            break
        lam = np.maximum(0.0, lam - step * (value - max(best_value, incumbent)) / norm * direction)
    return bound, best_x


def _solve_coverage(
    model_name: str,
    matrix: sp.csr_array,
    weights: np.ndarray,
    shares: np.ndarray,
    total: int,
    fixed: np.ndarray,
    per_site: int,
    *,
    method: str,
    time_limit: float,
    started: float,
) -> LocationPlan:
    """Place ``total`` units (at most ``per_site`` per site, ``fixed`` sites at least one).

    The heuristic (greedy, unit moves, Lagrangian bound, unit moves from the best Lagrangian plan)
    runs unless HiGHS is forced; HiGHS runs when forced, or under ``"auto"`` when the heuristic has not
    proved its plan optimal and the model is small enough. The better plan and the tighter bound win.
    """
    n_sites = matrix.shape[1]
    lower = np.zeros(n_sites, dtype=np.int64)
    lower[fixed] = 1
    model = _coverage_model(matrix, weights, shares, lower, np.full(n_sites, per_site, dtype=np.int64))
    search = _CoverageSearch(model, lower)
    search.greedy(total)
    x = search.improve()
    bound, status, used = np.inf, "feasible", "heuristic"
    if method != "highs":
        bound, lagrangian_x = _coverage_lagrangian(model, total, model.value(model.matrix @ x))
        polished = _CoverageSearch(model, lagrangian_x).improve()
        if model.value(model.matrix @ polished) > model.value(model.matrix @ x):
            x = polished
        status = _status(_gap(model.value(model.matrix @ x), bound))
    if method == "highs" or (
        status != "optimal" and _use_highs(method, model.matrix.nnz, AUTO_MAX_COVERAGE_NONZEROS)
    ):
        x, highs_bound, status = _coverage_highs(
            model, x, resource=np.ones(n_sites), resource_range=(total, total), time_limit=time_limit
        )
        bound, used = min(bound, highs_bound), "highs"
    value = model.value(model.matrix @ x)
    bound = max(bound, value)
    gap = _gap(value, bound)
    counts = matrix @ x
    return LocationPlan(
        model=model_name,
        sites=_readonly(np.flatnonzero(x)),
        units_per_site=_readonly(x),
        objective=value,
        bound=bound,
        gap=gap,
        method=used,
        status=status if status != "optimal" or gap <= MIP_REL_GAP else "feasible",
        solve_seconds=time.perf_counter() - started,
        covered=_readonly(counts >= 1),
        covered_twice=_readonly(counts >= 2) if model_name == "backup" else None,
    )


def _coverage_inputs(
    weights: Any, coverage: Any, p: int, fixed: Sequence[int] | None, method: str, time_limit: float
) -> tuple[sp.csr_array, np.ndarray, np.ndarray, int]:
    _check_options(method, time_limit)
    matrix = _coverage_matrix(coverage)
    w = _weights(weights, matrix.shape[0])
    f = _fixed(fixed, matrix.shape[1])
    return matrix, w, f, _check_p(p, matrix.shape[1], f.size)


def mclp(
    weights: Any,
    coverage: Any,
    p: int,
    fixed: Sequence[int] | None = None,
    *,
    method: Method = "auto",
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> LocationPlan:
    """Maximal covering (Church & ReVelle 1974): the most demand weight within the standard from ``p`` sites.

    Parameters
    ----------
    weights
        Demand weight per demand point (residents by default), non-negative.
    coverage
        Boolean demand × site matrix, dense or ``scipy.sparse``: True where the site reaches the point
        within the response standard (see :func:`travel_coverage`).
    p
        Number of sites to open, ``fixed`` ones included.
    fixed
        0-based indices of sites that must open (existing bases).
    method
        ``"highs"`` exact MILP, ``"heuristic"`` greedy + swaps + Lagrangian bound, ``"auto"`` exact up to
        ``AUTO_MAX_COVERAGE_NONZEROS`` merged coverage pairs.
    time_limit
        Seconds HiGHS may run; it then returns its best plan with its gap.

    Returns
    -------
    LocationPlan
        ``objective`` is the covered weight; ``covered`` says which points are covered.
    """
    started = time.perf_counter()
    matrix, w, f, p = _coverage_inputs(weights, coverage, p, fixed, method, time_limit)
    return _solve_coverage(
        "mclp", matrix, w, np.ones(1), p, f, 1, method=method, time_limit=time_limit, started=started
    )


def backup_coverage(
    weights: Any,
    coverage: Any,
    p: int,
    fixed: Sequence[int] | None = None,
    *,
    primary_weight: float = 0.5,
    method: Method = "auto",
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> LocationPlan:
    """Backup coverage (Hogan & ReVelle 1986, BACOP2): weight covered twice, traded against first cover.

    The objective is ``θ · (weight covered at least once) + (1 - θ) · (weight covered at least twice)``
    with ``θ = primary_weight``: a weighted objective rather than a constraint, because with a
    realistic fleet full first coverage is usually impossible, which would make the constrained form
    (BACOP1) infeasible. ``θ = 0.5`` values each demand's first two covering units equally; ``θ = 0``
    maximises double cover alone; ``θ = 1`` is MCLP.

    Parameters
    ----------
    weights, coverage, p, fixed, method, time_limit
        As for :func:`mclp`.
    primary_weight
        θ in [0, 1].

    Returns
    -------
    LocationPlan
        ``objective`` is the weighted value; ``covered`` and ``covered_twice`` give the two coverages.
    """
    started = time.perf_counter()
    matrix, w, f, p = _coverage_inputs(weights, coverage, p, fixed, method, time_limit)
    if not 0.0 <= primary_weight <= 1.0:
        raise InfeasibleError(f"primary_weight must lie in [0, 1], got {primary_weight!r}")
    shares = np.array([primary_weight, 1.0 - primary_weight])
    return _solve_coverage(
        "backup", matrix, w, shares, p, f, 1, method=method, time_limit=time_limit, started=started
    )


def mexclp(
    weights: Any,
    coverage: Any,
    units: int,
    busy_fraction: float,
    fixed: Sequence[int] | None = None,
    *,
    max_per_site: int | None = None,
    method: Method = "auto",
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> LocationPlan:
    """Maximum expected covering (Daskin 1983): expected weight covered by a free unit when each is busy.

    Each unit is busy independently with probability ``q = busy_fraction``, so a point covered by ``c``
    units is reached by a free one with probability ``1 - q**c``; several units may stand by at one site.

    Parameters
    ----------
    weights, coverage, fixed, method, time_limit
        As for :func:`mclp`; fixed sites receive at least one unit.
    units
        Units to place.
    busy_fraction
        q in [0, 1).
    max_per_site
        Most units one site can hold (default: no limit beyond ``units``).

    Returns
    -------
    LocationPlan
        ``objective`` is the expected covered weight; ``units_per_site`` the integer units per site.
    """
    started = time.perf_counter()
    _check_options(method, time_limit)
    matrix = _coverage_matrix(coverage)
    w = _weights(weights, matrix.shape[0])
    f = _fixed(fixed, matrix.shape[1])
    if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < max(1, f.size):
        raise InfeasibleError(
            f"units must be a whole number of at least max(1, number of fixed sites), got {units!r}"
        )
    per_site = int(units) if max_per_site is None else int(max_per_site)
    if per_site < 1 or per_site * matrix.shape[1] < units:
        msg = f"max_per_site = {max_per_site} cannot hold {units} units on {matrix.shape[1]} candidate sites"
        raise InfeasibleError(msg)
    if not 0.0 <= busy_fraction < 1.0:
        raise InfeasibleError(f"busy_fraction must lie in [0, 1), got {busy_fraction!r}")
    shares = (1.0 - busy_fraction) * busy_fraction ** np.arange(int(units))
    return _solve_coverage(
        "mexclp",
        matrix,
        w,
        shares,
        int(units),
        f,
        per_site,
        method=method,
        time_limit=time_limit,
        started=started,
    )


# ------------------------------------------------------------------------------------- set covering


def _greedy_cover(
    matrix: sp.csr_array, start: np.ndarray, fixed: np.ndarray, row_weights: np.ndarray | None = None
) -> np.ndarray:
    """Chvátal's greedy set cover from ``start`` and the fixed sites, then drop redundant sites.

    Each step opens the site covering the most weight of still-uncovered points (``row_weights``,
    e.g. Lagrangian multipliers, which mark the points that are hard to cover; default 1 each). A site
    is redundant when every point it covers is covered twice; the sites added last are tried first,
    then the non-fixed sites of ``start``.
    """
    columns = sp.csc_array(matrix)
    weights = np.ones(matrix.shape[0]) if row_weights is None else row_weights
    x = start | fixed
    covered = (matrix @ x) > 0
    gains = matrix.T @ np.where(covered, 0.0, weights)
    opened = []
    while not covered.all():
        j = int(np.argmax(np.where(x, -np.inf, gains)))
        x[j] = True
        opened.append(j)
        rows = columns.indices[columns.indptr[j] : columns.indptr[j + 1]]
        new = rows[~covered[rows]]
        covered[new] = True
        gains -= matrix[new].T @ weights[new]
    counts = matrix @ x
    for j in [*reversed(opened), *np.flatnonzero(start & ~fixed)]:
        rows = columns.indices[columns.indptr[j] : columns.indptr[j + 1]]
        if counts[rows].min() >= 2:
            x[j] = False
            counts[rows] -= 1
    return x


def _cover_lagrangian(
    matrix: sp.csr_array, fixed: np.ndarray, incumbent: np.ndarray
) -> tuple[float, np.ndarray]:
    """Lower bound on the number of sites by relaxing ``A x >= 1`` with multipliers ``u_i >= 0``.

    ``L(u) = sum(u) + sum_j min(0, 1 - (Aᵀu)_j)`` (fixed sites pay ``1 - (Aᵀu)_j`` regardless); it
    starts from the dual-feasible ``u_i = 1 / (largest column covering i)`` and climbs by subgradient.
    Every tenth Lagrangian solution is completed greedily into a cover (Beasley 1990); the smallest
    cover found is returned with the bound, rounded up.
    """
    sizes = np.diff(sp.csc_array(matrix).indptr).astype(float)
    u = 1.0 / (matrix @ sp.diags_array(sizes)).max(axis=1).toarray().ravel()
    best, step, stall, x_best = 0.0, 2.0, 0, incumbent
    for iteration in range(_LAGRANGE_ITERATIONS):
        reduced = 1.0 - matrix.T @ u
        x = fixed | (reduced < 0)
        value = float(u.sum() + reduced[x].sum())
        if value > best + 1e-12 * max(1.0, best):
            best, stall = value, 0
        else:
            stall += 1
            if stall >= 20:
                step, stall = step / 2, 0
        if iteration % 10 == 0:
            candidate = _greedy_cover(matrix, x, fixed, u + 1e-3 * u.mean())
            x_best = candidate if candidate.sum() < x_best.sum() else x_best
        subgradient = 1.0 - matrix @ x
        norm = float(subgradient @ subgradient)
        if norm == 0 or np.ceil(best - 1e-6) >= x_best.sum() or step < 1e-4:
            break
        u = np.maximum(0.0, u + step * (x_best.sum() - value) / norm * subgradient)
    return float(np.ceil(best - 1e-6)), x_best


def _solve_cover(
    matrix: sp.csr_array, fixed: np.ndarray, *, highs: str, time_limit: float
) -> tuple[np.ndarray, float, str, str]:
    """Fewest sites covering every row of ``matrix`` (each row covered by some site).

    The Lagrangian heuristic runs first; HiGHS then runs ``"always"``, ``"never"`` or only when the
    heuristic has not proved its cover minimal (``"unproven"``). Returns the sites, the lower bound,
    the status and the method.
    """
    merged, _ = _merge_rows(matrix, np.ones(matrix.shape[0]))
    bound, x = _cover_lagrangian(merged, fixed, _greedy_cover(merged, np.zeros_like(fixed), fixed))
    if highs == "always" or (highs == "unproven" and bound < x.sum()):
        n_sites = merged.shape[1]
        outcome = _solve_mip(
            objective=np.ones(n_sites),
            lower=fixed.astype(float),
            upper=np.ones(n_sites),
            integer=np.ones(n_sites),
            matrix=sp.csc_array(merged),
            row_lower=np.ones(merged.shape[0]),
            row_upper=np.full(merged.shape[0], np.inf),
            maximise=False,
            time_limit=time_limit,
            start=x.astype(float),
        )
        if outcome.values is not None and (outcome.values > 0.5).sum() <= x.sum():
            x = outcome.values > 0.5
        return x, max(bound, float(np.ceil(outcome.bound - 1e-6))), outcome.status, "highs"
    return x, bound, _status(_gap(float(x.sum()), bound)), "heuristic"


def lscp(
    coverage: Any,
    fixed: Sequence[int] | None = None,
    *,
    method: Method = "auto",
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> LocationPlan:
    """Location set covering (Toregas et al. 1971): the fewest sites that reach every demand point.

    Parameters
    ----------
    coverage, fixed, method, time_limit
        As for :func:`mclp`.

    Returns
    -------
    LocationPlan
        ``objective`` (and ``n_sites``) is the number of sites; every point is ``covered``.

    Raises
    ------
    InfeasibleError
        When some demand point is within the standard of no candidate site (their indices are named).
    """
    started = time.perf_counter()
    _check_options(method, time_limit)
    matrix = _coverage_matrix(coverage)
    fixed_mask = np.zeros(matrix.shape[1], dtype=bool)
    fixed_mask[_fixed(fixed, matrix.shape[1])] = True
    lonely = np.flatnonzero(np.diff(matrix.indptr) == 0)
    if lonely.size:
        shown = ", ".join(map(str, lonely[:20])) + (", ..." if lonely.size > 20 else "")
        msg = f"{lonely.size} demand point(s) are within the standard of no candidate site: indices {shown}"
        raise InfeasibleError(msg)
    highs = {"highs": "always", "heuristic": "never"}.get(method, "unproven")
    if not _use_highs(method, matrix.nnz, AUTO_MAX_COVER_NONZEROS):
        highs = "never"
    x, bound, status, used = _solve_cover(matrix, fixed_mask, highs=highs, time_limit=time_limit)
    return _open_sites_plan(
        "lscp", x, float(x.sum()), bound, used, status, started,
        covered=_readonly(np.ones(matrix.shape[0], dtype=bool)),
    )


# ------------------------------------------------------------------------------------ coverage input


def travel_coverage(
    demand_xy: Any,
    site_xy: Any,
    standard_minutes: float,
    *,
    travel: CalibratedModel | None = None,
) -> sp.csr_array:
    """Sparse demand × site coverage: True where the calibrated road minutes are within the standard.

    Minutes grow with straight-line distance, so the standard is inverted to a radius once and only the
    pairs within it are found (``scipy.spatial.cKDTree``): memory grows with the covered pairs, not
    with demand × sites, which keeps national instances (34,753 points) small.

    Parameters
    ----------
    demand_xy, site_xy
        ``(n, 2)`` projected coordinates in metres (British National Grid).
    standard_minutes
        The response standard, e.g. 10 minutes.
    travel
        The distance-to-minutes model (default :class:`readiness.travel.CalibratedModel`).

    Returns
    -------
    scipy.sparse.csr_array
        Boolean, demand × site.
    """
    model = travel if travel is not None else CalibratedModel()
    points = [np.asarray(xy, dtype=float) for xy in (demand_xy, site_xy)]
    for name, xy in zip(("demand_xy", "site_xy"), points):
        if xy.ndim != 2 or xy.shape[1] != 2 or not np.all(np.isfinite(xy)):
            raise InfeasibleError(
                f"{name} must be an (n, 2) array of finite coordinates, got shape {xy.shape}"
            )
    a, b, c = model.intercept, model.sqrt_coef, model.linear_coef
    slack = standard_minutes - a
    if slack < 0:
        return sp.csr_array((len(points[0]), len(points[1])), dtype=bool)
    root = slack / b if c == 0 else (-b + np.sqrt(b * b + 4 * c * slack)) / (2 * c)
    pairs = cKDTree(points[0]).sparse_distance_matrix(
        cKDTree(points[1]), 1000.0 * root**2, output_type="ndarray"
    )
    return sp.csr_array(
        (np.ones(pairs.size, dtype=bool), (pairs["i"], pairs["j"])), shape=(len(points[0]), len(points[1]))
    )
