"""Numerically stable forms of naive math.

    log(1 + exp(x))          -> softplus(x)          (finite at x = 800)
    1 / (1 + exp(-x))        -> sigmoid(x)
    1 - sigmoid(x)           -> sigmoid(-x)          (exact where 1 - p rounds to 0)
    log(sigmoid(x))          -> -softplus(-x)        (finite at x = -800)
    log(1 + x)               -> log1p(x)
    exp(x) - 1               -> expm1(x)
    log(exp(a) / b)          -> a - log(b)           (log of softmax; also under x[i, y])
    log(sum(exp(x)))         -> m + log(sum(exp(x - m))), m = max(x)
"""
from __future__ import annotations

from ...ir.rewrite_table import register
from ...tensor import math as tm
from ...tensor.reduce import CAReduce
from ...tensor.subtensor import Subtensor
from ..patterns import const_value, covers, is_op, make, ops, replacing, strip_dimshuffle


def _plus_one(v):
    """x when v is 1 + x (or x + 1), else None."""
    if is_op(v, 'add'):
        a, b = v.owner.inputs
        if const_value(a) == 1 and covers(b, a):
            return b
        if const_value(b) == 1 and covers(a, b):
            return a
    return None


def _one_minus(v):
    """x when v is 1 - x (or -x + 1), else None."""
    if is_op(v, 'sub') and const_value(v.owner.inputs[0]) == 1 and covers(v.owner.inputs[1], v.owner.inputs[0]):
        return v.owner.inputs[1]
    if is_op(v, 'add'):
        for a, b in (v.owner.inputs, reversed(v.owner.inputs)):
            if const_value(b) == 1 and is_op(a, 'neg') and covers(a, b):
                return a.owner.inputs[0]
    return None


def _negated(x):
    return x.owner.inputs[0] if is_op(x, 'neg') else make('neg', x)


@register('softplus_from_log1p_exp', phase='stabilize', tracks=ops('log', 'log1p'))
def softplus_from_log_exp(fgraph, node):
    """log(1 + exp(x)) and log1p(exp(x)) -> softplus(x)."""
    out = node.outputs[0]
    inner = _plus_one(node.inputs[0]) if is_op(out, 'log') else (
        node.inputs[0] if is_op(out, 'log1p') else None)
    if inner is not None and is_op(inner, 'exp'):
        return replacing(out, make('softplus', inner.owner.inputs[0]))
    return None


@register('sigmoid_from_reciprocal', phase='stabilize', tracks=ops('true_div'))
def sigmoid_from_reciprocal(fgraph, node):
    """1 / (1 + exp(-x)) -> sigmoid(x)."""
    out = node.outputs[0]
    if not is_op(out, 'true_div') or const_value(node.inputs[0]) != 1:
        return None
    inner = _plus_one(node.inputs[1])
    if inner is None or not is_op(inner, 'exp') or not covers(inner, node.inputs[0]):
        return None
    return replacing(out, make('sigmoid', _negated(inner.owner.inputs[0])))


@register('one_minus_sigmoid', phase='stabilize', tracks=ops('sub', 'add'))
def one_minus_sigmoid(fgraph, node):
    """1 - sigmoid(x) -> sigmoid(-x)."""
    out = node.outputs[0]
    inner = _one_minus(out) if out.owner is node else None
    if inner is not None and is_op(inner, 'sigmoid'):
        return replacing(out, make('sigmoid', _negated(inner.owner.inputs[0])))
    return None


@register('log_sigmoid', phase='stabilize', tracks=ops('log'))
def log_sigmoid(fgraph, node):
    """log(sigmoid(x)) -> -softplus(-x)."""
    out = node.outputs[0]
    if is_op(out, 'log') and is_op(node.inputs[0], 'sigmoid'):
        x = node.inputs[0].owner.inputs[0]
        return replacing(out, make('neg', make('softplus', _negated(x))))
    return None


@register('log1p', phase='stabilize', tracks=ops('log'))
def log1p(fgraph, node):
    """log(1 + x) -> log1p(x) (after the exp and sigmoid forms had their turn)."""
    out = node.outputs[0]
    if not is_op(out, 'log'):
        return None
    inner = _plus_one(node.inputs[0])
    if inner is None or is_op(inner, 'exp'):
        return None
    return replacing(out, make('log1p', inner))


@register('expm1', phase='stabilize', tracks=ops('sub', 'add'))
def expm1(fgraph, node):
    """exp(x) - 1 -> expm1(x)."""
    out = node.outputs[0]
    a, b = (node.inputs + [None])[:2]
    if is_op(out, 'sub') and is_op(a, 'exp') and const_value(b) == 1 and covers(a, b):
        return replacing(out, make('expm1', a.owner.inputs[0]))
    if is_op(out, 'add'):
        for e, c in ((a, b), (b, a)):
            if is_op(e, 'exp') and const_value(c) == -1 and covers(e, c):
                return replacing(out, make('expm1', e.owner.inputs[0]))
    return None


@register('log_softmax', phase='stabilize', tracks=ops('log'))
def log_softmax(fgraph, node):
    """log(exp(a) / b) -> a - log(b); log(p[idx]) with p = exp(a) / b -> (a - log(b))[idx]."""
    out = node.outputs[0]
    if not is_op(out, 'log'):
        return None
    p, index = node.inputs[0], None
    if p.owner is not None and isinstance(p.owner.op, Subtensor):
        p, index = p.owner.inputs[0], p.owner
    if not is_op(p, 'true_div') or not is_op(p.owner.inputs[0], 'exp'):
        return None
    a, b = p.owner.inputs[0].owner.inputs[0], p.owner.inputs[1]
    if not covers(a, b):
        return None
    new = make('sub', a, make('log', b))
    if index is not None:
        new = index.op(new, *index.inputs[1:])
    return replacing(out, new)


def _already_shifted(x):
    """x = y - max(y): the sum of exp(x) cannot overflow any more."""
    if not is_op(x, 'sub'):
        return False
    m, _ = strip_dimshuffle(x.owner.inputs[1])
    if is_op(m, 'switch'):  # the guarded shift this rewrite itself builds
        m, _ = strip_dimshuffle(m.owner.inputs[2])
    return m.owner is not None and isinstance(m.owner.op, CAReduce) and m.owner.op.reducer == 'maximum'


@register('logsumexp', phase='stabilize', tracks=ops('log'))
def logsumexp(fgraph, node):
    """log(sum(exp(x), axes)) -> m + log(sum(exp(x - m), axes)) with m = max(x, axes)."""
    out = node.outputs[0]
    if not is_op(out, 'log'):
        return None
    total, shuffle = strip_dimshuffle(node.inputs[0])
    red = total.owner
    if red is None or not isinstance(red.op, CAReduce) or red.op.reducer != 'add':
        return None
    e = red.inputs[0]
    if not is_op(e, 'exp') or _already_shifted(e.owner.inputs[0]) or e.dtype != total.dtype:
        return None
    x = e.owner.inputs[0]
    axes = red.op.axes
    m = tm.max(x, axis=axes, keepdims=True)
    m = tm.switch(tm.isinf(m), 0, m)  # all -inf (or +inf): no shift, the plain value is right
    shifted_sum = tm.sum(tm.exp(x - m), axis=axes)
    new = tm.log(shifted_sum) + _drop_axes(m, axes)
    if shuffle is not None:
        new = shuffle(new)
    return replacing(out, new)


def _drop_axes(m, axes):
    return tm.dimshuffle(m, [a for a in range(m.ndim) if a not in axes])
