"""Reverse mode: walk from the cost back to the inputs, asking each op for its pullback.

An op supplies its pullback next to its definition, in one of Theano's two spellings:
`L_op(inputs, outputs, output_grads)` or `grad(inputs, output_grads)`; the walk calls
only `L_op`, whose default on the Op base class calls `grad`.  Either returns one
entry per input:

    a tensor    the gradient with respect to that input,
    None        disconnected: the input does not affect the outputs' values (a shape,
                an index),
    ZERO        connected, but the gradient is zero everywhere (floor, comparisons).

Gradients never flow into integer or boolean variables: those get ZERO, as in Theano,
so `grad` with respect to an integer input is a float zero, never a crash.  ZERO is a
marker rather than a zeros graph so that zero branches cost nothing and print nothing.
"""
from __future__ import annotations

import numpy as np

from ..ir import Variable
from ..ir.op import ZERO, NoGradient
from ..ir.traversal import toposort
from ..tensor import math as m
from ..tensor.basic import as_tensor_variable, constant
from .errors import DisconnectedVariable, NullGradient, NullTypeGradError


def is_differentiable(v):
    dtype = getattr(v.type, 'dtype', None)
    return dtype is not None and np.dtype(dtype).kind in 'fc'


def backprop(wrt, seeds, consider_constant=()):
    """Pull the output gradients `seeds` ({variable: gradient}) back to each of `wrt`.

    Returns one entry per `wrt`: its gradient, ZERO, or None when disconnected.
    Variables in `consider_constant` are leaves: nothing flows through their owners.
    """
    nodes = toposort(list(seeds), blockers=consider_constant)
    depends = set(wrt)
    for node in nodes:
        if any(i in depends for i in node.inputs):
            depends.update(node.outputs)
    terms = {v: [g] for v, g in seeds.items()}
    totals = {}
    for node in reversed(nodes):
        if not any(o in depends for o in node.outputs):
            continue
        out_grads = [_total(o, terms, totals) for o in node.outputs]
        if all(g is None for g in out_grads):
            continue
        for inp, g in zip(node.inputs, _pull(node, out_grads, depends)):
            if g is not None and inp in depends:
                terms.setdefault(inp, []).append(g)
    return [_total(w, terms, totals) for w in wrt]


def _total(v, terms, totals):
    """The sum of the gradient terms that reached `v` (None: none did)."""
    if v in totals:
        return totals[v]
    parts = terms.get(v)
    if not parts:
        total = None
    else:
        real = [p for p in parts if p is not ZERO]
        total = ZERO if not real or not is_differentiable(v) else real[0]
        for p in real[1:]:
            total = m.add(total, p)
    totals[v] = total
    return total


def _pull(node, out_grads, depends):
    """The gradient terms of `node`'s inputs, given its output gradients."""
    relevant = [i for i, v in enumerate(node.inputs) if v in depends]
    if all(g is None or g is ZERO for g in out_grads) or \
            not any(is_differentiable(node.inputs[i]) for i in relevant):
        connected = connection_pattern(node)
        return [ZERO if connected[i] else None for i in range(len(node.inputs))]
    filled = [g if g is not None and g is not ZERO else _zeros_or_none(o)
              for g, o in zip(out_grads, node.outputs)]
    grads = _call_rule(node, filled)
    return [_check(node, k, g) if k in relevant else None for k, g in enumerate(grads)]


def _zeros_or_none(v):
    return m.zeros_like(v) if hasattr(v.type, 'dtype') else None


def connection_pattern(node):
    """Which inputs affect the outputs' values; ops say so with `connection_pattern`."""
    rule = getattr(node.op, 'connection_pattern', None)
    if rule is None:
        return [True] * len(node.inputs)
    return [any(p) if isinstance(p, (list, tuple)) else bool(p) for p in rule(node)]


def _call_rule(node, output_grads):
    op = node.op
    try:
        grads = op.L_op(list(node.inputs), list(node.outputs), output_grads)
    except NoGradient as err:
        if err.op is not op:  # raised for a node inside this op's own pullback
            raise
        where = f' (built at {node.source})' if node.source else ''
        raise TypeError(f'cannot differentiate through {op}{where}: the op defines no grad. '
                        'Give it a grad(inputs, output_grads) method, or mark the value '
                        'constant with consider_constant.') from None
    grads = list(grads)
    if len(grads) != len(node.inputs):
        raise ValueError(f'{op}.grad returned {len(grads)} gradients for {len(node.inputs)} inputs')
    return grads


def _check(node, k, g):
    """Bring an op's answer for input `k` to the input's dtype, or say what is wrong."""
    inp = node.inputs[k]
    if g is None or isinstance(g, DisconnectedVariable):
        return None
    if isinstance(g, NullGradient):
        raise NullTypeGradError(f'the gradient of {node.op} with respect to input {k} ({inp}) '
                                f'is undefined: {g.comment}')
    if g is ZERO or not is_differentiable(inp):
        return ZERO
    g = as_tensor_variable(g)
    if g.ndim != inp.ndim:
        raise ValueError(f'{node.op}.grad returned a {g.ndim}-d gradient for its input {k} '
                         f'({inp}, {inp.ndim}-d)')
    return g if g.dtype == inp.dtype else m.cast(g, inp.dtype)


def seed(cost):
    """The gradient of the cost with respect to itself: `fill(cost, 1.0)`."""
    dtype = cost.dtype if is_differentiable(cost) else _float_x()
    return m.fill(cost, constant(np.ones((), dtype=dtype)))


def float_zeros_like(v):
    """Zeros shaped like `v`, of its dtype if it is a float, else of floatX."""
    dtype = v.dtype if is_differentiable(v) else _float_x()
    return m.zeros_like(v, dtype=dtype)


def _float_x():
    from .. import config
    return config.floatX


def as_wrt_list(wrt, what='wrt'):
    single = not isinstance(wrt, (list, tuple))
    items = [wrt] if single else list(wrt)
    for k, v in enumerate(items):
        if not isinstance(v, Variable):
            raise TypeError(f'{what}[{k}] must be a symbolic variable, got {v!r}')
        if getattr(v.type, 'dtype', None) is None:
            raise TypeError(f'cannot differentiate with respect to {v} of type {v.type}')
    return items, single
