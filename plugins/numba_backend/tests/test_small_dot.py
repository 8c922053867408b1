"""nb_dot (small_dot.py): the loops for small matrix-vector products agree with NumPy,
and every other case still reaches np.dot."""
import numpy as np
import pytest

pytest.importorskip('numba')
from numba import njit  # noqa: E402

from tracegraph_numba.small_dot import SMALL, nb_dot  # noqa: E402

RNG = np.random.default_rng(0)


@njit
def _dot(a, b):
    return nb_dot(a, b)


@pytest.mark.parametrize('dtype, rtol', [('float64', 1e-13), ('float32', 1e-5)])
@pytest.mark.parametrize('m, n', [(64, 64), (3, 5), (1, 7), (0, 4), (4, 0), (129, 127)])
def test_vector_matrix_and_matrix_vector(m, n, dtype, rtol):
    A = RNG.standard_normal((m, n)).astype(dtype)
    v, w = RNG.standard_normal(m).astype(dtype), RNG.standard_normal(n).astype(dtype)
    for got, want in ((_dot(v, A), v @ A), (_dot(A, w), A @ w)):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * np.sqrt(max(m, n, 1)))


def test_transposed_strided_and_large_operands_take_np_dot():
    A = RNG.standard_normal((40, 30))
    v = RNG.standard_normal(40)
    # A sum that cancels may differ by its terms' rounding: bound by |v| @ |A|, not the result.
    atol = 1e-14 * (np.abs(v) @ np.abs(A)).max()
    np.testing.assert_allclose(_dot(v, A.T.T), v @ A, rtol=1e-13, atol=atol)
    np.testing.assert_allclose(_dot(A.T, v), A.T @ v, rtol=1e-13, atol=atol)           # Fortran-ordered
    np.testing.assert_allclose(_dot(v[::-1], A[::-1]), v @ A, rtol=1e-13, atol=atol)   # strided views
    big = RNG.standard_normal((SMALL // 64 + 1, 64))
    u = RNG.standard_normal(big.shape[0])
    np.testing.assert_allclose(_dot(u, big), u @ big, rtol=1e-12)
    np.testing.assert_allclose(_dot(big, np.ones(64)), big.sum(axis=1), rtol=1e-12)


def test_large_matrix_products_run_numpys_blas():
    """Matrix products run NumPy's BLAS by symbol where NumPy ships its own OpenBLAS
    (numpy_blas.py), so one BLAS thread pool serves the process; mixed dtypes, above and
    below the size from which OpenBLAS multiplies on two threads (65,536 x 4 products)."""
    import tracegraph as tg
    import tracegraph.tensor as T
    a, b = T.matrix('a', dtype='float32'), T.matrix('b', dtype='float64')
    f = tg.function([a, b], [T.dot(a, a.T), T.dot(a, b)], backend='numba')
    n = 72
    for rows in (n, 3):
        x, y = RNG.standard_normal((rows, n)).astype('float32'), RNG.standard_normal((n, n))
        square, mixed = f(x, y)
        assert square.dtype == np.float32 and mixed.dtype == np.float64
        np.testing.assert_allclose(square, x.astype(np.float64) @ x.T, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(mixed, x.astype(np.float64) @ y, rtol=1e-12)


@pytest.mark.parametrize('dtype, rtol', [('float64', 1e-12), ('float32', 1e-5)])
def test_matrix_products_of_every_layout_and_empty_ones_equal_numpy(dtype, rtol):
    # numpy_blas.numpy_gemm reads C and Fortran order as they lie and copies the rest.
    A = RNG.standard_normal((30, 20)).astype(dtype)
    B = RNG.standard_normal((20, 25)).astype(dtype)
    for a, b in ((A, B), (np.asfortranarray(A), B), (A, B.T.copy().T), (A[::-1], B[:, ::2]),
                 (A[:, :0], B[:0]), (A[:0], B), (A[:1], B[:, :1])):
        got = _dot(a, b)
        assert got.dtype == a.dtype and got.shape == (a.shape[0], b.shape[1])
        np.testing.assert_allclose(got, a @ b, rtol=rtol, atol=rtol * 10)
