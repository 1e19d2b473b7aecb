"""Where armed units should stand by and how many are needed: covering, median and centre location models."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from readiness.errors import ConfigError, InfeasibleError
from readiness.travel import CalibratedModel

Method = Literal["auto", "highs", "heuristic"]

MIP_REL_GAP = 1e-4
"""Relative MIP gap at which HiGHS stops and a plan is reported optimal."""

DEFAULT_TIME_LIMIT = 300.0
"""Seconds HiGHS may run before it returns its best plan with its gap (status ``time_limit``)."""

AUTO_MAX_COVERAGE_NONZEROS = 100_000
"""Under ``method="auto"`` a covering model whose heuristic plan is not proved optimal goes to HiGHS while
its merged coverage matrix has at most this many demand-site pairs (the West Midlands at 10 minutes has
about 61,000 and solves in seconds; the national MCLP with 149,000 did not close in 300 s)."""

AUTO_MAX_COVER_NONZEROS = 500_000
"""The same for LSCP, whose MILP is smaller (no demand variables): the West Midlands at 15 minutes
(280,000 pairs) solves in about 8 s; the national LSCP (924,000 pairs) was still 1.6 % from optimal
after 300 s, against 4.5 % from the heuristic in 13 s."""

AUTO_MAX_PAIRS = 160_000
"""Under ``method="auto"`` p-median and p-center go to HiGHS up to this many demand × site pairs (the
exact p-median has one variable and one row per pair); p-median only when the Lagrangian bound has not
already proved the heuristic plan optimal."""

_LAGRANGE_ITERATIONS = 400
_SWAP_PASSES = 50


@dataclass(frozen=True, eq=False)
class LocationPlan:
    """An optimised set of standby sites (and units per site) with how good it is and how it was found.

    Attributes
    ----------
    model
        ``"lscp"``, ``"mclp"``, ``"backup"``, ``"mexclp"``, ``"p_median"``, ``"p_center"`` or
        ``"fleet_mix"``.
    sites
        0-based indices of the sites that receive at least one unit, sorted.
    units_per_site
        Units at every candidate site: integers for MEXCLP, 0/1 for the others; for ``fleet_mix`` an
        ``(n_types, n_sites)`` array.
    objective
        The optimised quantity: number of sites (LSCP); covered weight (MCLP, fleet mix); the weighted
        first-plus-second coverage of the backup model; expected covered weight (MEXCLP); total
        weight × minutes (p-median); largest assigned minutes (p-center).
    bound
        The best bound on ``objective`` that the solver proved (upper for maximising models, lower for
        minimising ones).
    gap
        ``|bound - objective| / max(|bound|, |objective|)``: at most ``MIP_REL_GAP`` when ``status`` is
        ``"optimal"``, larger where the heuristic or a time limit stopped early.
    method
        ``"highs"`` (exact MILP) or ``"heuristic"`` (greedy, swaps and a Lagrangian bound).
    status
        ``"optimal"``, ``"time_limit"`` or ``"feasible"`` (a heuristic plan whose gap exceeds
        ``MIP_REL_GAP``).
    solve_seconds
        Wall time of the whole call: checks, model building and solving.
    covered
        Per demand point, whether at least one unit covers it (covering models only).
    covered_twice
        Per demand point, whether at least two units cover it (backup model only).
    mean_cost
        Weighted mean minutes to the nearest open site (p-median only).
    spend
        Yearly cost of the chosen fleet (fleet mix only).
    """

    model: str
    sites: np.ndarray
    units_per_site: np.ndarray
    objective: float
    bound: float
    gap: float
    method: str
    status: str
    solve_seconds: float
    covered: np.ndarray | None = None
    covered_twice: np.ndarray | None = None
    mean_cost: float | None = None
    spend: float | None = None

    @property
    def n_sites(self) -> int:
        """Number of sites opened (for LSCP the same as ``objective``)."""
        return len(self.sites)

    @property
    def n_units(self) -> int:
        """Number of units placed."""
        return int(self.units_per_site.sum())

    def as_dict(self) -> dict[str, Any]:
        """The plan as plain Python values (lists, floats), ready for JSON or a run store."""
        out: dict[str, Any] = {"n_sites": self.n_sites, "n_units": self.n_units}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            out[name] = value.tolist() if isinstance(value, np.ndarray) else value
        return out


# ---------------------------------------------------------------------------------------------- checks


def _coverage_matrix(coverage: Any, *, name: str = "coverage") -> sp.csr_array:
    """Coverage as a CSR 0/1 matrix with sorted indices; dense or sparse input, any non-zero is True."""
    if sp.issparse(coverage):
        matrix = sp.csr_array(coverage)
    else:
        array = np.asarray(coverage)
        if array.ndim != 2:
            raise InfeasibleError(f"{name} must be a 2-D demand × site matrix, got shape {array.shape}")
        matrix = sp.csr_array(array != 0)
    if matrix.ndim != 2 or 0 in matrix.shape:
        raise InfeasibleError(f"{name} must be a non-empty demand × site matrix, got shape {matrix.shape}")
    matrix = sp.csr_array((matrix != 0).astype(np.float64))
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix


def _weights(weights: Any, n_demand: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    if w.shape != (n_demand,):
        msg = f"weights must have one value per demand point ({n_demand}), got shape {w.shape}"
        raise InfeasibleError(msg)
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        msg = f"weights must be finite and non-negative; demand indices {bad[:10].tolist()} are {w[bad[:10]]}"
        raise InfeasibleError(msg)
    return w


def _cost_matrix(cost: Any) -> np.ndarray:
    c = np.asarray(cost.toarray() if sp.issparse(cost) else cost, dtype=float)
    if c.ndim != 2 or 0 in c.shape:
        raise InfeasibleError(
            f"cost must be a non-empty demand × site matrix of minutes, got shape {c.shape}"
        )
    if not np.all(np.isfinite(c)) or np.any(c < 0):
        raise InfeasibleError("cost must hold finite, non-negative minutes for every demand-site pair")
    return c


def _fixed(fixed: Sequence[int] | None, n_sites: int) -> np.ndarray:
    if fixed is None:
        return np.zeros(0, dtype=np.int64)
    f = np.asarray(list(fixed))
    if f.size == 0:
        return np.zeros(0, dtype=np.int64)
    if f.ndim != 1 or not np.issubdtype(f.dtype, np.integer):
        raise InfeasibleError(f"fixed must be a list of 0-based site indices, got {list(fixed)!r}")
    out_of_range = f[(f < 0) | (f >= n_sites)]
    if out_of_range.size:
        msg = f"fixed sites {out_of_range.tolist()} are outside 0..{n_sites - 1} (there are {n_sites} candidates)"
        raise InfeasibleError(msg)
    if np.unique(f).size != f.size:
        raise InfeasibleError(f"fixed sites must be distinct, got {f.tolist()}")
    return np.sort(f.astype(np.int64))


def _check_p(p: int, n_sites: int, n_fixed: int) -> int:
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
        raise InfeasibleError(f"p must be a whole number, got {p!r}")
    if p < 1:
        raise InfeasibleError(f"p must be at least 1, got {p}")
    if p > n_sites:
        raise InfeasibleError(f"p = {p} is larger than the number of candidate sites ({n_sites})")
    if p < n_fixed:
        raise InfeasibleError(
            f"p = {p} is smaller than the number of fixed sites ({n_fixed}), which count towards it"
        )
    return int(p)


def _check_options(method: str, time_limit: float) -> None:
    if method not in ("auto", "highs", "heuristic"):
        raise ConfigError(f"method must be 'auto', 'highs' or 'heuristic', got {method!r}")
    if not time_limit > 0:
        raise ConfigError(f"time_limit must be a positive number of seconds, got {time_limit!r}")


def _use_highs(method: str, size: int, threshold: int) -> bool:
    return method == "highs" or (method == "auto" and size <= threshold)


def _gap(value: float, bound: float) -> float:
    if not np.isfinite(bound):
        return np.inf
    scale = max(abs(value), abs(bound))
    return 0.0 if scale == 0 else abs(bound - value) / scale


def _status(gap: float) -> str:
    return "optimal" if gap <= MIP_REL_GAP else "feasible"


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


# ---------------------------------------------------------------------------------------------- HiGHS


@dataclass(frozen=True)
class _MipOutcome:
    values: np.ndarray | None
    bound: float
    status: str


def _solve_mip(
    *,
    objective: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    integer: np.ndarray,
    matrix: sp.csc_array,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    maximise: bool,
    time_limit: float,
    start: np.ndarray | None = None,
) -> _MipOutcome:
    """Solve one sparse MILP with HiGHS (silent, ``MIP_REL_GAP``, ``time_limit``) from a feasible start.

    The start (the heuristic's plan) lets HiGHS prune from the first node. HiGHS 1.16 can mis-score a
    start that presolve reduces and stop with a wrong "optimal" whose reported objective differs from
    its returned plan (seen on a 159 × 200 set-covering model); that mismatch is detected and the model
    solved again without the start. ``values`` is None when the time limit stops HiGHS without a plan.
    """
    began = time.perf_counter()
    inf = highspy.kHighsInf
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", MIP_REL_GAP)
    h.setOptionValue("time_limit", float(time_limit))
    h.passModel(
        int(matrix.shape[1]),
        int(matrix.shape[0]),
        int(matrix.nnz),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize),
        0.0,
        np.ascontiguousarray(objective, dtype=np.float64),
        np.ascontiguousarray(lower, dtype=np.float64),
        np.ascontiguousarray(np.where(np.isinf(upper), inf, upper), dtype=np.float64),
        np.ascontiguousarray(np.where(np.isinf(row_lower), -inf, row_lower), dtype=np.float64),
        np.ascontiguousarray(np.where(np.isinf(row_upper), inf, row_upper), dtype=np.float64),
        np.ascontiguousarray(matrix.indptr, dtype=np.int32),
        np.ascontiguousarray(matrix.indices, dtype=np.int32),
        np.ascontiguousarray(matrix.data, dtype=np.float64),
        np.ascontiguousarray(integer, dtype=np.int32),
    )
    if start is not None:
        h.setSolution(int(start.size), np.arange(start.size, dtype=np.int32), start.astype(np.float64))
    h.run()
    model_status = h.getModelStatus()
    info = h.getInfo()
    if model_status in (
        highspy.HighsModelStatus.kInfeasible,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        raise InfeasibleError("the optimisation model has no feasible plan (HiGHS proved it infeasible)")
    values = np.asarray(h.getSolution().col_value) if info.primal_solution_status == 2 else None
    reported = float(info.objective_function_value)
    if start is not None and values is not None:
        scored = float(objective @ values)
        if abs(scored - reported) > 1e-6 * max(1.0, abs(reported)):
            remaining = max(1.0, time_limit - (time.perf_counter() - began))
            return _solve_mip(
                objective=objective,
                lower=lower,
                upper=upper,
                integer=integer,
                matrix=matrix,
                row_lower=row_lower,
                row_upper=row_upper,
                maximise=maximise,
                time_limit=remaining,
            )
    status = {
        highspy.HighsModelStatus.kOptimal: "optimal",
        highspy.HighsModelStatus.kTimeLimit: "time_limit",
    }.get(model_status, h.modelStatusToString(model_status).lower().replace(" ", "_"))
    return _MipOutcome(values, float(info.mip_dual_bound), status)


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
    value = float(x.sum())
    return LocationPlan(
        model="lscp",
        sites=_readonly(np.flatnonzero(x)),
        units_per_site=_readonly(x.astype(np.int64)),
        objective=value,
        bound=bound,
        gap=_gap(value, bound),
        method=used,
        status=status,
        solve_seconds=time.perf_counter() - started,
        covered=_readonly(np.ones(matrix.shape[0], dtype=bool)),
    )


# ------------------------------------------------------------------------------------ median, centre


def _median_greedy(weighted: np.ndarray, opened: np.ndarray, p: int) -> np.ndarray:
    """Add sites one at a time, each the one that lowers ``sum_i min_j weighted_ij`` most."""
    opened = opened.copy()
    nearest = weighted[:, opened].min(axis=1) if opened.any() else np.full(weighted.shape[0], np.inf)
    for _ in range(p - int(opened.sum())):
        totals = np.minimum(nearest[:, None], weighted).sum(axis=0)
        j = int(np.argmin(np.where(opened, np.inf, totals)))
        opened[j] = True
        nearest = np.minimum(nearest, weighted[:, j])
    return opened


def _swap(
    cost: np.ndarray,
    opened: np.ndarray,
    fixed: np.ndarray,
    score: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """Teitz–Bart interchange: close one site, open the best replacement, keep it if ``score`` drops.

    ``score`` maps an ``(n, k)`` array of each point's minutes to its nearest open site, one column per
    candidate replacement, to the ``k`` objective values (sum of weighted minutes, or the maximum).
    """
    opened = opened.copy()
    for _ in range(_SWAP_PASSES):
        moved = False
        for j in np.flatnonzero(opened & ~fixed):
            others = opened.copy()
            others[j] = False
            nearest = cost[:, others].min(axis=1) if others.any() else np.full(cost.shape[0], np.inf)
            totals = score(np.minimum(nearest[:, None], cost))
            totals[others] = np.inf
            k = int(np.argmin(totals))
            if totals[k] < totals[j] - 1e-9 * max(1.0, abs(totals[j])):
                others[k] = True
                opened, moved = others, True
        if not moved:
            break
    return opened


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


def _median_centre_inputs(
    cost: Any, p: int, fixed: Sequence[int] | None, method: str, time_limit: float
) -> tuple[np.ndarray, np.ndarray, int]:
    _check_options(method, time_limit)
    c = _cost_matrix(cost)
    f = _fixed(fixed, c.shape[1])
    mask = np.zeros(c.shape[1], dtype=bool)
    mask[f] = True
    return c, mask, _check_p(p, c.shape[1], f.size)


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
    return LocationPlan(
        model="p_median",
        sites=_readonly(np.flatnonzero(opened)),
        units_per_site=_readonly(opened.astype(np.int64)),
        objective=value,
        bound=bound,
        gap=_gap(value, bound),
        method=used,
        status=status,
        solve_seconds=time.perf_counter() - started,
        mean_cost=value / float(w.sum()),
    )


def p_center(
    cost: Any,
    p: int,
    fixed: Sequence[int] | None = None,
    *,
    method: Method = "auto",
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> LocationPlan:
    """p-center (Hakimi 1965): ``p`` sites minimising the longest minutes from any point to its nearest site.

    The exact method bisects over the distinct costs: radius ``r`` is achievable when the fewest sites
    covering every point within ``r`` (an LSCP solved by HiGHS) is at most ``p``. The heuristic is a
    greedy placement with swaps; its bound is the trivial ``max_i min_j c_ij``.

    Parameters
    ----------
    cost, p, fixed, method, time_limit
        As for :func:`p_median`; ``time_limit`` applies to the whole bisection.

    Returns
    -------
    LocationPlan
        ``objective`` is the largest assigned minutes.
    """
    started = time.perf_counter()
    c, fixed_mask, p = _median_centre_inputs(cost, p, fixed, method, time_limit)

    def worst(t: np.ndarray) -> np.ndarray:
        return t.max(axis=0)

    first = fixed_mask.copy()
    if not first.any():
        first[int(np.argmin(c.max(axis=0)))] = True
    opened = first
    while opened.sum() < p:
        nearest = c[:, opened].min(axis=1)
        totals = worst(np.minimum(nearest[:, None], c))
        opened = opened.copy()
        opened[int(np.argmin(np.where(opened, np.inf, totals)))] = True
    opened = _swap(c, opened, fixed_mask, worst)
    value = float(c[:, opened].min(axis=1).max())
    bound = float(c.min(axis=1).max())
    status = _status(_gap(value, bound))
    used = "heuristic"
    if _use_highs(method, c.size, AUTO_MAX_PAIRS):
        used = "highs"
        radii = np.unique(c)
        low, high = np.searchsorted(radii, bound), np.searchsorted(radii, value)
        proven = low
        while low < high:
            middle = (low + high) // 2
            remaining = max(1.0, time_limit - (time.perf_counter() - started))
            cover = sp.csr_array(c <= radii[middle])
            x, sites_bound, *_ = _solve_cover(cover, fixed_mask, highs="unproven", time_limit=remaining)
            if x.sum() <= p:
                high, opened = middle, _median_greedy(c, x, p)
            else:
                low = middle + 1
                proven = middle + 1 if sites_bound > p else proven
        value = float(c[:, opened].min(axis=1).max())
        bound = float(radii[proven])
        status = "optimal" if proven == high else "time_limit"
    return LocationPlan(
        model="p_center",
        sites=_readonly(np.flatnonzero(opened)),
        units_per_site=_readonly(opened.astype(np.int64)),
        objective=value,
        bound=bound,
        gap=_gap(value, bound),
        method=used,
        status=status,
        solve_seconds=time.perf_counter() - started,
    )


# ------------------------------------------------------------------------------------------ fleet mix


def fleet_mix(
    weights: Any,
    coverage_by_type: Sequence[Any],
    costs: Sequence[float],
    budget: float,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> LocationPlan:
    """Which unit types to buy and where to base them: most covered weight for a yearly budget.

    Each type ``t`` (an ARV, a CTSFO team, ...) has its own coverage (a CTSFO team mobilises more slowly,
    so it reaches fewer points within the standard) and a yearly cost ``costs[t]`` per unit; at most one
    unit of each type stands by at a site. A point counts as covered when any unit covers it:
    ``max sum_i w_i y_i`` with ``y_i <= sum_t sum_j a^t_ij x_tj`` and ``sum_t costs[t] sum_j x_tj <= budget``.
    Solved exactly with HiGHS only (the instances are force-sized).

    Parameters
    ----------
    weights
        Demand weight per point, non-negative.
    coverage_by_type
        One boolean demand × site coverage matrix per unit type, all the same shape.
    costs
        Yearly cost of one unit of each type (pounds), positive.
    budget
        Yearly budget (pounds), non-negative.
    time_limit
        Seconds HiGHS may run.

    Returns
    -------
    LocationPlan
        ``units_per_site`` is ``(n_types, n_sites)``; ``spend`` the yearly cost of the chosen fleet.
    """
    started = time.perf_counter()
    _check_options("highs", time_limit)
    matrices = [_coverage_matrix(a, name=f"coverage_by_type[{t}]") for t, a in enumerate(coverage_by_type)]
    if not matrices:
        raise InfeasibleError("coverage_by_type must hold one coverage matrix per unit type, got none")
    shapes = {a.shape for a in matrices}
    if len(shapes) != 1:
        raise InfeasibleError(f"every coverage_by_type matrix must have the same shape, got {sorted(shapes)}")
    price = np.asarray(costs, dtype=float)
    if price.shape != (len(matrices),) or not np.all(np.isfinite(price) & (price > 0)):
        msg = f"costs must be one positive yearly cost per unit type ({len(matrices)}), got {list(costs)!r}"
        raise InfeasibleError(msg)
    if not (np.isfinite(budget) and budget >= 0):
        raise InfeasibleError(f"budget must be a non-negative number of pounds, got {budget!r}")
    n_demand, n_sites = matrices[0].shape
    w = _weights(weights, n_demand)
    stacked = sp.csr_array(sp.hstack(matrices, format="csr"))
    columns = stacked.shape[1]
    model = _coverage_model(
        stacked, w, np.ones(1), np.zeros(columns, dtype=np.int64), np.ones(columns, dtype=np.int64)
    )
    x, bound, status = _coverage_highs(
        model,
        np.zeros(columns, dtype=np.int64),
        resource=np.repeat(price, n_sites),
        resource_range=(0.0, float(budget)),
        time_limit=time_limit,
    )
    value = model.value(model.matrix @ x)
    units = x.reshape(len(matrices), n_sites)
    return LocationPlan(
        model="fleet_mix",
        sites=_readonly(np.flatnonzero(units.any(axis=0))),
        units_per_site=_readonly(units),
        objective=value,
        bound=bound,
        gap=_gap(value, bound),
        method="highs",
        status=status,
        solve_seconds=time.perf_counter() - started,
        covered=_readonly((stacked @ x) >= 1),
        spend=float(price @ units.sum(axis=1)),
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
