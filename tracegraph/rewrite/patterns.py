"""Small questions rewrites ask about variables: which scalar op made it, is it a
constant, does one variable's shape cover another's, who reads it."""
from __future__ import annotations

import numpy as np

from ..tensor.elemwise import DimShuffle, Elemwise
from ..tensor.scalar import SCALAR_OPS, ScalarOp
from ..tensor.variable import TensorConstant


def scalar_name(v):
    """'exp' for a variable made by Elemwise(exp), else None."""
    node = v.owner
    if node is None or not isinstance(node.op, Elemwise) or node.op.inplace:
        return None
    op = node.op.scalar_op
    return op.name if isinstance(op, ScalarOp) and op.dtype is None else None


def is_op(v, name):
    return scalar_name(v) == name


def args(v):
    return v.owner.inputs


def const_value(v):
    """The number held by a constant of one element, else None."""
    if isinstance(v, TensorConstant) and v.data.size == 1:
        return v.data.reshape(()).item()
    return None


def is_const(v, value):
    c = const_value(v)
    return c is not None and c == value


def make(name, *inputs):
    """Elemwise(scalar op `name`) applied to `inputs`."""
    return Elemwise(SCALAR_OPS[name])(*inputs)


def constant_like(value, dtype):
    from ..tensor.basic import constant
    return constant(np.asarray(value, dtype=dtype))


def scalar_like(v):
    """True when every axis of v is known to have length 1 (it never grows a broadcast)."""
    return all(s == 1 for s in v.type.shape)


def covers(big, small, depth=6):
    """True when the run-time shape of `big` is known to contain `small`'s, i.e.
    broadcasting `small` against `big` never changes `big`'s shape."""
    if big is small or scalar_like(small) or small.ndim < big.ndim and scalar_like(small):
        return True
    if big.ndim != small.ndim:
        return False
    if all(b is not None and (b == s or s == 1) for b, s in zip(big.type.shape, small.type.shape)):
        return True
    if depth == 0:
        return False
    reduced = _kept_dims_source(small)
    if reduced is not None and covers(big, reduced, depth - 1):
        return True
    node = big.owner
    if node is not None and isinstance(node.op, Elemwise) and \
            any(covers(i, small, depth - 1) for i in node.inputs):
        return True
    node = small.owner
    if node is not None and isinstance(node.op, Elemwise):  # f(a, b) is no larger than a and b
        return all(covers(big, i, depth - 1) for i in node.inputs)
    return False


def _kept_dims_source(v):
    """z when v = reduce(z, axes, keepdims=True): z's shape contains v's."""
    from ..tensor.reduce import CAReduce
    inner, shuffle = strip_dimshuffle(v)
    if shuffle is None or inner.owner is None or not isinstance(inner.owner.op, CAReduce):
        return None
    axes = inner.owner.op.axes
    z = inner.owner.inputs[0]
    kept = iter(range(inner.ndim))
    expected = tuple('x' if a in axes else next(kept) for a in range(z.ndim))
    return z if shuffle.new_order == expected else None


def strip_dimshuffle(v):
    """(v without a DimShuffle on top, the DimShuffle op or None)."""
    if v.owner is not None and isinstance(v.owner.op, DimShuffle):
        return v.owner.inputs[0], v.owner.op
    return v, None


def single_reader(fgraph, v):
    """True when exactly one node reads v and v is not an output of the graph."""
    readers = fgraph.clients.get(v, ())
    return len(readers) == 1 and readers[0][0] != 'output'


def fit(new, old):
    """`new` if it can stand for `old` (same type), else None."""
    return new if new.type == old.type else None


def replacing(old, new):
    """What a node rewrite returns: {old: new} when `new` can stand for `old`, else None."""
    return {old: new} if new.type == old.type else None


def ops(*names):
    """The Elemwise ops of these scalar ops: what a rewrite `tracks`, so it sees only them."""
    return tuple(Elemwise(SCALAR_OPS[n]) for n in names)
