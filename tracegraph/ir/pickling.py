"""Pickling graphs without recursion.

Left to itself, pickle follows `variable.owner.inputs[k].owner...` depth first: a
20,000-node chain nests 20,000 levels deep and raises RecursionError.  So the
state of a variable with an owner starts with the list of its ancestor Apply
nodes, in topological order.  Pickle writes that list first, one node after the
other, and each node's inputs were already written (they are outputs of earlier
nodes), so the nesting stays shallow whatever the graph's depth.

Within one pickling, a node listed once is not listed again: a thread-local
"session", opened by the outermost variable and closed by a marker pickled last
in its state, remembers the nodes already listed, so pickling a graph costs time
linear in its size.  The list only orders the work: correctness never depends on
it (if a session were left open by an aborted pickling, the next pickling of the
same nodes would just nest deeper).
"""
from __future__ import annotations

import copyreg
import threading

# thread id -> ids of the Apply nodes listed so far by the pickling running there
_sessions = {}


def reduce_variable(var):
    """`Variable.__reduce_ex__`: (new object, state) with the ancestors listed first."""
    thread = threading.get_ident()
    listed = _sessions.get(thread)
    closer = None
    if listed is None:
        listed = _sessions[thread] = set()
        closer = _SessionEnd(thread, listed)
    ancestry = _unlisted_ancestors(var, listed) if var.owner is not None else []
    state = (ancestry, _plain_state(var), closer)
    return copyreg.__newobj__, (type(var),), state


def set_variable_state(var, state):
    """`Variable.__setstate__`: the ancestry list only ordered the pickling."""
    _ancestry, attributes, _closer = state
    var.__dict__.update(attributes)


def _plain_state(var):
    return dict(var.__dict__)


def _unlisted_ancestors(var, listed):
    """Apply nodes `var` depends on that this pickling has not listed, readers last."""
    order, stack = [], [(var.owner, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in listed:
            continue
        listed.add(id(node))
        stack.append((node, True))
        for inp in reversed(node.inputs):
            if inp.owner is not None and id(inp.owner) not in listed:
                stack.append((inp.owner, False))
    return order


class _SessionEnd:
    """Pickled last in the outermost variable's state: ends that pickling's session.

    If the pickling fails before reaching it, the session ends when this marker is
    dropped with the failed pickler's state.
    """

    def __init__(self, thread, listed):
        self.thread, self.listed = thread, listed

    def close(self):
        if _sessions.get(self.thread) is self.listed:
            del _sessions[self.thread]

    def __reduce__(self):
        self.close()
        return _none, ()

    def __del__(self):
        self.close()


def _none():
    return None
