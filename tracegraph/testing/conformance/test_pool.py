"""Pooling (tensor.signal.pool) on every backend, against independent loops in float64.

The references below are written from Theano 1.0's documented window rules, window
by window, with no shared code with the kernels they check.  Each backend compiles
a handful of graphs: many configurations are outputs of one function.
"""
import itertools
import warnings

import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.autodiff import verify_grad
from tracegraph.tensor.signal import downsample, pool

from ._grad_cases import verify_cases


def _windows(shape, ws, st, pad, ignore_border):
    """For each axis, the windows as (real start, real end, size inside the padded image)."""
    out = []
    for n, w, s, p in zip(shape, ws, st or ws, pad):
        v = n + 2 * p
        if ignore_border:
            count = max((v - w) // s + 1, 0)
        else:
            count = (v - 1) // s + 1 if s >= w else max(0, (v - 1 - w + s) // s) + 1
        axis = []
        for j in range(count):
            start, end = j * s, min(j * s + w, v)
            axis.append((max(start, p) - p, min(end, n + p) - p, end - start))
        out.append(axis)
    return out


def _each_window(x, ws, st, pad, ignore_border):
    """Yield (output index, the window's region of x, the box's slices, padded window size)."""
    nd = len(ws)
    wins = _windows(x.shape[-nd:], ws, st, pad, ignore_border)
    for lead in np.ndindex(*x.shape[:-nd]):
        for r in itertools.product(*(range(len(a)) for a in wins)):
            box = tuple(slice(wins[i][r[i]][0], wins[i][r[i]][1]) for i in range(nd))
            size = np.prod([wins[i][r[i]][2] for i in range(nd)])
            yield lead + r, lead, box, size


def _pooled_shape(x, ws, st, pad, ignore_border):
    nd = len(ws)
    wins = _windows(x.shape[-nd:], ws, st, pad, ignore_border)
    return x.shape[:-nd] + tuple(len(a) for a in wins)


def ref_pool(x, ws, st, pad, ignore_border, mode):
    y = np.zeros(_pooled_shape(x, ws, st, pad, ignore_border))
    for out, lead, box, size in _each_window(x, ws, st, pad, ignore_border):
        region = x[lead][box]
        if mode == 'max':
            y[out] = region.max()
        elif mode == 'sum':
            y[out] = region.sum()
        elif mode == 'average_exc_pad':
            y[out] = region.mean()
        else:
            y[out] = region.sum() / size
    return y


def ref_max_grad(x, gz, ws, st, pad, ignore_border):
    """Theano's MaxPoolGrad: every position equal to its window's max gets the window's gz."""
    gx = np.zeros_like(x)
    for out, lead, box, _ in _each_window(x, ws, st, pad, ignore_border):
        region = x[lead][box]
        gx[lead][box] += np.where(region == region.max(), gz[out], 0.0)
    return gx


def ref_max_grad_grad(x, ggx, ws, st, pad, ignore_border):
    ggz = np.zeros(_pooled_shape(x, ws, st, pad, ignore_border))
    for out, lead, box, _ in _each_window(x, ws, st, pad, ignore_border):
        region = x[lead][box]
        ggz[out] = np.where(region == region.max(), ggx[lead][box], 0.0).sum()
    return ggz


MODES = ('max', 'sum', 'average_inc_pad', 'average_exc_pad')
# (input shape, ws, stride, pad, ignore_border): Theano's edge cases: partial windows,
# padding, stride > ws, overlapping windows, 2-d to 5-d inputs, 3-d pooling.
CONFIGS = [  # mostly 4-d inputs: a JIT backend compiles one kernel per rank, not per window
    ((2, 3, 5, 7), (2, 2), None, (0, 0), True),
    ((1, 2, 5, 7), (3, 2), (1, 3), (0, 0), False),
    ((1, 2, 6, 6), (3, 3), (2, 2), (1, 2), True),
    ((1, 1, 5, 7), (2, 3), (3, 4), (0, 0), False),
    ((1, 1, 5, 7), (2, 3), (3, 4), (1, 1), True),
    ((1, 1, 2, 3, 4), (3, 3), (1, 1), (0, 0), True),     # window larger than the image: empty
    ((2, 4, 5, 6), (2, 2, 3), (1, 2, 2), (1, 0, 2), True),
    ((1, 3, 5, 4), (2, 2, 2), (2, 3, 1), (0, 0, 0), False),
]


def _pool(x, ws, st, pad, ib, mode):
    fn = pool.pool_2d if len(ws) == 2 else pool.pool_3d
    return fn(x, ws, ignore_border=ib, stride=st, pad=pad, mode=mode)


def test_pool_matches_loops(backend):
    rng = np.random.default_rng(0)
    inputs, outputs, expected, values = [], [], [], []
    for shape, ws, st, pad, ib in CONFIGS:
        x = T.tensor('float64', shape=(None,) * len(shape))
        v = rng.standard_normal(shape)
        inputs.append(x)
        values.append(v)
        for mode in MODES:
            outputs.append(_pool(x, ws, st, pad, ib, mode))
            expected.append(ref_pool(v, ws, st, pad, ib, mode))
    f = tg.function(inputs, outputs, backend=backend)
    for k, (got, want) in enumerate(zip(f(*values), expected)):
        assert got.shape == want.shape, (k, got.shape, want.shape)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=f'case {k}')


