"""Reductions on the Numba backend: NumPy's orders, dtypes, NaN and empty input (sums,
products; max, min and their arguments, compiled on short rows, NumPy's on long ones).

Float sums over the last axis run pairwise on SIMD (pairwise.py); these tests pin
that they give NumPy's bits where NumPy sums a contiguous row pairwise, stay within
a pairwise error bound of the exact sum (math.fsum), and keep NumPy's semantics.
"""
import math

import numpy as np
import pytest

pytest.importorskip('numba')

import tracegraph as tg  # noqa: E402
import tracegraph.tensor as T  # noqa: E402
from tracegraph import backends  # noqa: E402

pytestmark = pytest.mark.skipif(not backends.available().get('numba'), reason='numba backend unavailable')

RNG = np.random.default_rng(7)
# Around NumPy's block of 128 and its 8 lanes, and long rows that split recursively.
LENGTHS = [0, 1, 7, 8, 9, 15, 16, 127, 128, 129, 135, 136, 1000, 4099, 100_003]


def _wide(n, dtype):
    """Values spread over ten decades with both signs: order matters for their sum."""
    return (RNG.standard_normal(n) * 10.0 ** RNG.uniform(-5, 5, n)).astype(dtype)


def _compile(ndim, dtype, build):
    x = T.TensorType(dtype, (None,) * ndim)('x')
    return tg.function([x], build(x), backend='numba')


@pytest.mark.parametrize('dtype', ['float64', 'float32'])
def test_a_float_sum_is_numpys_pairwise_sum_bit_for_bit(dtype):
    f = _compile(1, dtype, lambda x: x.sum())
    for n in LENGTHS:
        a = _wide(n, dtype)
        got = f(a)
        assert np.asarray(got).dtype == np.dtype(dtype)
        assert got == np.sum(a), n


def test_a_long_sum_stays_within_the_pairwise_error_bound():
    a = _wide(1_000_003, 'float64')
    f = _compile(1, 'float64', lambda x: x.sum())
    exact = math.fsum(a)
    # Pairwise summation: error below about log2(n/128) + 128 roundings of sum(|a|).
    bound = (math.log2(a.size / 128) + 128) * np.finfo(np.float64).eps * np.abs(a).sum()
    assert abs(f(a) - exact) <= bound


@pytest.mark.parametrize('axis', [None, -1, (1, 2), (0, 2), (0, 1, 2), 0, (0, 1)])
def test_partial_sums_and_products_match_numpy(axis):
    a = _wide(3 * 50 * 131, 'float64').reshape(3, 50, 131)
    f = _compile(3, 'float64', lambda x: [x.sum(axis=axis), (1 + x * 1e-6).prod(axis=axis)])
    total, product = f(a)
    np.testing.assert_allclose(total, np.sum(a, axis=axis), rtol=1e-12, atol=1e-12 * np.abs(a).sum())
    np.testing.assert_allclose(product, np.prod(1 + a * 1e-6, axis=axis), rtol=1e-12)
    if axis in (None, -1, (1, 2), (0, 1, 2)):
        # Rows NumPy sums as one contiguous run: the same bits.
        np.testing.assert_array_equal(total, np.sum(a, axis=axis))


