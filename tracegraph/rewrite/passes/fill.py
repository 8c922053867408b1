"""Removing `fill` (the gradient seed `second(cost, 1)` and its kin).

`second(a, b)` is b broadcast to a's shape.  It goes away when b already has a
shape that contains a's; otherwise it sinks through the elementwise op that reads
it, where the op's other inputs often supply the shape instead.
"""
from __future__ import annotations

from ...ir.rewrite_table import register
from ...tensor.elemwise import Elemwise
from ..patterns import covers, is_op, make, ops, replacing, scalar_name, single_reader


@register('fill_remove', phase='canonicalize', tracks=ops('second'), fast_compile=True)
def fill_remove(fgraph, node):
    """fill(a, b) -> b when b's shape already contains a's;  fill(exp(a), b) -> fill(a, b)."""
    out = node.outputs[0]
    if not is_op(out, 'second'):
        return None
    a, b = node.inputs
    if covers(b, a) and b.type == out.type:
        return {out: b}
    if a.owner is not None and isinstance(a.owner.op, Elemwise) and len(a.owner.inputs) == 1 \
            and a.owner.inputs[0].ndim == a.ndim:
        return replacing(out, make('second', a.owner.inputs[0], b))  # a unary op keeps its input's shape
    return None


@register('fill_sink', phase='canonicalize', tracks=(Elemwise,), fast_compile=True)
def fill_sink(fgraph, node):
    """f(fill(a, b), c) -> fill(a, f(b, c)): the fill moves up, out of the arithmetic."""
    out = node.outputs[0]
    name = scalar_name(out)
    if name is None or name == 'second':
        return None
    for k, inp in enumerate(node.inputs):
        if is_op(inp, 'second') and single_reader(fgraph, inp):
            a, b = inp.owner.inputs
            inner = list(node.inputs)
            inner[k] = b
            try:
                new = make('second', a, node.op(*inner))
            except (TypeError, ValueError):
                return None
            return replacing(out, new)
    return None


@register('fill_in_reader', phase='canonicalize', tracks=(Elemwise,), fast_compile=True)
def fill_in_reader(fgraph, node):
    """f(fill(a, b), c) -> f(b, c) when c's shape already contains a's."""
    out = node.outputs[0]
    if scalar_name(out) is None:
        return None
    for k, inp in enumerate(node.inputs):
        if not is_op(inp, 'second'):
            continue
        a, b = inp.owner.inputs
        others = [o for j, o in enumerate(node.inputs) if j != k]
        if b.ndim == inp.ndim and any(covers(o, a) for o in others):
            inner = list(node.inputs)
            inner[k] = b
            found = replacing(out, node.op(*inner))
            if found is not None:
                return found
    return None
