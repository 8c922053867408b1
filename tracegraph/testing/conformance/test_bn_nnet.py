"""Batch normalization (tensor.nnet.bn) and the T.nnet activations of issue 20, on every
backend, against NumPy written from Theano 1.0's formulas; gradients by finite differences."""
import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.tensor.nnet import bn

from ._grad_cases import verify_cases

RNG = np.random.default_rng(7)


def _np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _np_ultra_fast_sigmoid(x):
    """Theano's UltraFastScalarSigmoid.st_impl, one number at a time."""
    def one(v):
        v = 0.5 * v
        a = abs(v)
        z = 1.5 * a / (1 + a) if a < 1.7 else (0.935409070603099 + 0.0458812946797165 * (a - 1.7) if a < 3
                                               else 0.99505475368673)
        return 0.5 * ((z if v >= 0 else -z) + 1.0)
    return np.vectorize(one)(x)


def test_activations(backend):
    x, b, y = T.dmatrix('x'), T.dvector('b'), T.lvector('y')
    xv, bv, yv = RNG.standard_normal((4, 5)) * 4, RNG.standard_normal(5), np.array([0, 4, 2, 2])
    nnet = T.nnet
    outs = [nnet.softsign(x), nnet.elu(x, alpha=0.7), nnet.selu(x), nnet.relu(x), nnet.relu(x, alpha=0.1),
            nnet.logsoftmax(x), nnet.softmax_with_bias(x, b), nnet.hard_sigmoid(x), nnet.ultra_fast_sigmoid(x),
            nnet.sigmoid_binary_crossentropy(x, T.nnet.sigmoid(b)), *nnet.crossentropy_softmax_1hot(x, y),
            *nnet.crossentropy_softmax_1hot_with_bias(x, b, y)]
    got = tg.function([x, b, y], outs, backend=backend)(xv, bv, yv)
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    sm, smb = _np_softmax(xv), _np_softmax(xv + bv)
    t = 1 / (1 + np.exp(-bv))
    p = 1 / (1 + np.exp(-xv))
    rows = np.arange(4)
    want = [xv / (1 + abs(xv)), np.where(xv > 0, xv, 0.7 * np.expm1(xv)),
            scale * np.where(xv > 0, xv, alpha * np.expm1(xv)), np.maximum(xv, 0), np.where(xv > 0, xv, 0.1 * xv),
            np.log(sm), smb, np.clip(0.2 * xv + 0.5, 0, 1), _np_ultra_fast_sigmoid(xv),
            -(t * np.log(p) + (1 - t) * np.log(1 - p)), -np.log(sm[rows, yv]), sm, -np.log(smb[rows, yv]), smb]
    for k, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12, err_msg=f'output {k}')


def _np_h_softmax(xv, W1, b1, W2, b2, n_outputs):
    class_probs = _np_softmax(xv @ W1 + b1)
    within = _np_softmax(np.einsum('bf,cfo->bco', xv, W2) + b2)
    return (class_probs[:, :, None] * within).reshape(len(xv), -1)[:, :n_outputs]


def test_h_softmax(backend):
    batch, features, n_classes, per_class, n_outputs = 3, 4, 3, 4, 10
    x, t = T.dmatrix('x'), T.lvector('t')
    W1, b1, W2, b2 = T.dmatrix('W1'), T.dvector('b1'), T.dtensor3('W2'), T.dmatrix('b2')
    values = [RNG.standard_normal((batch, features)), RNG.standard_normal((features, n_classes)),
              RNG.standard_normal(n_classes), RNG.standard_normal((n_classes, features, per_class)),
              RNG.standard_normal((n_classes, per_class))]
    tv = np.array([9, 0, 5])
    every = T.nnet.h_softmax(x, batch, n_outputs, n_classes, per_class, W1, b1, W2, b2)
    target = T.nnet.h_softmax(x, batch, n_outputs, n_classes, per_class, W1, b1, W2, b2, target=t)
    cost = -T.log(target).mean()
    grads = T.grad(cost, [W1, W2])
    got = tg.function([x, W1, b1, W2, b2, t], [every, target] + grads, backend=backend)(*values, tv)
    want = _np_h_softmax(*values, n_outputs)
    np.testing.assert_allclose(got[0], want, rtol=1e-10)
    full = _np_h_softmax(*values, n_classes * per_class)
    np.testing.assert_allclose(got[1], full[np.arange(batch), tv], rtol=1e-10)
    assert got[2].shape == values[1].shape and got[3].shape == values[3].shape


