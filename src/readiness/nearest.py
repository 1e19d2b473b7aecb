"""Nearest units with fewer memory look-ups: by straight-line distance where a travel matrix is ordered by
it (the warm-up), and by each LSOA's nearest positions (the dispatch's response cars).

The warm-up gives each of its ~90 everyday jobs the free unit with the fewest minutes to it: each look-up
of a unit's minutes is a random entry of an 11 MB matrix (on the West Midlands), which waits for memory,
while the coordinates of every position fit in the fastest cache. (The same search for the dispatch's cars
measured slower: a site's minutes from all 100 cars lie in one 7 kB row, asked for together.) The shipped
travel models (calibrated road minutes, the RAND blue-light curve, their minimum) are increasing functions
of straight-line distance, so the unit nearest in distance is the unit nearest in minutes, except where
two distances are so close that the matrix's float32 minutes could tie.

``distance_order`` checks that, column by column, on the matrix itself: LSOA ``i``'s column is *ordered*
when every position whose squared distance to ``i`` exceeds another's by more than the factor ``BAND``
has strictly more minutes. For an ordered column the nearest in minutes among any set of positions is
found from squared distances, with look-ups only for the positions within ``BAND`` of the least (ties in
minutes then go to the lower index, as in a scan). A matrix from a road network or a file is checked the
same way; its columns that fail are scanned as before. The results are the same bit for bit.

The dispatch sends each reported site the response cars that reach it first. ``nearest_positions`` keeps,
for each LSOA, the positions fewest blue-light minutes from it with their minutes (any matrix: no
ordering by distance is assumed); the engine walks them nearest first and reads minutes only where a car
is, stopping when a car further away could not be earlier. About 50 steps through two rows read in order
replace 100 scattered look-ups a site; the cars chosen are the same.
"""

from __future__ import annotations

import weakref
from typing import NamedTuple

import numba
import numpy as np

INF = np.inf
#: Squared distances within this factor of the least are compared by their minutes (0.05% in distance:
#: far above float32's resolution of the minutes, so ordered columns are the rule; ties are rare).
BAND = 1.0 + 1e-3


class DistanceOrder(NamedTuple):
    """A travel matrix's minutes with the coordinates and ordered columns ``distance_order`` found."""

    minutes: np.ndarray  # (P, n) position x LSOA
    xy: np.ndarray  # (P, 2) coordinates of every position (metres); LSOA i is position n_bases + i
    ordered: np.ndarray  # (n,) bool: column i may be searched by distance
    n_bases: int


@numba.njit(inline="always")
def squared_distance(xy, p, q):
    """Squared straight-line distance between positions ``p`` and ``q`` (the one formula every check uses)."""
    dx = xy[p, 0] - xy[q, 0]
    dy = xy[p, 1] - xy[q, 1]
    return dx * dx + dy * dy


@numba.njit(inline="always")
def band_limit(least):
    """The largest squared distance that must be compared by minutes with the ``least`` one."""
    return least * BAND


@numba.njit(parallel=True, cache=True)
def _ordered_columns(minutes, xy, n_bases):
    """Per LSOA column: whether every position beyond ``band_limit`` of another's squared distance has
    strictly more minutes than it (positions sorted by squared distance; suffix minima of their minutes)."""
    n_positions, n_lsoa = minutes.shape
    out = np.empty(n_lsoa, np.bool_)
    for i in numba.prange(n_lsoa):
        d2 = np.empty(n_positions)
        for p in range(n_positions):
            d2[p] = squared_distance(xy, p, n_bases + i)
        order = np.argsort(d2)
        after = np.empty(n_positions + 1)  # after[r]: the fewest minutes from rank r on
        after[n_positions] = INF
        for r in range(n_positions - 1, -1, -1):
            after[r] = min(after[r + 1], minutes[order[r], i])
        ok = True
        k = 0
        for r in range(n_positions):
            limit = band_limit(d2[order[r]])
            while k < n_positions and d2[order[k]] <= limit:
                k += 1
            if k < n_positions and not after[k] > minutes[order[r], i]:
                ok = False
                break
        out[i] = ok
    return out


