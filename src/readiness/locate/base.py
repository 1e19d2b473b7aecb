"""Shared machinery of the location models: the plan, input checks, HiGHS, gaps and interchange heuristics."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import highspy
import numpy as np
import scipy.sparse as sp

from readiness.errors import ConfigError, InfeasibleError

Method = Literal["auto", "highs", "heuristic"]

MIP_REL_GAP = 1e-4
"""Relative MIP gap at which HiGHS stops and a plan is reported optimal."""

DEFAULT_TIME_LIMIT = 300.0
"""Seconds HiGHS may run before it returns its best plan with its gap (status ``time_limit``)."""

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


def _open_sites_plan(
    model: str, opened: np.ndarray, value: float, bound: float, method: str, status: str, started: float,
    **measures: Any,
) -> LocationPlan:
    """The plan of a model that opens sites with one unit each (LSCP, p-median, p-center)."""
    return LocationPlan(
        model=model,
        sites=_readonly(np.flatnonzero(opened)),
        units_per_site=_readonly(opened.astype(np.int64)),
        objective=value,
        bound=bound,
        gap=_gap(value, bound),
        method=method,
        status=status,
        solve_seconds=time.perf_counter() - started,
        **measures,
    )


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


# ---------------------------------------------------------------------------------- median, centre heuristics


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


def _median_centre_inputs(
    cost: Any, p: int, fixed: Sequence[int] | None, method: str, time_limit: float
) -> tuple[np.ndarray, np.ndarray, int]:
    _check_options(method, time_limit)
    c = _cost_matrix(cost)
    f = _fixed(fixed, c.shape[1])
    mask = np.zeros(c.shape[1], dtype=bool)
    mask[f] = True
    return c, mask, _check_p(p, c.shape[1], f.size)
