"""Fleet mix: which unit types to buy and where to base them, for the most covered demand within a budget."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from readiness.errors import InfeasibleError
from readiness.locate.base import (
    DEFAULT_TIME_LIMIT,
    LocationPlan,
    _check_options,
    _coverage_matrix,
    _gap,
    _readonly,
    _weights,
)
from readiness.locate.coverage import _coverage_highs, _coverage_model


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