def test_non_contiguous_input_is_summed_correctly():
    a = _wide(40 * 300, 'float64').reshape(40, 300)
    f = _compile(2, 'float64', lambda x: [x.sum(axis=-1), x.sum(), x.T.sum(axis=-1)])
    for view in (a[:, ::2], a.T, a[::3, 5:]):
        rows, total, cols = f(view)
        np.testing.assert_allclose(rows, view.sum(axis=-1), rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(total, view.sum(), rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(cols, view.T.sum(axis=-1), rtol=1e-12, atol=1e-9)


def test_nan_and_infinities_propagate_as_in_numpy():
    f = _compile(2, 'float64', lambda x: [x.sum(axis=-1), x.prod(axis=-1), x.sum()])
    a = np.ones((4, 200))
    a[0, 150] = np.nan
    a[1, 3], a[1, 190] = np.inf, -np.inf
    a[2, 77] = np.inf
    a[3, 10], a[3, 11] = 0.0, np.inf
    rows, products, total = f(a)
    np.testing.assert_array_equal(rows, a.sum(axis=-1))          # nan, nan, inf, nan
    np.testing.assert_array_equal(products, a.prod(axis=-1))     # nan, -inf, inf, nan
    assert np.isnan(total)


def test_empty_input_gives_the_identity():
    f = _compile(2, 'float64', lambda x: [x.sum(axis=-1), x.sum(axis=0), x.sum(), x.prod(), x.prod(axis=-1)])
    for shape in [(0, 5), (5, 0), (0, 0)]:
        a = np.empty(shape)
        for got, ref in zip(f(a), [a.sum(axis=-1), a.sum(axis=0), a.sum(), a.prod(), a.prod(axis=-1)]):
            np.testing.assert_array_equal(got, ref)
            assert np.shape(got) == np.shape(ref)


def test_a_sum_of_negative_zeros_is_positive_zero_as_in_numpy():
    f = _compile(1, 'float64', lambda x: x.sum())
    for n in (1, 20, 300):
        got = f(np.full(n, -0.0))
        assert got == 0 and not np.signbit(got) and not np.signbit(np.sum(np.full(n, -0.0)))


@pytest.mark.parametrize('dtype', ['int32', 'int64', 'uint8', 'bool'])
def test_integer_sums_and_products_keep_the_accumulator_dtype(dtype):
    a = RNG.integers(0, 3, (5, 1000)).astype(dtype)
    x = T.TensorType(dtype, (None, None))('x')
    outputs = [x.sum(), x.sum(axis=-1), x.prod(axis=0)]
    # The graph declares the dtype (int64 for small ints and bools, as NumPy on
    # signed ones); the values are NumPy's.
    declared = [o.dtype for o in outputs]
    got = tg.function([x], outputs, backend='numba')(a)
    for g, d, ref in zip(got, declared, [a.sum(), a.sum(axis=-1), a.prod(axis=0)]):
        assert np.asarray(g).dtype == np.dtype(d)
        np.testing.assert_array_equal(g, ref)


@pytest.mark.filterwarnings('ignore:overflow encountered:RuntimeWarning')  # NumPy's own reference
def test_a_float_product_overflows_to_inf_as_in_numpy():
    f = _compile(1, 'float64', lambda x: x.prod())
    assert f(np.full(400, 10.0)) == np.inf == np.prod(np.full(400, 10.0))
    assert f(np.full(399, -10.0)) == -np.inf == np.prod(np.full(399, -10.0))  # odd count of negatives
    # NumPy multiplies in order: (1e300 * 1e300) is inf before the small factors come.
    # NumPy's pairwise lanes (elements j, j+8, ...) would meet 1e300 with 1e-300: 1.0.
    order = np.array([1e300, 1e300] + [1.0] * 6 + [1e-300, 1e-300] + [1.0] * 6)
    assert f(order) == np.prod(order) == np.inf


def test_the_reduction_kernel_calls_the_simd_pairwise_sum():
    from numba import njit

    from tracegraph_numba import pairwise
    f = _compile(2, 'float64', lambda x: x.sum(axis=-1))
    assert 'pairwise_sum(' in f.source
    # A fresh compile (a disk-cache hit keeps no LLVM IR): the lanes are one vector add.
    fresh = njit(pairwise.pairwise_sum.py_func)
    assert fresh(np.ones(300), 0.0) == 300.0
    assert 'fadd <8 x double>' in fresh.inspect_llvm(fresh.signatures[0])


def test_float32_rows_accumulate_in_float32_and_a_wider_dtype_in_float64():
    a = _wide(6 * 1000, 'float32').reshape(6, 1000)
    x = T.TensorType('float32', (None, None))('x')
    rows, wide = tg.function([x], [x.sum(axis=-1), T.sum(x, axis=-1, dtype='float64')], backend='numba')(a)
    assert rows.dtype == np.float32 and wide.dtype == np.float64
    np.testing.assert_array_equal(rows, np.sum(a, axis=-1))
    exact = [math.fsum(r) for r in a.astype(np.float64)]
    np.testing.assert_allclose(wide, exact, rtol=1e-12, atol=1e-13 * np.abs(a).astype(np.float64).sum())


@pytest.mark.parametrize('build', [lambda x: x.max(axis=1), lambda x: x.min(), lambda x: T.argmax(x, axis=1),
                                   lambda x: T.argmin(x, axis=None), lambda x: x.max(axis=0),
                                   lambda x: x.T.min(axis=1)])
def test_float_max_min_and_their_args_agree_with_numpy_on_every_path(build):
    # (50, 100): rows of 100 on SIMD (extrema.py); (600, 6): rows of 6, shorter than a
    # vector, compared one by one; (1100, 1000): 2^20 elements and more, where a layout
    # the rows cannot take (x.T) goes to NumPy.  NaNs propagate (and win argmax) in all.
    x = T.dmatrix('x')
    f, ref = (tg.function([x], build(x), backend=b) for b in ('numba', 'numpy'))
    for shape in ((50, 100), (600, 6), (1100, 1000)):
        a = RNG.standard_normal(shape)
        np.testing.assert_array_equal(f(a), ref(a))
        a[3, 4] = np.nan
        np.testing.assert_array_equal(f(a), ref(a))


@pytest.mark.parametrize('axis', [None, 0, 1, 2])
def test_cumulative_ops_agree_with_numpy_along_every_axis(axis):
    # Along the last axis the running value is a local scalar; along a leading one the
    # loop runs over rows.  An empty axis, -0.0 first, and int32 summed as int64.
    x, k = T.dtensor3('x'), T.tensor3('k', dtype='int32')
    outs = [T.cumsum(x, axis=axis), T.cumprod(x, axis=axis), T.cumsum(k, axis=axis)]
    f, ref = (tg.function([x, k], outs, backend=b) for b in ('numba', 'numpy'))
    a = RNG.standard_normal((3, 4, 5))
    a[0, 0, 0] = -0.0
    for shape in ((3, 4, 5), (3, 0, 5)):
        args = a[:shape[0], :shape[1], :shape[2]], RNG.integers(-9, 9, shape).astype('int32')
        for got, expected in zip(f(*args), ref(*args)):
            assert got.dtype == expected.dtype
            np.testing.assert_array_equal(got, expected)
            np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


@pytest.mark.parametrize('dtype', ['bool', 'float64', 'int32'])
def test_any_and_all_that_stop_early_agree_with_numpy(dtype):
    """A whole-array any/all stops at the block that decides it: the deciding element at
    every position around the block of 4,096, in a transposed (strided) input too."""
    f = _compile(2, dtype, lambda x: [T.any(x), T.all(x), T.any(x.T), T.all(x.T)])
    for flat in (0, 1, 4095, 4096, 4097, 3 * 4096 - 1, 3 * 4096 + 2, None):
        ones, zeros = np.ones(3 * 4096 + 3, dtype), np.zeros(3 * 4096 + 3, dtype)
        if flat is not None:
            ones[flat], zeros[flat] = 0, 1
        for a in (ones.reshape(3, -1), zeros.reshape(3, -1)):
            assert [bool(v) for v in f(a)] == [a.any(), a.all(), a.T.any(), a.T.all()], (flat, a.flat[0])
    assert [bool(v) for v in f(np.ones((0, 5), dtype))] == [False, True, False, True]
