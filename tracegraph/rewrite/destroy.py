"""Destroy analysis: which values may share memory, and when an in-place write may run.

An in-place node overwrites one of its inputs.  It is safe when nothing else
still needs the old value: every other reader of that buffer (or of a view of it)
must run first.  Backends schedule in-place nodes after every other node
(`schedule`), so a call that raises leaves every shared variable unchanged, and
order the in-place nodes among themselves so none reads a buffer another already
overwrote.
"""
from __future__ import annotations

from ..ifelse import IfElse
from ..tensor.elemwise import DimShuffle
from ..tensor.shape_ops import Reshape
from ..tensor.subtensor import IncSubtensor, Subtensor

# Ops whose output may be (a view of) an input's memory on a backend like NumPy.
_VIEW_OPS = (DimShuffle, Reshape, IfElse)


def destroyed_input(node):
    """The input variable `node` overwrites, or None."""
    inplace = getattr(node.op, 'inplace', None)
    if not inplace:
        return None
    if isinstance(node.op, IncSubtensor):
        return node.inputs[0]
    return node.inputs[inplace[0][1]]


def is_view(node):
    """True when `node`'s output may be (a view of) one of its inputs' memory."""
    op = node.op
    return isinstance(op, _VIEW_OPS) or (isinstance(op, Subtensor) and op.is_basic)


def may_alias(v, buffer, depth=64):
    """True when v may share memory with the variable `buffer`."""
    while depth:
        if v is buffer:
            return True
        node = v.owner
        if node is None or not is_view(node):
            return False
        if isinstance(node.op, IfElse):
            return any(may_alias(i, buffer, depth - 1) for i in node.inputs[1:])
        v = node.inputs[0]
        depth -= 1
    return True


def memory_sources(v, depth=64):
    """The variables whose memory `v` may be: itself, or what its views (and ifelse
    branches) lead back to."""
    node = v.owner
    if node is None or not is_view(node) or not depth:
        return {v}
    branches = node.inputs[1:] if isinstance(node.op, IfElse) else node.inputs[:1]
    return set().union(*(memory_sources(b, depth - 1) for b in branches))


def outputs_to_copy(fgraph):
    """Outputs that may share memory with an input, a shared value or a constant.

    A backend copies them on return, so the caller can change neither its arguments
    nor the compiled function's constants through a result.
    """
    inputs = set(fgraph.inputs)
    found = set()
    for out in fgraph.outputs:
        if out in inputs or out.owner is None:
            continue    # returned as is on purpose (the rewrites copy those already)
        if any(s in inputs or s.owner is None for s in memory_sources(out)):
            found.add(out)
    return found


def order_inplace(nodes):
    """`nodes` (in-place nodes) ordered so that none reads a buffer destroyed before it.

    Returns (ordered, dropped): `dropped` are nodes that cannot be ordered (they read
    each other's targets in a cycle) and must not run in place.
    """
    nodes = list(nodes)
    targets = {n: destroyed_input(n) for n in nodes}
    must_precede = {n: set() for n in nodes}  # n must run before every node in the set
    for reader in nodes:
        for writer in nodes:
            if writer is not reader and any(may_alias(i, targets[writer]) for i in reader.inputs):
                must_precede[reader].add(writer)
    ordered, dropped = [], []
    remaining = list(nodes)
    while remaining:
        ready = [n for n in remaining if not any(n in must_precede[o] for o in remaining if o is not n)]
        if not ready:
            victim = remaining.pop()
            dropped.append(victim)
            continue
        for n in ready:
            remaining.remove(n)
            ordered.append(n)
    return ordered, dropped


def schedule(nodes):
    """Execution order: every node that writes in place goes last, in a safe order."""
    plain = [n for n in nodes if destroyed_input(n) is None]
    inplace = [n for n in nodes if destroyed_input(n) is not None]
    ordered, dropped = order_inplace(inplace)
    if dropped:
        raise ValueError(f'in-place nodes read each other\'s buffers in a cycle: {dropped}')
    return plain + ordered
