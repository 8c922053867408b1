"""T.nnet's softmax and log_softmax, their variants and the rest of Theano 1.0's activations (issue 20), as
graphs of existing ops: their gradients and every backend come with those ops."""
from __future__ import annotations

from .. import math as m
from ..basic import as_tensor_variable

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def softmax(x, axis=-1):
    """Row-wise softmax by default (Theano's `softmax` on a matrix), stable in float32."""
    x = as_tensor_variable(x)
    shifted = m.sub(x, m.max(x, axis=axis, keepdims=True))
    e = m.exp(shifted)
    return m.true_div(e, m.sum(e, axis=axis, keepdims=True))


def log_softmax(x, axis=-1):
    x = as_tensor_variable(x)
    shifted = m.sub(x, m.max(x, axis=axis, keepdims=True))
    return m.sub(shifted, m.log(m.sum(m.exp(shifted), axis=axis, keepdims=True)))


def selu(x):
    """Scaled exponential linear unit (Klambauer et al. 2017), Theano's constants."""
    x = as_tensor_variable(x)
    return m.mul(SELU_SCALE, m.switch(m.gt(x, 0), x, m.mul(SELU_ALPHA, m.expm1(x))))


def logsoftmax(c):
    """Theano's name for the row-wise log of softmax (stable: x - max - log(sum(exp)))."""
    return log_softmax(c)


def softmax_with_bias(x, b):
    """softmax(x + b), b a vector added to every row."""
    return softmax(m.add(as_tensor_variable(x), as_tensor_variable(b)))


def crossentropy_softmax_1hot_with_bias(x, b, y_idx):
    """(negative log-likelihood of the labels y_idx, softmax(x + b))."""
    x = m.add(as_tensor_variable(x), as_tensor_variable(b))
    y_idx = as_tensor_variable(y_idx)
    rows = m.arange(m.shape(x)[0])
    return m.neg(log_softmax(x)[rows, y_idx]), softmax(x)


def h_softmax(x, batch_size, n_outputs, n_classes, n_outputs_per_class, W1, b1, W2, b2, target=None):
    """Theano's two-level hierarchical softmax.

    The first softmax picks a class (W1: features x n_classes), the second an output
    within it (W2: n_classes x features x n_outputs_per_class).  Without `target`,
    returns every output's probability (batch_size, n_outputs); with `target`
    (integer labels, (batch,) or (batch, 1)), the probability of each row's target,
    computing only that target's class (shape (batch,), as Theano's code returns).
    """
    x = as_tensor_variable(x)
    W1, b1, W2, b2 = (as_tensor_variable(v) for v in (W1, b1, W2, b2))
    class_probs = softmax(m.add(m.dot(x, W1), b1))
    if target is None:
        activations = m.add(m.tensordot(x, W2, [[1], [1]]), b2)
        output_probs = softmax(m.reshape(activations, (-1, n_outputs_per_class)))
        output_probs = m.reshape(output_probs, (batch_size, n_classes, -1))
        output_probs = m.mul(m.dimshuffle(class_probs, (0, 1, 'x')), output_probs)
        return m.reshape(output_probs, (batch_size, -1))[:, :n_outputs]
    target = m.flatten(as_tensor_variable(target))
    target_classes = m.int_div(target, n_outputs_per_class)
    target_in_class = m.mod(target, n_outputs_per_class)
    rows = m.arange(batch_size)
    # Only the targets' classes: W2[class] is (features, n_outputs_per_class) per row.
    weights = W2[target_classes]
    activations = m.add(m.sum(m.mul(m.dimshuffle(x, (0, 1, 'x')), weights), axis=1), b2[target_classes])
    output_probs = softmax(activations)
    return m.mul(class_probs[rows, target_classes], output_probs[rows, target_in_class])
