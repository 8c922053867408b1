"""Shapes without work: `shape(f(x))` read from x's shape, never from f(x)'s value.

Each op's shape rule is its `infer_shape(node, input_shapes)` method (Theano's
name), next to the op: given each input's dims (an int, or an int64 scalar
variable), it returns each output's dims.  A rule reads only the shapes of the
node's inputs, so the rewrite lifts `Shape` one node at a time toward the inputs,
where it costs nothing.
"""
from __future__ import annotations

import numpy as np

from ...ir.rewrite_table import register
from ...tensor.basic import constant
from ...tensor.elemwise import Elemwise
from ...tensor.shape_ops import MakeVector, Shape, static_value
from ...tensor.subtensor import Subtensor
from ..patterns import fit


def dim(v, axis):
    """Length of axis `axis` of v: an int when static, else `shape(v)[axis]`."""
    n = v.type.shape[axis]
    if n is not None:
        return n
    return Subtensor((('int', axis),))(Shape()(v))


def _input_shapes(node):
    """What an op's `infer_shape` reads: per input, a tuple of its dims (None if not a tensor)."""
    shapes = []
    for v in node.inputs:
        static = getattr(v.type, 'shape', None)
        shapes.append(None if static is None else tuple(dim(v, a) for a in range(len(static))))
    return shapes


def _inferred_dims(node, index):
    """The dims of output `index` of `node` by its op's shape rule, or None without one."""
    infer_shape = getattr(node.op, 'infer_shape', None)
    if infer_shape is None:
        return None
    dims = infer_shape(node, _input_shapes(node))[index]
    return None if dims is None or any(d is None for d in dims) else dims


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
    dims = _inferred_dims(x.owner, x.index)
    if dims is None:
        return None
    parts = [constant(np.int64(d)) if isinstance(d, (int, np.integer)) else d for d in dims]
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
