"""Merge equal subgraphs (common subexpression elimination) and drop dead code.

Two nodes are equal when their ops are equal and they read the same variables
(in either order for commutative scalar ops); constants are equal by type and
bytes.  Ops are data, so op equality is dataclass equality.
"""
from __future__ import annotations

from ...ir import Constant
from ...ir.rewrite_table import register
from ...tensor.elemwise import Elemwise

_COMMUTATIVE = {'add', 'mul', 'maximum', 'minimum', 'eq', 'neq', 'and_', 'or_', 'xor'}


def _constant_key(c):
    data = getattr(c, 'data', None)
    try:
        return ('const', c.type, data.dtype.str, data.shape, data.tobytes())
    except AttributeError:
        return ('const-id', id(c))


def _node_key(node, rep):
    ids = [id(rep.get(i, i)) for i in node.inputs]
    op = node.op
    if isinstance(op, Elemwise) and getattr(op.scalar_op, 'name', None) in _COMMUTATIVE:
        ids.sort()
    try:
        return (op, tuple(ids))
    except TypeError:
        return None


@register('merge', phase='canonicalize', fast_compile=True)
def merge(fgraph):
    """Replace each node (and constant) equal to an earlier one by that earlier one."""
    rep, seen = {}, {}
    for v, readers in list(fgraph.clients.items()):
        if isinstance(v, Constant) and readers:
            first = seen.setdefault(_constant_key(v), v)
            if first is not v:
                rep[v] = first
    for node in fgraph.toposort():
        key = _node_key(node, rep)
        if key is None:
            continue
        try:
            first = seen.setdefault(key, node)
        except TypeError:  # an op that cannot be hashed is never merged
            continue
        if first is not node:
            for old, new in zip(node.outputs, first.outputs):
                if old.type == new.type:
                    rep[old] = new
    return rep


@register('dead_code', phase='canonicalize', fast_compile=True)
def dead_code(fgraph):
    """Forget nodes that no output needs any more (True when some were dropped)."""
    live = set(fgraph.toposort())
    dead = [n for n in fgraph.apply_nodes if n not in live]
    if not dead:
        return None
    for node in dead:
        fgraph.apply_nodes.discard(node)
        for out in node.outputs:
            fgraph.clients.pop(out, None)
    for readers in fgraph.clients.values():
        for entry in [e for e in readers if e[0] != 'output' and e[0] not in live]:
            readers.remove(entry)
    return True