def test_pool_float32_and_static_shapes(backend):
    x = T.tensor('float32', shape=(None, 3, 9, 8))
    y = pool.pool_2d(x, (2, 2), ignore_border=False, stride=(3, 2))
    assert y.type.shape == (None, 3, 3, 4) and y.dtype == 'float32'
    avg = pool.pool_2d(x, (3, 3), ignore_border=True, pad=(1, 1), mode='average_exc_pad')
    assert avg.type.shape == (None, 3, 3, 3)
    v = np.random.default_rng(1).standard_normal((2, 3, 9, 8)).astype('float32')
    got = tg.function([x], [y, avg], backend=backend)(v)
    np.testing.assert_allclose(got[0], ref_pool(v.astype('float64'), (2, 2), (3, 2), (0, 0), False, 'max'), rtol=1e-6)
    np.testing.assert_allclose(got[1], ref_pool(v.astype('float64'), (3, 3), None, (1, 1), True, 'average_exc_pad'),
                               rtol=1e-5, atol=1e-6)
    assert got[0].dtype == got[1].dtype == np.float32


def U(*shape):
    return lambda rng: rng.standard_normal(shape)


GRAD_CASES = {
    'max_overlapping': (lambda x: pool.pool_2d(x, (3, 2), ignore_border=True, stride=(1, 1)) ** 2, [U(1, 2, 5, 4)]),
    'max_partial_windows': (lambda x: pool.pool_2d(x, (2, 3), ignore_border=False, stride=(3, 2)), [U(1, 2, 5, 6)]),
    'max_padded': (lambda x: pool.pool_2d(x, (3, 3), ignore_border=True, stride=(2, 2), pad=(1, 2)), [U(1, 1, 6, 5)]),
    'sum_partial': (lambda x: pool.pool_2d(x, (2, 2), ignore_border=False, mode='sum') ** 2, [U(1, 3, 5, 5)]),
    'avg_inc_pad': (lambda x: pool.pool_2d(x, (3, 2), ignore_border=True, stride=(2, 1), pad=(1, 1),
                                           mode='average_inc_pad'), [U(1, 2, 5, 4)]),
    'avg_exc_pad': (lambda x: pool.pool_2d(x, (3, 2), ignore_border=True, stride=(2, 1), pad=(2, 1),
                                           mode='average_exc_pad') ** 2, [U(1, 2, 5, 4)]),
    'max_3d': (lambda x: pool.pool_3d(x, (2, 2, 2), ignore_border=False, stride=(1, 2, 3)), [U(1, 3, 4, 5)]),
    # second derivatives: MaxPoolGrad -> DownsampleFactorMaxGradGrad; AveragePoolGrad -> Pool
    'max_grad_of_grad': (lambda x: T.grad((pool.pool_2d(x, (2, 2), ignore_border=True, stride=(1, 1)) ** 3).sum(), x),
                         [U(1, 1, 4, 5)]),
    'avg_grad_of_grad': (lambda x: T.grad((pool.pool_2d(x, (2, 3), ignore_border=False,
                                                        mode='average_exc_pad') ** 3).sum(), x), [U(4, 5)]),
}