@numba.njit(inline="always")
def keep_two_least(u, value, least_at, least, second):
    """The least value so far, where it is, and the second least, after candidate ``u``'s ``value`` (a tie
    leaves the earlier candidate least, as a scan's strict comparison does): what ``nearest_in_band`` takes."""
    if value < least:
        return u, value, least
    if value < second:
        return least_at, least, value
    return least_at, least, second


@numba.njit(inline="always")
def nearest_in_band(order, position, d2, least_at, least, second, i):
    """The index ``u`` of the fewest minutes ``order.minutes[position[u], i]`` (ties: the lowest ``u``) among
    the candidates ``d2[u] < inf``, given the least squared distance (at ``least_at``) and the second least.

    In an ordered column only the candidates within ``band_limit(least)`` can have the fewest minutes, and
    when the second least is beyond it the least is the answer without a look-up.
    """
    limit = band_limit(least)
    if least_at < 0 or not second <= limit:  # no candidate, or one clearly nearest
        return least_at
    best, best_tt = -1, INF
    for u in range(d2.shape[0]):
        if d2[u] <= limit:
            tt = order.minutes[position[u], i]
            if tt < best_tt:
                best_tt, best = tt, u
    return best


#: Checks by the id of the minutes checked (``distance_order``): positions and ordered columns, dropped with
#: that array (the entry holds no reference to it).
_CHECKED: dict[int, tuple[np.ndarray, int, np.ndarray]] = {}


def distance_order(minutes: np.ndarray, xy: np.ndarray, n_bases: int) -> DistanceOrder:
    """``minutes`` with the columns that may be searched by distance, checked once per matrix and positions
    (derived models share their travel arrays, so their checks)."""
    xy = np.ascontiguousarray(xy, dtype=float)
    key = id(minutes)
    known = _CHECKED.get(key)
    if known is None or known[1] != n_bases or not np.array_equal(known[0], xy):
        rows = minutes.shape[0]
        if minutes.ndim == 2 and xy.shape == (rows, 2) and rows - n_bases == minutes.shape[1]:
            ordered = _ordered_columns(minutes, xy, n_bases)
        else:  # not positions x LSOAs: nothing is searched by distance
            ordered = np.zeros(minutes.shape[-1], np.bool_)
        if known is None:
            weakref.finalize(minutes, _CHECKED.pop, key, None)
        known = _CHECKED[key] = (xy, int(n_bases), ordered)
    return DistanceOrder(minutes, known[0], known[2], known[1])


#: Positions kept per LSOA by ``nearest_positions``: enough that a site's first cars are nearly always among
#: them (100 cars over 1,700 positions: a site's first two cars and the next were within the nearest 95 in
#: nine sites of ten, beyond the 256 in 3 of 10,000); where not, the dispatch reads every car's minutes.
KEPT_NEAREST = 256


class NearestPositions(NamedTuple):
    """For each LSOA ``i``, the positions with the fewest minutes to it, fewest first, and those minutes."""

    position: np.ndarray  # (n, kept) int32
    minutes: np.ndarray  # (n, kept): ``to_sites[i, position[i, r]]``, the same values, read in walking order


def nearest_positions(to_sites: np.ndarray, kept: int = KEPT_NEAREST) -> NearestPositions:
    """The ``kept`` positions fewest minutes from each LSOA row ``i`` of ``to_sites`` (``[i, p]``: minutes from
    position ``p``), fewest first; every position left out has at least the minutes of the last kept (ties
    among equal minutes in any order)."""
    kept = min(kept, to_sites.shape[1])
    some = np.argpartition(to_sites, kept - 1, axis=1)[:, :kept]
    fewest_first = np.argsort(np.take_along_axis(to_sites, some, axis=1), axis=1, kind="stable")
    position = np.ascontiguousarray(np.take_along_axis(some, fewest_first, axis=1), dtype=np.int32)
    return NearestPositions(position, np.ascontiguousarray(np.take_along_axis(to_sites, position, axis=1)))