def _np_bn_train(x, gamma, beta, axes, eps, factor, rm, rv):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    invstd = 1 / np.sqrt(var + eps)
    out = (x - mean) * gamma * invstd + beta
    count = x.size / mean.size
    return out, mean, invstd, rm * (1 - factor) + mean * factor, rv * (1 - factor) + count / (count - 1) * var * factor


def test_batch_normalization(backend):
    x = T.dtensor4('x')
    xv = RNG.standard_normal((4, 3, 2, 5)) * 3 + 1
    outputs, expected = [], []
    for axes, kept_shape in (('per-activation', (1, 3, 2, 5)), ('spatial', (1, 3, 1, 1)), ((0, 1, 3), (1, 1, 2, 1))):
        gamma, beta = RNG.uniform(0.5, 2, kept_shape), RNG.standard_normal(kept_shape)
        rm, rv = RNG.standard_normal(kept_shape), RNG.uniform(0.5, 2, kept_shape)
        res = bn.batch_normalization_train(x, gamma, beta, axes, epsilon=1e-3, running_average_factor=0.3,
                                           running_mean=rm, running_var=rv)
        outputs += list(res)
        expected += list(_np_bn_train(xv, gamma, beta, tuple(a for a in range(4) if kept_shape[a] == 1),
                                      1e-3, 0.3, rm, rv))
    # parameters given only over the kept axes come back in that form
    g, b = RNG.uniform(0.5, 2, 3), RNG.standard_normal(3)
    out, mean, invstd = bn.batch_normalization_train(x, g, b, 'spatial')
    assert mean.ndim == 1 and invstd.ndim == 1
    outputs += [out, mean, invstd]
    e_out, e_mean, e_inv, _, _ = _np_bn_train(xv, g[:, None, None], b[:, None, None], (0, 2, 3), 1e-4, 0.1, 0, 0)
    expected += [e_out, e_mean.reshape(3), e_inv.reshape(3)]
    m, v = RNG.standard_normal(3), RNG.uniform(0.5, 2, 3)
    outputs.append(bn.batch_normalization_test(x, g, b, m, v, 'spatial', epsilon=1e-5))
    c = (slice(None), None, None)
    expected.append((xv - m[c]) * (g[c] / np.sqrt(v[c] + 1e-5)) + b[c])
    for mode in ('low_mem', 'high_mem'):
        outputs.append(bn.batch_normalization(x, g[c], b[c], m[c], v[c], mode=mode))
        expected.append((xv - m[c]) * g[c] / v[c] + b[c])
    got = tg.function([x], outputs, backend=backend)(xv)
    for k, (a, w) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(a, w, rtol=1e-10, atol=1e-12, err_msg=f'output {k}')


def U(*shape, lo=-1.0, hi=1.0):
    return lambda rng: rng.uniform(lo, hi, shape)


GRAD_CASES = {  # few cases: each is compiled on every backend (test_activations checks the values)
    'bn_train_spatial': (lambda x, g, b: bn.batch_normalization_train(x, g, b, 'spatial')[0] ** 2,
                         [U(3, 2, 2, 2), U(2, lo=0.5, hi=1.5), U(2)]),
    'bn_train_per_activation': (lambda x, g, b: bn.batch_normalization_train(x, g, b)[0] * x,
                                [U(4, 3), U(1, 3, lo=0.5, hi=1.5), U(1, 3)]),
    'softmax_with_bias': (lambda x, b: T.nnet.softmax_with_bias(x, b) ** 2, [U(3, 4), U(4)]),
}


def test_bn_and_activation_gradients(backend):
    verify_cases(GRAD_CASES, backend)


def test_bn_errors():
    x = T.dtensor4()
    with pytest.raises(ValueError, match='epsilon must be at least 1e-5'):
        bn.batch_normalization_train(x, np.ones(3), np.zeros(3), 'spatial', epsilon=1e-6)
    with pytest.raises(ValueError, match='both be given or both be None'):
        bn.batch_normalization_train(x, np.ones(3), np.zeros(3), 'spatial', running_mean=np.zeros(3))
    with pytest.raises(ValueError, match='axes should be less than ndim'):
        bn.batch_normalization_train(x, np.ones(3), np.zeros(3), (0, 4))
    with pytest.raises(ValueError, match='gamma, beta'):
        bn.batch_normalization_test(x, np.ones((3, 1)), np.zeros(3), np.zeros(3), np.ones(3), 'spatial')
    with pytest.raises(ValueError, match='low_mem'):
        bn.batch_normalization(x, 1, 0, 0, 1, mode='fast')
