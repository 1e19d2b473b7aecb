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
    per_rep = replication_keys(seed, purpose, replications)
    with np.errstate(over="ignore"):
        z = _mix(per_rep[:, None] ^ (idx[None, :] * _INDEX_MULT + _GOLDEN))
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) * _TO_UNIT


def normals(seed: int, purpose: str, replications: np.ndarray, indices: np.ndarray | int) -> np.ndarray:
    """Standard normal draws by inversion of :func:`uniforms`."""
    return special.ndtri(uniforms(seed, purpose, replications, indices))


@numba.njit(cache=True, inline="always")
def pick_in_row(cumulative, u):
    """The index a uniform ``u`` picks from cumulative weights ``cumulative`` (``searchsorted(cumulative,
    u * total, side="right")``, clipped): the one weighted pick of sites, patrol positions and layers."""
    n = cumulative.shape[0]
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if cumulative[mid] <= u * cumulative[n - 1]:
            lo = mid + 1
        else:
            hi = mid
    return min(lo, n - 1)
