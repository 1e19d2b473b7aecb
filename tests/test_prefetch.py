"""The prefetch intrinsic compiles for the travel matrices' layouts and never changes a value."""

import numba
import numpy as np
import pytest

from readiness.prefetch import prefetch


@numba.njit
def _sum_with_prefetch(matrix, rows, cols):
    for i in range(rows.shape[0]):
        prefetch(matrix, rows[i], cols[i])
    total = 0.0
    for i in range(rows.shape[0]):
        total += matrix[rows[i], cols[i]]
    return total


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prefetched_reads_give_the_values_read_without_it(dtype):
    rng = np.random.default_rng(1)
    matrix = rng.random((300, 200)).astype(dtype)
    rows, cols = rng.integers(0, 300, 1000), rng.integers(0, 200, 1000)
    expected = sum(float(matrix[r, c]) for r, c in zip(rows, cols, strict=True))
    assert _sum_with_prefetch(matrix, rows, cols) == expected  # same additions in the same order
    assert matrix.dtype == dtype  # a prefetch writes nothing
