"""Counter-based streams: keyed by (seed, replication, purpose, index), uniform, independent of batching."""

import numpy as np
from scipy import stats

from readiness.rng import name_index, normals, uniforms


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
