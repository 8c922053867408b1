"""Elementwise nodes that run NumPy's own loops in chunks (chunked.py, ufunc_loops.py)
against the NumPy backend: broadcasting, several outputs, chunk edges, special values."""
import numpy as np
import pytest

pytest.importorskip('numba')

import tracegraph as tg  # noqa: E402
import tracegraph.tensor as T  # noqa: E402
from tracegraph_numba import chunked, ufunc_loops  # noqa: E402

SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-310, -1e-310, 5e-324, 1e-45, 88.7, 89.0,
           709.78, 710.0, -745.2, -103.9, 20.0, -20.0, 1e300, -1e300]


def _both(inputs, outputs):
    return [tg.function(inputs, outputs, backend=b) for b in ('numba', 'numpy')]


def test_numpy_loops_are_found_for_the_float_transcendental_ops():
    for name in ('exp', 'log', 'tanh', 'sin', 'pow', 'arctan2'):
        for dtype in ('float32', 'float64'):
            assert (name, dtype) in ufunc_loops.SYMBOLS


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_lone_ops_equal_numpy_bit_for_bit_and_sigmoid_within_three_ulp(dtype):
    x = T.vector('x', dtype=dtype)
    outs = [T.tanh(x), T.exp(x), T.log(x), T.nnet.sigmoid(x)]
    numba_f, _ = _both([x], outs)
    with np.errstate(all='ignore'):
        value = np.concatenate([SPECIAL, np.linspace(-30, 30, 2500)]).astype(dtype)
        got = numba_f(value)
        for name, out in zip(('tanh', 'exp', 'log'), got[:3]):
            ref = getattr(np, name)(value)
            if ufunc_loops.numpy_is_faster(name, dtype):
                np.testing.assert_array_equal(out, ref)
            else:   # vector_math.py, at most 3 ulp from NumPy
                same = np.isclose(out, ref, rtol=0, atol=0, equal_nan=True)
                assert np.all(same | (np.abs(out - ref) <= 3 * np.spacing(np.abs(ref)))), name
        exact = 1 / (1 + np.exp(-value.astype(np.float64)))
    ulp = np.spacing(np.abs(exact).astype(dtype))
    finite = np.isfinite(value)
    # float32's e / (1 + e) rounds three times, as eager NumPy's 1 / (1 + exp(-x)) does.
    assert np.all(np.abs(got[3][finite] - exact[finite]) <= 3 * ulp[finite])
    assert np.isnan(got[3][~np.isfinite(value) & np.isnan(value)]).all()


def test_broadcast_matrix_two_outputs_and_chunk_edges_match_the_numpy_backend():
    m, row = T.matrix('m'), T.row('r')
    mixed = (m * row + 2 * m - T.exp(-row)) * T.tanh(m)
    outs = [mixed, T.log1p(m * m) + mixed, (T.arctan2(m, row + 1) + 4) ** 1.5]
    numba_f, numpy_f = _both([m, row], outs)
    rng = np.random.default_rng(0)
    for shape in ((3, chunked.CHUNK * 2 + 7), (2, 5), (0, 4), (4, 0)):
        a, b = rng.standard_normal(shape), rng.uniform(0.5, 2, (1, shape[1]))
        for got, ref in zip(numba_f(a, b), numpy_f(a, b)):
            np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-300)
        strided = rng.standard_normal((shape[0], 2 * shape[1]))[:, ::2]
        for got, ref in zip(numba_f(strided, b), numpy_f(strided, b)):
            np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-300)


