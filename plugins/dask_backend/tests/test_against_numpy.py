"""Forms that the Dask backend lowers in several ways (native slicing, vindex, one
task over the whole array, chunked scan), each checked against the NumPy backend
on inputs cut into several chunks."""
import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T

OPTIONS = {'chunks': 'split:3'}


def _both(inputs, outputs, *values):
    want = tg.function(inputs, outputs, backend='numpy')(*values)
    got = tg.function(inputs, outputs, backend='dask', backend_options=OPTIONS)(*values)
    return got, want


INDEXING = {
    'slices': lambda x, i, j: x[1:, ::-2, 2],
    'one array': lambda x, i, j: x[:, i],
    'int and array apart': lambda x, i, j: x[1, :, i],
    'two arrays adjacent': lambda x, i, j: x[:, i, j],
    'two arrays apart': lambda x, i, j: x[i, :, j],
    'newaxis': lambda x, i, j: x[None, 1:3, None],
    'mask': lambda x, i, j: x[x > 0.5],
    'set basic': lambda x, i, j: T.set_subtensor(x[1:3, 0], -1.0),
    'inc basic': lambda x, i, j: T.inc_subtensor(x[:, 1:], 2.0),
    'inc repeated indices': lambda x, i, j: T.inc_subtensor(x[i], 1.0),
    'set array': lambda x, i, j: T.set_subtensor(x[:, j], 0.0),
}


@pytest.mark.parametrize('name', sorted(INDEXING))
def test_indexing_matches_numpy(name):
    x, i, j = T.dtensor3('x'), T.lvector('i'), T.lvector('j')
    out = INDEXING[name](x, i, j)
    used = [v for v in (x, i, j) if v in tg.ir.ancestors([out])]
    values = {x: np.random.default_rng(3).random((4, 5, 6)), i: np.array([0, 2, 2, 1]),
              j: np.array([4, 0, 1, 3])}
    got, want = _both(used, out, *(values[v] for v in used))
    np.testing.assert_array_equal(got, want)


def test_gradient_through_indexing_and_reductions_matches_numpy():
    x = T.dmatrix('x')
    idx = T.lvector('idx')
    cost = (T.tanh(x[idx]) ** 2).sum() + x.mean(axis=0).max()
    grad = tg.grad(cost, x)
    a = np.random.default_rng(0).normal(size=(7, 4))
    got, want = _both([x, idx], [cost, grad], a, np.array([1, 1, 5, 0]))
    np.testing.assert_allclose(got[0], want[0])
    np.testing.assert_allclose(got[1], want[1])


@pytest.mark.parametrize('last_only', [False, True])
def test_scan_with_taps_runs_chunk_after_chunk_like_numpy(last_only):
    x = T.dmatrix('x')
    h0 = T.dmatrix('h0')
    w = tg.shared(np.array([[0.5, -0.2], [0.1, 0.3]]), name='w')

    def step(xt, h_older, h_old):
        return T.tanh(T.dot(h_old, w) + xt) + 0.1 * h_older
    hs, _ = tg.scan(step, sequences=x, outputs_info=dict(initial=h0, taps=[-2, -1]))
    out = hs[-1] if last_only else hs
    rng = np.random.default_rng(1)
    xs, init = rng.normal(size=(10, 2)), rng.normal(size=(2, 2))
    got, want = _both([x, h0], out, xs, init)
    np.testing.assert_allclose(got, want)


def test_chunked_scan_is_built_from_one_task_per_chunk():
    import dask.array as da
    x = T.dvector('x')
    sums, _ = tg.scan(lambda xt, acc: acc + xt, sequences=x, outputs_info=T.constant(0.0))
    f = tg.function([x], sums, backend='dask', backend_options={'chunks': 4, 'lazy': True})
    lazy = f(np.arange(10.0))
    assert isinstance(lazy, da.Array) and lazy.chunks == ((4, 4, 2),)
    np.testing.assert_allclose(lazy.compute(), np.cumsum(np.arange(10.0)))


@pytest.mark.parametrize('shape', [(0, 3), (1, 3), (5, 4)])
def test_shapes_and_builders_match_numpy_including_empty_arrays(shape):
    x = T.dmatrix('x')
    outs = [T.exp(x), x.sum(axis=0), x.T.reshape((-1,)), T.zeros_like(x), T.arange(x.shape[0]),
            T.eye(x.shape[1]), T.concatenate([x, x]), T.cumsum(x), x.reshape((x.shape[1], -1))]
    a = np.random.default_rng(2).random(shape)
    got, want = _both([x], outs, a)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w)
