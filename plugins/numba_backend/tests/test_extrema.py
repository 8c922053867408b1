"""extrema.py's SIMD rows against NumPy: every length around the vector and block sizes,
with NaNs (first one wins argmax and argmin), infinities and ties."""
import numpy as np
import pytest

from tracegraph_numba.extrema import row_argmax, row_argmin, row_max, row_min, rows_arg

RNG = np.random.default_rng(7)
LENGTHS = [1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 129, 1000]


def _rows(n, dtype):
    """Rows of length n: plain, a NaN somewhere, ties, NaN last, both infinities, all NaN."""
    plain = RNG.standard_normal(n).astype(dtype)
    nan_inside, nan_last, infinite = plain.copy(), plain.copy(), plain.copy()
    nan_inside[RNG.integers(n)] = np.nan
    nan_last[-1] = np.nan
    infinite[RNG.integers(n)], infinite[RNG.integers(n)] = np.inf, -np.inf
    ties = np.round(plain * 2).astype(dtype)
    return plain, nan_inside, nan_last, infinite, ties, np.full(n, np.nan, dtype)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('ours, numpys', [(row_max, np.max), (row_min, np.min),
                                          (row_argmax, np.argmax), (row_argmin, np.argmin)])
def test_rows_agree_with_numpy(ours, numpys, dtype):
    for n in LENGTHS:
        for row in _rows(n, dtype):
            expected = numpys(row)
            got = np.asarray(ours(row), dtype=np.asarray(expected).dtype)
            np.testing.assert_array_equal(got, expected, err_msg=f'{ours.__name__} of {row!r}')


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('greater, numpys', [(True, np.argmax), (False, np.argmin)])
def test_the_rows_of_a_matrix_agree_with_numpy(greater, numpys, dtype):
    """The matrix form finds each row's address itself: every row of a stack of the
    rows above, so a wrong row offset shows."""
    for n in LENGTHS:
        x = np.stack(_rows(n, dtype) + _rows(n, dtype))
        out = np.full(x.shape[0], -7, dtype=np.int64)
        rows_arg(x, out, greater)
        np.testing.assert_array_equal(out, numpys(x, axis=1), err_msg=f'{numpys.__name__}, rows of {n}')
