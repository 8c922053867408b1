"""Shapes without work: `shape(f(x))` read from x's shape, never from f(x)'s value.

`SHAPE_RULES` maps an op class to a rule `(node) -> list of output shapes`, each a
list of dimensions (an int, or an int64 scalar variable).  The rules live here, not
on the ops, so the op modules stay as they are.  A rule reads only the shapes of
the node's inputs, so the rewrite lifts `Shape` one node at a time toward the
inputs, where it costs nothing.
"""
from __future__ import annotations

import numpy as np

from ...tensor.basic import constant
from ...tensor.dot import Dot
from ...tensor.elemwise import DimShuffle, Elemwise
from ...tensor.reduce import CAReduce
from ...tensor.shape_ops import Alloc, MakeVector, Shape, static_value
from ...tensor.subtensor import IncSubtensor, Subtensor
from ..patterns import fit, make
from ..registry import register

SHAPE_RULES = {}


def shape_rule(*op_classes):
    def add(fn):
        for cls in op_classes:
            SHAPE_RULES[cls] = fn
        return fn
    return add


def dim(v, axis):
    """Length of axis `axis` of v: an int when static, else `shape(v)[axis]`."""
    n = v.type.shape[axis]
    if n is not None:
        return n
    return Subtensor((('int', axis),))(Shape()(v))


@shape_rule(Elemwise)
def _elemwise_shape(node):
    out = node.outputs[0]
    dims = []
    for axis, n in enumerate(out.type.shape):
        if n is not None:
            dims.append(n)
            continue
        sources = [i for i in node.inputs if i.type.shape[axis] != 1]
        value = dim(sources[0], axis)
        for other in sources[1:]:  # unknown lengths broadcast: the larger one wins
            value = make('maximum', value, dim(other, axis))
        dims.append(value)
    return [dims] * len(node.outputs)


@shape_rule(DimShuffle)
def _dimshuffle_shape(node):
    x = node.inputs[0]
    return [[1 if a == 'x' else dim(x, a) for a in node.op.new_order]]


@shape_rule(CAReduce)
def _careduce_shape(node):
    x = node.inputs[0]
    return [[dim(x, a) for a in range(x.ndim) if a not in node.op.axes]]


@shape_rule(Alloc)
def _alloc_shape(node):
    return [list(node.inputs[1:])]


@shape_rule(IncSubtensor)
def _incsubtensor_shape(node):
    x = node.inputs[0]
    return [[dim(x, a) for a in range(x.ndim)]]


@shape_rule(Dot)
def _dot_shape(node):
    a, b = node.inputs
    rows = [dim(a, 0)] if a.ndim == 2 else []
    cols = [dim(b, 1)] if b.ndim == 2 else []
    return [rows + cols]


def _single_source(node):
    """The one input whose shape is the output's, if there is such an input."""
    if not isinstance(node.op, Elemwise):
        return None
    out = node.outputs[0]
    full = [i for i in node.inputs if i.type.shape == out.type.shape]
    others = [i for i in node.inputs if i not in full]
    if len(set(full)) == 1 and all(all(s == 1 for s in o.type.shape) for o in others):
        return full[0]
    return None


@register('shape_lift', phase='canonicalize', tracks=(Shape,), fast_compile=True)
def shape_lift(fgraph, node):
    """shape(f(x, y)) -> a vector built from shape(x) and shape(y)."""
    out = node.outputs[0]
    x = node.inputs[0]
    if all(s is not None for s in x.type.shape):
        return {out: constant(np.array(x.type.shape, dtype='int64').reshape((x.ndim,)))}
    if x.owner is None:
        return None
    source = _single_source(x.owner)
    if source is not None:
        return {out: Shape()(source)}
    rule = next((SHAPE_RULES[c] for c in type(x.owner.op).__mro__ if c in SHAPE_RULES), None)
    if rule is None:
        return None
    dims = rule(x.owner)[x.index]
    parts = [constant(np.int64(d)) if isinstance(d, int) else d for d in dims]
    new = fit(MakeVector('int64')(*parts), out) if parts else None
    return {out: new} if new is not None else None


@register('shape_index', phase='canonicalize', tracks=(Subtensor,), fast_compile=True)
def shape_index(fgraph, node):
    """[a, b, c][1] -> b (a shape vector indexed by a constant)."""
    out = node.outputs[0]
    entries = node.op.entries
    vec = node.inputs[0]
    # Only shape-like vectors: indexing any other constant is constant folding's job.
    if len(entries) != 1 or entries[0][0] != 'int' or not isinstance(entries[0][1], int) \
            or vec.ndim != 1 or out.dtype != 'int64':
        return None
    k = entries[0][1]
    if vec.owner is not None and isinstance(vec.owner.op, MakeVector):
        new = fit(vec.owner.inputs[k], out)
        return {out: new} if new is not None else None
    if vec.owner is not None and isinstance(vec.owner.op, Shape):
        n = vec.owner.inputs[0].type.shape[k]
        if n is not None:
            return {out: constant(np.int64(n))}
    known = static_value(vec)
    return None if known is None else {out: constant(np.int64(known[k]))}
