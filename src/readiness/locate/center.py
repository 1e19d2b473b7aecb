"""p-center: the sites that minimise the longest minutes from any demand point to its nearest site."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from readiness.locate.base import (
    AUTO_MAX_PAIRS,
    DEFAULT_TIME_LIMIT,
    LocationPlan,
    Method,
    _gap,
    _median_centre_inputs,
    _median_greedy,
    _open_sites_plan,
    _status,
    _swap,
    _use_highs,
)
from readiness.locate.coverage import _solve_cover


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
    return _open_sites_plan("p_center", opened, value, bound, used, status, started)
