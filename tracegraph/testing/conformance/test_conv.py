"""Convolutions (tensor.nnet.conv2d, conv3d, abstract_conv, conv, conv3d2d) on every
backend, against independent references in float64.

The references are written from Theano 1.0's documented semantics with SciPy's
`correlate`/`convolve` (one channel pair at a time) or explicit loops, sharing no
code with the im2col kernels they check.  Each backend compiles a handful of
graphs: many configurations are outputs of one function.
"""
import itertools

import numpy as np
import pytest
import scipy.signal

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.tensor.nnet import abstract_conv, conv, conv2d, conv3d, conv3d2d

from ._grad_cases import verify_cases


def U(*shape):
    return lambda rng: rng.standard_normal(shape)


def _dilate(kern, dilation):
    """The kernel with (d - 1) zeros between taps along each spatial axis."""
    nd = len(dilation)
    shape = kern.shape[:-nd] + tuple((k - 1) * d + 1 for k, d in zip(kern.shape[-nd:], dilation))
    out = np.zeros(shape)
    out[(Ellipsis,) + tuple(slice(None, None, d) for d in dilation)] = kern
    return out


def _pads(mode, kshape, dilation):
    dk = [(k - 1) * d + 1 for k, d in zip(kshape, dilation)]
    if mode == 'valid':
        return [(0, 0)] * len(dk)
    if mode == 'full':
        return [(k - 1, k - 1) for k in dk]
    if mode == 'half':
        return [(k // 2, k // 2) for k in dk]
    mode = (mode,) * len(dk) if isinstance(mode, int) else mode
    return [tuple(m) if isinstance(m, tuple) else (m, m) for m in mode]


def ref_conv(img, kern, mode='valid', subsample=None, flip=True, dilation=None, groups=1):
    """Theano's conv: each output channel sums, over its group's input channels, a
    SciPy `convolve` (flip) or `correlate` of the padded image with the dilated kernel."""
    nd = img.ndim - 2
    subsample, dilation = subsample or (1,) * nd, dilation or (1,) * nd
    pads = _pads(mode, kern.shape[2:], dilation)
    padded = np.pad(img, [(0, 0), (0, 0)] + pads)
    dk = _dilate(kern, dilation)
    K, Cg = kern.shape[:2]
    Kg = K // groups
    op = scipy.signal.convolve if flip else scipy.signal.correlate
    rows = []
    for b in range(img.shape[0]):
        maps = []
        for k in range(K):
            g = k // Kg
            acc = sum(op(padded[b, g * Cg + c], dk[k, c], mode='valid') for c in range(Cg))
            maps.append(acc[tuple(slice(None, None, s) for s in subsample)])
        rows.append(maps)
    return np.array(rows)


# (input shape, filter shape, border_mode, subsample, filter_flip, dilation, groups)
CASES = [
    ((2, 3, 7, 6), (4, 3, 3, 2), 'valid', (1, 1), True, (1, 1), 1),
    ((2, 3, 7, 6), (4, 3, 3, 3), 'full', (2, 1), False, (1, 1), 1),
    ((1, 4, 8, 7), (6, 2, 3, 3), 'half', (1, 2), True, (2, 1), 2),
    ((2, 2, 6, 5), (3, 2, 2, 3), 2, (2, 2), False, (1, 1), 1),
    ((1, 2, 5, 6), (2, 1, 3, 2), ((1, 2), 0), (1, 3), True, (1, 2), 2),
    ((2, 1, 4, 4), (1, 1, 4, 4), 'full', (3, 3), True, (1, 1), 1),
    ((1, 2, 4, 5, 6), (3, 2, 2, 3, 2), 'half', (1, 2, 1), True, (1, 1, 2), 1),
    ((2, 2, 5, 4, 4), (2, 1, 3, 2, 2), (1, 0, 2), (2, 1, 1), False, (1, 1, 1), 2),
]


def _conv(x, w, case):
    shape, fshape, mode, sub, flip, dil, groups = case
    fn = conv2d if len(shape) == 4 else conv3d
    return fn(x, w, border_mode=mode, subsample=sub, filter_flip=flip, filter_dilation=dil,
              num_groups=groups)


def test_conv_forward_and_transposes_match_references(backend):
    """conv2d/conv3d against SciPy; conv2d_grad_wrt_inputs / _weights (and their 3-d
    forms) against explicit loops over every output position and kernel tap."""
    rng = np.random.default_rng(0)
    inputs, values, outputs, expected = [], [], [], []
    for case in CASES:
        shape, fshape, mode, sub, flip, dil, groups = case
        nd = len(shape) - 2
        x, w = T.tensor('float64', shape=(None,) * len(shape)), T.tensor('float64', shape=(None,) * len(shape))
        xv, wv = rng.standard_normal(shape), rng.standard_normal(fshape)
        want = ref_conv(xv, wv, mode, sub, flip, dil, groups)
        t = T.tensor('float64', shape=(None,) * len(shape))
        tv = rng.standard_normal(want.shape)
        geometry = dict(border_mode=mode, subsample=sub, filter_flip=flip, filter_dilation=dil, num_groups=groups)
        grad_in = abstract_conv.conv2d_grad_wrt_inputs if nd == 2 else abstract_conv.conv3d_grad_wrt_inputs
        grad_w = abstract_conv.conv2d_grad_wrt_weights if nd == 2 else abstract_conv.conv3d_grad_wrt_weights
        inputs += [x, w, t]
        values += [xv, wv, tv]
        outputs += [_conv(x, w, case), grad_in(t, w, shape, **geometry), grad_w(x, t, fshape, **geometry)]
        expected += [want, *ref_grads(xv, wv, tv, case)]
    f = tg.function(inputs, outputs, backend=backend)
    for k, (got, want) in enumerate(zip(f(*values), expected)):
        assert got.shape == want.shape, (k // 3, k % 3, got.shape, want.shape)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=f'case {k // 3}, output {k % 3}')


def ref_grads(xv, wv, tv, case):
    """d sum(conv(x, w) * t) / d x and / d w by explicit loops over output positions and taps."""
    shape, fshape, mode, sub, flip, dil, groups = case
    nd = len(shape) - 2
    pads = _pads(mode, fshape[2:], dil)
    padded = np.pad(xv, [(0, 0), (0, 0)] + pads)
    taps = wv[(Ellipsis,) + (slice(None, None, -1),) * nd] if flip else wv
    g_padded, g_taps = np.zeros_like(padded), np.zeros_like(taps)
    K, Cg = fshape[:2]
    Kg = K // groups
    for g in range(groups):
        ks, cs = slice(g * Kg, (g + 1) * Kg), slice(g * Cg, (g + 1) * Cg)
        for o in np.ndindex(*tv.shape[2:]):
            for u in np.ndindex(*fshape[2:]):
                at = tuple(oi * s + ui * d for oi, ui, s, d in zip(o, u, sub, dil))
                top = tv[(slice(None), ks) + o]                          # (batch, Kg)
                g_padded[(slice(None), cs) + at] += top @ taps[(ks, slice(None)) + u]
                g_taps[(ks, slice(None)) + u] += top.T @ padded[(slice(None), cs) + at]
    gx = g_padded[(slice(None),) * 2 + tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, shape[2:]))]
    gw = g_taps[(Ellipsis,) + (slice(None, None, -1),) * nd] if flip else g_taps
    return gx, gw


def _both_grads(x, w):
    gx, gw = T.grad((conv2d(x, w, border_mode=1, subsample=(2, 1), filter_flip=False) ** 2).sum(), [x, w])
    return T.concatenate([T.flatten(gx), T.flatten(gw)])


# Few cases (each costs a JIT compile on Numba); the transposes themselves are checked
# element by element above, these check the gradient wiring of the graph.
GRAD_CASES = {
    'half_strided_dilated_grouped': (lambda x, w: conv2d(x, w, border_mode='half', subsample=(2, 1),
                                                         filter_dilation=(1, 2), num_groups=2) ** 2,
                                     [U(2, 4, 5, 6), U(2, 2, 3, 2)]),
    'conv3d_padded_correlation': (lambda x, w: conv3d(x, w, border_mode=(1, 0, 1), subsample=(1, 2, 1),
                                                      filter_flip=False), [U(1, 2, 3, 4, 3), U(2, 2, 2, 2, 2)]),
    # grad of grad: gradInputs and gradWeights differentiate into each other and conv
    'grad_of_grad': (_both_grads, [U(2, 2, 5, 4), U(3, 2, 3, 2)]),
}


def test_conv_gradients(backend):
    verify_cases(GRAD_CASES, backend)


def test_conv_shapes_hints_and_old_spellings(backend):
    x = T.tensor('float32', shape=(None, 3, 9, 8))
    w = T.ftensor4('w')
    y = conv2d(x, w, filter_shape=(5, 3, 3, 3), border_mode='half', subsample=(2, 2))
    assert y.type.shape == (None, 5, 5, 4) and y.dtype == 'float32'
    assert abstract_conv.get_conv_output_shape((None, 3, 9, 8), (5, 3, 3, 3), 'half', (2, 2)) == (None, 5, 5, 4)
    assert abstract_conv.get_conv_output_shape((2, 3, 9, 8), (5, 3, 3, 2), (1, (2, 0)), (1, 1), (2, 1)) == \
        (2, 5, 7, 9)
    with pytest.warns(UserWarning, match='nnet.conv.conv2d is deprecated'):
        old = conv.conv2d(x, w, image_shape=(2, 3, 9, 8), filter_shape=(5, 3, 3, 3), border_mode='full')
    assert old.type.shape == (2, 5, 11, 10)
    with pytest.warns(UserWarning, match='image_shape'):
        renamed = conv2d(x, w, image_shape=(2, 3, 9, 8))
    with pytest.raises(ValueError, match='should not be provided at the same time'):
        conv2d(x, w, image_shape=(2, 3, 9, 8), input_shape=(2, 3, 9, 8))
    with pytest.raises(ValueError, match="'valid' or 'full'"), pytest.warns(UserWarning):
        conv.conv2d(x, w, border_mode='half')
    # conv2d_transpose: filters (in, out, rows, cols); the transpose of a strided conv2d
    up = T.nnet.conv2d_transpose(y, w.dimshuffle(1, 0, 2, 3), (None, 3, 9, 8), border_mode='half',
                                 input_dilation=(2, 2))
    assert up.type.shape == (None, 3, 9, 8) and type(up.owner.op).__name__ == 'AbstractConv_gradInputs'
    with pytest.raises(ValueError, match='invalid border_mode'):
        conv2d(x, w, border_mode='same')
    with pytest.raises(TypeError, match='4-d tensor'):
        conv2d(T.ftensor3(), w)
    with pytest.raises(ValueError, match='channels'):
        conv2d(x, T.tensor('float32', shape=(4, 2, 3, 3)))
    # signals (batch, time, channels, rows, cols), filters (out, time, channels, rows, cols)
    s, f5 = T.dtensor5('s'), T.dtensor5('f')
    movie = conv3d2d.conv3d(s, f5, border_mode=('full', 'half', 'half'), filters_shape=(2, 2, 3, 3, 2))
    rng = np.random.default_rng(1)
    xv, wv = rng.standard_normal((2, 3, 9, 8)).astype('float32'), rng.standard_normal((5, 3, 3, 3)).astype('float32')
    sv, fv = rng.standard_normal((1, 3, 3, 4, 4)), rng.standard_normal((2, 2, 3, 3, 2))
    got_y, got_old, got_renamed, got_movie = tg.function([x, w, s, f5], [y, old, renamed, movie],
                                                         backend=backend)(xv, wv, sv, fv)
    x64, w64 = xv.astype('float64'), wv.astype('float64')
    np.testing.assert_allclose(got_y, ref_conv(x64, w64, 'half', (2, 2)), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got_old, ref_conv(x64, w64, 'full'), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got_renamed, ref_conv(x64, w64), rtol=1e-4, atol=1e-4)
    assert got_y.dtype == np.float32
    np.testing.assert_allclose(got_movie, _ref_conv3d2d(sv, fv, ('full', 'half', 'half')), rtol=1e-10, atol=1e-10)
    # a shape hint that the values contradict: a clear error naming the op and this line
    hinted = conv2d(x, w, input_shape=(4, 3, 9, 8), filter_shape=(5, 3, 3, 3))
    g = tg.function([x, w], hinted, backend=backend)
    with pytest.raises(ValueError, match=r'input_shape') as info:
        g(xv, wv)
    assert 'test_conv.py' in str(info.value) and 'AbstractConv' in str(info.value)


def _ref_conv3d2d(signals, filters, modes):
    """Explicit loops: a true 3-d convolution over (time, rows, cols) in Theano's conv3d2d layout."""
    Ns, Ts, C, Hs, Ws = signals.shape
    Nf, Tf, _, Hf, Wf = filters.shape
    pads = [(0 if m == 'valid' else k - 1 if m == 'full' else k // 2) for m, k in zip(modes, (Tf, Hf, Wf))]
    p = np.pad(signals, [(0, 0), (pads[0],) * 2, (0, 0), (pads[1],) * 2, (pads[2],) * 2])
    To, Ho, Wo = p.shape[1] - Tf + 1, p.shape[3] - Hf + 1, p.shape[4] - Wf + 1
    out = np.zeros((Ns, To, Nf, Ho, Wo))
    for n, t, k, i, j in itertools.product(range(Ns), range(To), range(Nf), range(Ho), range(Wo)):
        window = p[n, t:t + Tf, :, i:i + Hf, j:j + Wf]
        out[n, t, k, i, j] = (window * filters[k, ::-1, :, ::-1, ::-1]).sum()
    return out
