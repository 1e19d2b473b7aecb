"""Counter-based random streams keyed by (seed, replication, purpose, index).

A replication's draws must not depend on the batch it runs in, the number of workers, or how many units
an option adds (common random numbers by construction). A stateful generator cannot promise that
cheaply for millions of replications, so every number here is a pure hash of its key: SplitMix64's
finaliser applied twice, the construction behind SplitMix64 itself and JAX/Random123-style
counter-based generators.
"""

from __future__ import annotations

import hashlib

import numba
import numpy as np
from scipy import special

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_INDEX_MULT = np.uint64(0xD1B54A32D192ED03)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 2.0**-53


def stream_key(seed: int, purpose: str) -> np.uint64:
    """A 64-bit key for one purpose (e.g. ``"site"``, ``"unit:arv@Dudley#1"``) under one seed."""
    digest = hashlib.blake2b(f"{int(seed)}\x1f{purpose}".encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


def name_index(name: str) -> int:
    """A stable index for a named thing (a unit), so its draws survive fleets being reordered or grown."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "little")


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def replication_keys(seed: int, purpose: str, replications: np.ndarray) -> np.ndarray:
    """Per-replication keys of a stream, for compiled code that draws with :func:`uniform_at`."""
    reps = np.asarray(replications, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return _mix(stream_key(seed, purpose) + reps * _GOLDEN)


@numba.njit(cache=True)
def uniform_at(replication_key: np.uint64, index: int) -> float:
    """The draw :func:`uniforms` gives at ``index`` of a replication, from its :func:`replication_keys` entry."""
    z = replication_key ^ (np.uint64(index) * _INDEX_MULT + _GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))
    return (np.float64(z >> np.uint64(11)) + 0.5) * _TO_UNIT


def uniforms(seed: int, purpose: str, replications: np.ndarray, indices: np.ndarray | int) -> np.ndarray:
    """Uniform draws in (0, 1) of shape ``(len(replications), n_indices)``.

    Parameters
    ----------
    seed, purpose
        Select the stream.
    replications
        Global replication indices (not positions within a batch).
    indices
        Indices within the purpose (site number, unit name index...), or an int ``n`` for ``0..n-1``.
    """
    idx = np.arange(indices, dtype=np.uint64) if isinstance(indices, int) else np.asarray(indices, np.uint64)
    out = np.empty((len(np.atleast_1d(replications)), idx.size))
    _uniform_grid(replication_keys(seed, purpose, replications), idx.ravel(), out)
    return out


@numba.njit(cache=True)
def _uniform_grid(per_rep, idx, out):
    """``out[r, j] = uniform_at(per_rep[r], idx[j])``: one pass, no temporaries (NumPy needed five); serial,
    as the many small calls cost more in thread start-ups than they gain."""
    for r in range(per_rep.shape[0]):
        for j in range(idx.shape[0]):
            out[r, j] = uniform_at(per_rep[r], idx[j])


# Cephes ``ndtri`` (S. L. Moshier, Cephes Math Library 2.1, 1989), the algorithm and coefficients behind
# ``scipy.special.ndtri``: rational approximations near the centre and in two tail ranges.
_NDTRI_P0 = (-5.99633501014107895267e1, 9.80010754185999661536e1, -5.66762857469070293439e1,
             1.39312609387279679503e1, -1.23916583867381258016e0)
_NDTRI_Q0 = (1.95448858338141759834e0, 4.67627912898881538453e0, 8.63602421390890590575e1,
             -2.25462687854119370527e2, 2.00260212380060660359e2, -8.20372256168333339912e1,
             1.59056225126211695515e1, -1.18331621121330003142e0)
_NDTRI_P1 = (4.05544892305962419923e0, 3.15251094599893866154e1, 5.71628192246421288162e1,
             4.40805073893200834700e1, 1.46849561928858024014e1, 2.18663306850790267539e0,
             -1.40256079171354495875e-1, -3.50424626827848203418e-2, -8.57456785154685413611e-4)
_NDTRI_Q1 = (1.57799883256466749731e1, 4.53907635128879210584e1, 4.13172038254672030440e1,
             1.50425385692907503408e1, 2.50464946208309415979e0, -1.42182922854787788574e-1,
             -3.80806407691578277194e-2, -9.33259480895457427372e-4)
_NDTRI_P2 = (3.23774891776946035970e0, 6.91522889068984211695e0, 3.93881025292474443415e0,
             1.33303460815807542389e0, 2.01485389549179081538e-1, 1.23716634817820021358e-2,
             3.01581553508235416007e-4, 2.65806974686737550832e-6, 6.23974539184983293730e-9)
_NDTRI_Q2 = (6.02427039364742014255e0, 3.67983563856160859403e0, 1.37702099489081330271e0,
             2.16236993594496635890e-1, 1.34204006088543189037e-2, 3.28014464682127739104e-4,
             2.89247864745380683936e-6, 6.79019408009981274425e-9)
_SQRT2PI = 2.50662827463100050242e0
_EXP_M2 = 0.13533528323661269189  # exp(-2)


@numba.njit(cache=True, inline="always")
def _polevl(x, coef):
    """``coef[0] x^n + ... + coef[n]`` by Horner's rule, in Cephes' order of operations."""
    ans = coef[0]
    for i in range(1, len(coef)):
        ans = ans * x + coef[i]
    return ans


@numba.njit(cache=True, inline="always")
def _p1evl(x, coef):
    """As :func:`_polevl` with a leading coefficient 1 left out of ``coef`` (Cephes' ``p1evl``)."""
    ans = x + coef[0]
    for i in range(1, len(coef)):
        ans = ans * x + coef[i]
    return ans


@numba.njit(cache=True)
def ndtri(y0):
    """The standard normal quantile, step for step SciPy's (Cephes) ``ndtri``, so compiled loops can draw
    normals without leaving Numba (bit-identical to ``scipy.special.ndtri``: tested)."""
    if y0 == 0.0:
        return -np.inf
    if y0 == 1.0:
        return np.inf
    if not 0.0 <= y0 <= 1.0:  # NaN too
        return np.nan
    negate = True
    y = y0
    if y > 1.0 - _EXP_M2:
        y = 1.0 - y
        negate = False
    if y > _EXP_M2:
        y = y - 0.5
        y2 = y * y
        x = y + y * (y2 * _polevl(y2, _NDTRI_P0) / _p1evl(y2, _NDTRI_Q0))
        return x * _SQRT2PI
    x = np.sqrt(-2.0 * np.log(y))
    x0 = x - np.log(x) / x
    z = 1.0 / x
    if x < 8.0:
        x1 = z * _polevl(z, _NDTRI_P1) / _p1evl(z, _NDTRI_Q1)
    else:
        x1 = z * _polevl(z, _NDTRI_P2) / _p1evl(z, _NDTRI_Q2)
    x = x0 - x1
    return -x if negate else x


def normals(seed: int, purpose: str, replications: np.ndarray, indices: np.ndarray | int) -> np.ndarray:
    """Standard normal draws by inversion of :func:`uniforms`."""
    return special.ndtri(uniforms(seed, purpose, replications, indices))


@numba.njit(cache=True, inline="always")
def _search(cumulative, x, lo, hi):
    """``searchsorted(cumulative, x, side="right")`` within ``[lo, hi)``, clipped to the last index."""
    while lo < hi:
        mid = (lo + hi) // 2
        if cumulative[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return min(lo, cumulative.shape[0] - 1)


@numba.njit(cache=True, inline="always")
def pick_in_row(cumulative, u):
    """The index a uniform ``u`` picks from cumulative weights ``cumulative`` (``searchsorted(cumulative,
    u * total, side="right")``, clipped): the one weighted pick of sites, patrol positions and layers."""
    n = cumulative.shape[0]
    return _search(cumulative, u * cumulative[n - 1], 0, n)


#: Extra entries of a guide table row beyond one per weight (``guide_table``).
_GUIDE_PAD = 3


def guide_table(cumulative: np.ndarray) -> np.ndarray:
    """Guide rows for :func:`pick_guided` over the last axis of ``cumulative``: ``(..., n + 3)`` int32.

    Entry ``b`` counts the cumulative weights at most ``(b / n) * total``, so a uniform in bucket
    ``floor(u n)`` picks an index between entries ``b - 1`` and ``b + 2`` (a margin of one bucket each side
    absorbs every rounding), and the search runs over those few indices instead of all ``n``.
    """
    cumulative = np.ascontiguousarray(cumulative, dtype=float)
    rows = cumulative.reshape(-1, cumulative.shape[-1])
    out = np.empty((rows.shape[0], rows.shape[1] + _GUIDE_PAD), np.int32)
    _guide_rows(rows, out)
    return out.reshape(*cumulative.shape[:-1], rows.shape[1] + _GUIDE_PAD)


@numba.njit(parallel=True, cache=True)
def _guide_rows(rows, out):
    n = rows.shape[1]
    for i in numba.prange(rows.shape[0]):
        total = rows[i, n - 1]
        k = 0
        for b in range(out.shape[1]):
            x = (b / n) * total
            while k < n and rows[i, k] <= x:
                k += 1
            out[i, b] = k


@numba.njit(cache=True, inline="always")
def pick_guided(cumulative, guide, u):
    """:func:`pick_in_row` (the same index for every ``u``) searching only the indices its guide row allows.

    Where one weight spans the bucket and its margins (about 60% of the patrol layers' picks), the guide
    alone gives the index and the cumulative row is not read: a memory wait saved, not a search step.
    """
    n = cumulative.shape[0]
    b = min(np.int64(u * n), n - 1)
    lo, hi = np.int64(guide[max(b - 1, 0)]), np.int64(guide[b + 2])
    if lo == hi:
        return min(lo, n - 1)
    return _search(cumulative, u * cumulative[n - 1], lo, hi)