def test_large_work_on_row_ranges_on_every_core_matches_the_numpy_backend():
    # From 2^20 elements of float64 work a chunked node runs threaded.large_elemwise:
    # the loop nest on row ranges (inputs sliced where they span the rows, broadcast
    # ones whole), or the blocked evaluator for short rows.
    m, row, col = T.dmatrix('m'), T.row('r'), T.col('c')
    outs = [T.tanh(m * row + col) - T.exp(-m), T.log1p(m * m) * row]
    numba_f, numpy_f = _both([m, row, col], outs)
    assert 'large_elemwise' in numba_f.source
    rng = np.random.default_rng(2)
    for shape in ((1100, 1000), (300_000, 4), (3, 400_000), (1, 1 << 20)):
        a, r, c = rng.standard_normal(shape), rng.standard_normal((1, shape[1])), rng.standard_normal((shape[0], 1))
        for got, ref in zip(numba_f(a, r, c), numpy_f(a, r, c)):
            np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-300)
    x = T.vector('x', dtype='float32')
    numba_g, numpy_g = _both([x], [T.tanh(x * np.float32(1.5)) * x])
    value = rng.standard_normal((1 << 22) + 5).astype('float32')
    np.testing.assert_array_equal(numba_g(value)[0], numpy_g(value)[0])
    # In place: an update overwrites the shared value's buffer, range by range.
    start = rng.standard_normal((1 << 20) + 3)
    updated = []
    for backend in ('numba', 'numpy'):
        w = tg.shared(start.copy(), name='w')
        step = tg.function([], [], updates=[(w, w - 0.1 * T.tanh(w) * T.exp(-w))], backend=backend)
        step()
        step()
        updated.append(w.get_value())
    assert 'inplace' in str(step.fgraph.toposort())
    np.testing.assert_allclose(updated[0], updated[1], rtol=1e-13, atol=1e-15)   # w - ... cancels


def test_broadcasts_decided_at_run_time_match_the_numpy_backend():
    # Axes of unknown length: the chunked loop indexes its innermost axis unsigned,
    # times a 0/1 factor where the input may broadcast there.
    x, y = T.dmatrix('x'), T.dmatrix('y')
    numba_f, numpy_f = _both([x, y], [T.tanh(x * 2 + y) * x])
    assert 'np.uint64(b' in numba_f.source
    rng = np.random.default_rng(1)
    for xs, ys in (((3, chunked.CHUNK * 2 + 7), (3, 1)), ((3, 2000), (1, 2000)), ((1, 7), (4, 7)),
                   ((5, 1), (5, 3000)), ((2, 3000), (2, 3000))):
        a, b = rng.standard_normal(xs), rng.standard_normal(ys)
        np.testing.assert_allclose(numba_f(a, b)[0], numpy_f(a, b)[0], rtol=1e-14)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_chunks_of_short_rows_match_the_numpy_backend(dtype):
    """Chunks spanning rows of the innermost axis, or of the trailing axes joined into one
    (chunked.Writer): a bias broadcast over the outer axes, a second input that
    broadcasts only at run time, inputs whose strides chain (C order, every other item of
    the first axis, reversed) or do not (transposed, Fortran order), row counts that do not fill the
    last chunk, sizes on both sides of the one from which short rows run the blocked path."""
    x, y = (T.tensor(dtype, shape=(None,) * 4, name=name) for name in 'xy')
    b = T.tensor(dtype, shape=(1, None, 1, 1), name='b')
    r = T.tensor(dtype, shape=(1, 1, 1, None), name='r')
    outs = [T.tanh(x + b), T.exp(x) * 2, T.log1p(T.exp(r)) + T.tanh(x), T.tanh(x * y)]
    numba_f, numpy_f = _both([x, b, r, y], outs)
    rng = np.random.default_rng(1)
    for shape in ((3, 5, 7, 12), (2, 3, 170, 4), (1, 1, 1, 1), (2, 0, 3, 4), (2, 3, 2, 1500),
                  (4, 3, 1400, 4), (2000, 5, 1, 3)):
        value = rng.standard_normal(shape).astype(dtype)
        bias = rng.standard_normal((1, shape[1], 1, 1)).astype(dtype)
        row = rng.standard_normal((1, 1, 1, shape[3])).astype(dtype)
        x_values = (value, value.transpose(0, 2, 1, 3).copy().transpose(0, 2, 1, 3),
                    np.asfortranarray(value), np.repeat(value, 2, axis=0)[::2],
                    value[:, :, ::-1, ::-1])
        for x_value in x_values:
            for y_value in (value[::-1], bias * np.ones(shape[:2] + (1, 1), dtype)):
                args = (x_value, bias, row, y_value)
                for got, ref in zip(numba_f(*args), numpy_f(*args)):
                    np.testing.assert_allclose(got, ref, rtol=1e-6 if dtype == 'float32' else 1e-13)