def test_pool_gradients(backend):
    verify_cases(GRAD_CASES, backend)


def test_max_pool_ties_and_grad_grad(backend):
    """Ties: every position equal to the max gets the gradient (Theano's MaxPoolGrad);
    the grad-grad sums ggx over those positions; same-size pooling keeps the maxima."""
    x = T.dtensor4('x')
    gz, ggx = T.dtensor4('gz'), T.dtensor4('ggx')
    geometry = dict(ws=(2, 2), stride=(1, 1), pad=(0, 0))
    y = pool.pool_2d(x, ignore_border=True, **geometry)
    gx = T.grad((y * gz).sum(), x)
    ggz = T.grad((gx * ggx).sum(), gz)
    same = pool.max_pool_2d_same_size(x, (2, 2))
    v = np.array([[1., 3., 3., 0.], [3., 2., 1., 3.], [0., 0., 1., 1.], [0., -1., 1., 1.]])[None, None]
    gzv = np.arange(1., 10.).reshape(1, 1, 3, 3)
    ggxv = np.linspace(-1, 1, 16).reshape(1, 1, 4, 4)
    got_gx, got_ggz, got_same = tg.function([x, gz, ggx], [gx, ggz, same], backend=backend)(v, gzv, ggxv)
    np.testing.assert_allclose(got_gx, ref_max_grad(v, gzv, (2, 2), (1, 1), (0, 0), True))
    np.testing.assert_allclose(got_ggz, ref_max_grad_grad(v, ggxv, (2, 2), (1, 1), (0, 0), True))
    want_same = np.array([[0., 3., 3., 0.], [3., 0., 0., 3.], [0., 0., 1., 1.], [0., 0., 1., 1.]])[None, None]
    np.testing.assert_allclose(got_same, want_same)
    assert got_gx[0, 0, 0, 1] == 1 + 2  # tied max shared by two overlapping windows


def test_pool_api():
    x = T.dtensor4('x')
    with pytest.warns(UserWarning, match='ignore_border default value changed to True'):
        y = pool.pool_2d(x, (2, 2))
    assert y.owner.op.ignore_border is False
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        pool.pool_2d(x, (2, 2), ignore_border=True)
    with pytest.warns(UserWarning, match="'ds' parameter"):
        old = pool.pool_2d(x, ds=(2, 2), ignore_border=True)
    assert old.owner.op.ws == (2, 2)
    with pytest.raises(ValueError, match="both 'ws' and 'ds'"):
        pool.pool_2d(x, (2, 2), ds=(2, 2), ignore_border=True)
    with pytest.raises(ValueError, match='window size'):
        pool.pool_2d(x, ignore_border=True)
    with pytest.raises(NotImplementedError, match='ignore_border=True'):
        pool.pool_2d(x, (2, 2), ignore_border=False, pad=(1, 1))
    with pytest.raises(NotImplementedError, match='padding must be smaller'):
        pool.pool_2d(x, (2, 2), ignore_border=True, pad=(2, 0))
    with pytest.raises(ValueError, match="Got median"):
        pool.pool_2d(x, (2, 2), ignore_border=True, mode='median')
    with pytest.raises(TypeError, match='known when the graph is built'):
        pool.pool_2d(x, T.lvector('ws'), ignore_border=True)
    with pytest.raises(NotImplementedError, match='dimension >= 3'):
        pool.pool_3d(T.dmatrix(), (2, 2, 2), ignore_border=True)
    assert pool.Pool.out_shape((4, 3, 5, 7), (2, 3), ignore_border=False, stride=(2, 1)) == [4, 3, 3, 5]
    assert pool.Pool(ignore_border=True)(x, (2, 2)).owner.op.ws == (2, 2)  # Theano's calling form
    with pytest.warns(UserWarning):
        alias = downsample.max_pool_2d(x, (2, 2))
    assert alias.owner.op == y.owner.op
    assert T.grad(pool.pool_2d(x, (2, 2), ignore_border=True, mode='sum').sum(), x).owner.op.__class__.__name__ \
        == 'AveragePoolGrad'
