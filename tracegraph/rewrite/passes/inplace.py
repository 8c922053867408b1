"""In-place updates: a shared variable's update writes into the variable's own buffer.

Allowed when the destroy analysis proves no other reader needs the old value: the
update is read by nothing but the function's update slot, no output of the
function may share memory with the variable (an accumulator that returns its old
state returns a copy), and the in-place updates can be ordered so none reads a
buffer another has overwritten.  Only floating-point Elemwise updates run in
place: their kernels cannot raise half-way, so a failing call still leaves every
shared variable unchanged (backends run in-place nodes last, see destroy.py).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ...ir.rewrite_table import register
from ...tensor.elemwise import Elemwise
from ..destroy import may_alias, order_inplace


def _update_pairs(fgraph):
    targets = list(getattr(fgraph, 'update_targets', ()) or ())
    if not targets:
        return []
    first = len(fgraph.outputs) - len(targets)
    return [(t, first + k) for k, t in enumerate(targets)]


def _candidate(fgraph, target, position):
    """The in-place version of the update node at output `position`, or None."""
    update = fgraph.outputs[position]
    node = update.owner
    if node is None or not isinstance(node.op, Elemwise) or node.op.inplace or len(node.outputs) != 1:
        return None
    if np.dtype(update.dtype).kind not in 'fc' or target not in fgraph.inputs:
        return None
    if fgraph.clients.get(update) != [('output', position)]:
        return None
    slots = [k for k, i in enumerate(node.inputs) if i is target and i.type == update.type]
    if not slots:
        return None
    others = [o for k, o in enumerate(fgraph.outputs) if k != position]
    if any(may_alias(o, target) for o in others):
        return None
    op = replace(node.op, inplace=((0, slots[0]),))
    return op.make_node(*node.inputs)


@register('inplace_updates', phase='inplace')
def inplace_updates(fgraph):
    """Make shared-variable updates write into the variable's buffer where that is safe."""
    found = {}
    for target, position in _update_pairs(fgraph):
        new_node = _candidate(fgraph, target, position)
        if new_node is not None:
            found[new_node] = fgraph.outputs[position]
    _, dropped = order_inplace(list(found))
    return {old: node.outputs[0] for node, old in found.items() if node not in dropped}
