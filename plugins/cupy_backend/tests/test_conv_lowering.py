"""The CuPy backend's convolutions without a GPU: the lowering record, and the cuDNN
glue (pads, flips, output allocation) checked against the im2col reference with a
stand-in cuDNN module written here with explicit loops (cuDNN's cross-correlation)."""
import numpy as np

import tracegraph.tensor as T
from tracegraph import backends
from tracegraph.tensor.nnet import abstract_conv, conv2d
from tracegraph_cupy import conv as cupy_conv
from tracegraph_cupy.lowering import DEVICE, Call


def _correlate(x, w, pad, stride, dilation, groups):
    """cuDNN's forward convolution (a cross-correlation) by loops over outputs and taps."""
    nd = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    ks = w.shape[2:]
    out = tuple((n - ((k - 1) * d + 1)) // s + 1 for n, k, s, d in zip(xp.shape[2:], ks, stride, dilation))
    K, Cg = w.shape[:2]
    Kg = K // groups
    y = np.zeros((x.shape[0], K) + out)
    for k in range(K):
        g = k // Kg
        for o in np.ndindex(*out):
            for u in np.ndindex(*ks):
                at = tuple(oi * s + ui * d for oi, ui, s, d in zip(o, u, stride, dilation))
                y[(slice(None), k) + o] += xp[(slice(None), slice(g * Cg, (g + 1) * Cg)) + at] @ w[(k, slice(None)) + u]
    assert y.ndim == nd + 2
    return y


class FakeCudnn:
    """The three cupyx.cudnn calls the lowering makes, on NumPy arrays (by linearity:
    the data and filter gradients are adjoints of the loop above, by finite basis)."""

    def __init__(self):
        self.calls = []

    def convolution_forward(self, x, w, b, y, pad, stride, dilation, groups, **_):
        self.calls.append('forward')
        y[...] = _correlate(x, w, pad, stride, dilation, groups)

    def convolution_backward_data(self, w, gy, b, gx, pad, stride, dilation, groups, **_):
        self.calls.append('data')
        for idx in np.ndindex(*gx.shape):
            e = np.zeros(gx.shape)
            e[idx] = 1
            gx[idx] = (_correlate(e, w, pad, stride, dilation, groups) * gy).sum()

    def convolution_backward_filter(self, x, gy, gw, pad, stride, dilation, groups, **_):
        self.calls.append('filter')
        for idx in np.ndindex(*gw.shape):
            e = np.zeros(gw.shape)
            e[idx] = 1
            gw[idx] = (_correlate(x, e, pad, stride, dilation, groups) * gy).sum()


def test_conv_nodes_are_one_runtime_call():
    x, w = T.dtensor4('x'), T.dtensor4('w')
    y = conv2d(x, w, border_mode='half')
    low = backends.lower('cupy', y.owner)
    assert low == Call('runtime.conv', (('node', y.owner),)) and low.output_on == DEVICE
    gi = abstract_conv.conv2d_grad_wrt_inputs(y, w, (2, 3, 5, 5), border_mode='half')
    assert backends.lower('cupy', gi.owner).host_inputs == (2,)


def test_cudnn_glue_matches_im2col():
    rng = np.random.default_rng(0)
    x, w, t = T.dtensor4('x'), T.dtensor4('w'), T.dtensor4('t')
    cases = [dict(border_mode='half', subsample=(2, 1), filter_flip=True, filter_dilation=(1, 2), num_groups=2),
             dict(border_mode=(1, 2), subsample=(1, 2), filter_flip=False, filter_dilation=(1, 1), num_groups=1)]
    for geometry in cases:
        xv, wv = rng.standard_normal((2, 4, 6, 5)), rng.standard_normal((4, 4 // geometry['num_groups'], 3, 2))
        fake = FakeCudnn()
        y = abstract_conv.conv2d(x, w, **geometry)
        want = cupy_conv.run(np, xv, wv, node=y.owner)
        np.testing.assert_allclose(cupy_conv.run(np, xv, wv, node=y.owner, cudnn=fake), want, atol=1e-12)
        tv = rng.standard_normal(want.shape)
        gi = abstract_conv.conv2d_grad_wrt_inputs(t, w, (2, 4, 6, 5), **geometry)
        gw = abstract_conv.conv2d_grad_wrt_weights(x, t, wv.shape, **geometry)
        for node, args in ((gi.owner, (wv, tv, np.array([6, 5]))), (gw.owner, (xv, tv, np.array(wv.shape[2:])))):
            np.testing.assert_allclose(cupy_conv.run(np, *args, node=node, cudnn=fake),
                                       cupy_conv.run(np, *args, node=node), atol=1e-10)
        assert fake.calls == ['forward', 'data', 'filter']


def test_asymmetric_padding_takes_the_im2col_path():
    x, w = T.dtensor4('x'), T.dtensor4('w')
    y = conv2d(x, w, border_mode=((1, 0), 2))
    assert cupy_conv.cudnn_geometry(y.owner.op, (3, 3)) is None
    assert cupy_conv.cudnn_geometry(conv2d(x, w, border_mode='full').owner.op, (3, 2)) == ((2, 1), (1, 1), (1, 1), 1)
    fake = FakeCudnn()
    rng = np.random.default_rng(1)
    xv, wv = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    got = cupy_conv.run(np, xv, wv, node=y.owner, cudnn=fake)
    assert fake.calls == [] and got.shape == (1, 3, 4, 7)
    assert cupy_conv.cudnn_module(np) is None
