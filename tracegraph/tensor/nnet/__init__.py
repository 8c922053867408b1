"""T.nnet: the neural-network functions Theano programs import from tensor.nnet.

All are graphs of elementwise, reduction and indexing ops; the rewrite step turns
the naive forms into numerically stable ones (softmax with cross-entropy, log of
sigmoid).
"""
from __future__ import annotations

from ..basic import as_tensor_variable
from .. import math as m
from ..math import sigmoid, softplus  # noqa: F401  (re-exported: T.nnet.sigmoid)
from .activations import log_softmax, softmax


def relu(x, alpha=0):
    """max(x, 0); with `alpha`, a leaky ReLU: x for x > 0, alpha * x otherwise."""
    x = as_tensor_variable(x)
    if isinstance(alpha, (int, float)) and alpha == 0:
        return m.maximum(x, 0)
    return m.switch(m.gt(x, 0), x, m.mul(alpha, x))


def elu(x, alpha=1.0):
    x = as_tensor_variable(x)
    return m.switch(m.gt(x, 0), x, m.mul(alpha, m.expm1(x)))


def binary_crossentropy(output, target):
    """-(target * log(output) + (1 - target) * log(1 - output)), elementwise."""
    output, target = as_tensor_variable(output), as_tensor_variable(target)
    return m.neg(m.add(m.mul(target, m.log(output)), m.mul(m.sub(1, target), m.log(m.sub(1, output)))))


def sigmoid_binary_crossentropy(logits, target):
    """binary_crossentropy(sigmoid(logits), target), computed without overflow."""
    logits, target = as_tensor_variable(logits), as_tensor_variable(target)
    return m.sub(m.softplus(logits), m.mul(target, logits))


def categorical_crossentropy(coding_dist, true_dist):
    """-sum(true_dist * log(coding_dist), axis=-1); `true_dist` may be integer labels."""
    coding_dist, true_dist = as_tensor_variable(coding_dist), as_tensor_variable(true_dist)
    if true_dist.ndim == coding_dist.ndim:
        return m.neg(m.sum(m.mul(true_dist, m.log(coding_dist)), axis=-1))
    if true_dist.ndim == coding_dist.ndim - 1 and true_dist.dtype.startswith(('int', 'uint')):
        rows = m.arange(m.shape(coding_dist)[0])
        return m.neg(m.log(coding_dist[rows, true_dist]))
    raise TypeError(f'categorical_crossentropy: true_dist {true_dist} ({true_dist.type}) must be a '
                    f'distribution like {coding_dist} or a vector of integer labels')


def ultra_fast_sigmoid(x):
    """Theano's piecewise approximation of sigmoid (max error about 0.02)."""
    x = as_tensor_variable(x)
    half = m.mul(0.5, x)
    ax = m.abs_(half)
    z = m.switch(m.lt(ax, 1.7), m.true_div(m.mul(1.5, ax), m.add(1, ax)),
                 m.switch(m.lt(ax, 3), m.add(0.935409070603099, m.mul(0.0458812946797165, m.sub(ax, 1.7))),
                          m.mul(0.99505475368673, m.ones_like(ax))))
    return m.mul(0.5, m.add(m.mul(m.sgn(half), z), 1))


def hard_sigmoid(x):
    """clip(0.2 * x + 0.5, 0, 1)."""
    x = as_tensor_variable(x)
    return m.clip(m.add(m.mul(0.2, x), 0.5), 0, 1)


def softsign(x):
    x = as_tensor_variable(x)
    return m.true_div(x, m.add(1, m.abs_(x)))


def crossentropy_softmax_1hot(x, y_idx):
    sm = softmax(x)
    return categorical_crossentropy(sm, y_idx), sm


from .activations import (crossentropy_softmax_1hot_with_bias, h_softmax, logsoftmax,  # noqa: E402,F401
                          selu, softmax_with_bias)
from . import bn  # noqa: E402,F401  (theano.tensor.nnet.bn)
from . import abstract_conv, conv, conv3d2d  # noqa: E402,F401  (theano.tensor.nnet.abstract_conv, .conv, .conv3d2d)
from .abstract_conv import (conv2d_grad_wrt_inputs, conv2d_transpose, conv3d,  # noqa: E402,F401
                            nnet_conv2d as conv2d)
