"""Counter-based streams: keyed by (seed, replication, purpose, index), uniform, independent of batching."""

import numba
import numpy as np
import pytest
from scipy import special, stats

from readiness.rng import (
    _GOLDEN,
    _INDEX_MULT,
    _TO_UNIT,
    _mix,
    guide_table,
    name_index,
    ndtri,
    normals,
    pick_guided,
    pick_in_row,
    replication_keys,
    uniforms,
)


def test_a_replication_draws_the_same_numbers_in_any_batch():
    whole = uniforms(7, "site", np.arange(0, 1000), 5)
    part = uniforms(7, "site", np.arange(400, 410), 5)
    np.testing.assert_array_equal(whole[400:410], part)


def test_streams_differ_by_seed_purpose_and_index():
    reps = np.arange(100)
    a = uniforms(1, "site", reps, 3)
    assert not np.allclose(a, uniforms(2, "site", reps, 3))
    assert not np.allclose(a, uniforms(1, "start", reps, 3))
    assert not np.allclose(a[:, 0], a[:, 1])


def test_uniforms_are_uniform_and_uncorrelated():
    u = uniforms(11, "test", np.arange(200_000), 2)
    assert 0.0 < u.min() and u.max() < 1.0
    assert stats.kstest(u[:, 0], "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(u[:-1, 0], u[1:, 0])[0, 1]) < 0.01  # consecutive replications
    assert abs(np.corrcoef(u[:, 0], u[:, 1])[0, 1]) < 0.01  # consecutive indices


def test_normals_have_unit_variance():
    z = normals(3, "notify", np.arange(100_000), 1)[:, 0]
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02


def test_explicit_indices_key_draws_by_name():
    a, b = name_index("arv@Dudley#1"), name_index("arv@Dudley#2")
    both = uniforms(5, "patrol", np.arange(10), np.array([a, b], dtype=np.uint64))
    only_b = uniforms(5, "patrol", np.arange(10), np.array([b], dtype=np.uint64))
    np.testing.assert_array_equal(both[:, 1], only_b[:, 0])


def test_uniforms_are_the_hash_of_their_key():
    """The compiled grid gives, bit for bit, SplitMix64's finaliser of (replication key, index) in NumPy."""
    reps, idx = np.array([0, 5, 10**9]), np.array([0, 7, 2**40], dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = _mix(replication_keys(4, "x", reps)[:, None] ^ (idx[None, :] * _INDEX_MULT + _GOLDEN))
    np.testing.assert_array_equal(uniforms(4, "x", reps, idx), ((z >> np.uint64(11)).astype(float) + 0.5) * _TO_UNIT)
    assert uniforms(4, "x", np.arange(0), 3).shape == (0, 3)


@numba.njit
def _ndtri_all(y):
    out = np.empty_like(y)
    for i in range(y.shape[0]):
        out[i] = ndtri(y[i])
    return out


def test_compiled_ndtri_is_scipys_bit_for_bit():
    """Centre, both tail ranges (x < 8 and x >= 8), the branch points, the ends and invalid inputs."""
    u = uniforms(1, "ndtri", np.arange(200), 1000).ravel()
    edges = np.array([0.0, 1.0, 5e-324, 1e-300, 1e-20, 1.2664165549e-14, 0.13533528323661269189,
                      1 - 0.13533528323661269189, 0.5, np.nextafter(1.0, 0.0), -0.1, 1.1, np.nan])
    y = np.concatenate([u, u * 1e-12, u * 1e-200, 1 - u * 1e-6, edges])
    ours, scipys = _ndtri_all(y), special.ndtri(y)
    valid = ~np.isnan(scipys)
    np.testing.assert_array_equal(np.isnan(ours), ~valid)  # NaN for NaN and outside [0, 1]
    np.testing.assert_array_equal(ours[valid].view(np.int64), scipys[valid].view(np.int64))


@numba.njit
def _picks(cumulative, guide, u):
    plain, guided = np.empty(u.shape[0], np.int64), np.empty(u.shape[0], np.int64)
    for i in range(u.shape[0]):
        plain[i], guided[i] = pick_in_row(cumulative, u[i]), pick_guided(cumulative, guide, u[i])
    return plain, guided


@pytest.mark.parametrize("shape", ["smooth", "skewed", "sparse", "one", "zero", "single"])
def test_guided_pick_is_the_plain_binary_search(shape):
    """Same index for every uniform, bucket edges included, on smooth, skewed, sparse and degenerate weights."""
    n = 1 if shape == "single" else 1500
    rng = np.random.default_rng(3)
    weights = {"smooth": rng.random(n), "skewed": rng.random(n) ** 25.0,
               "sparse": rng.random(n) * (rng.random(n) < 0.05), "one": np.eye(1, n, 700).ravel(),
               "zero": np.zeros(n), "single": np.ones(1)}[shape]
    cumulative = np.cumsum(weights)
    u = np.concatenate([uniforms(2, "pick", np.arange(20), 1000).ravel(), np.arange(1, n) / n,
                        np.nextafter(np.arange(1, n) / n, 0.0), [2.0**-54, 1 - 2.0**-53]])
    plain, guided = _picks(cumulative, guide_table(cumulative), u)
    np.testing.assert_array_equal(plain, guided)
    np.testing.assert_array_equal(plain, np.minimum(np.searchsorted(cumulative, u * cumulative[-1], side="right"),
                                                    n - 1))
