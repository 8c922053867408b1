"""Walking and copying graphs, all without recursion (a 10,000-node chain is fine)."""
from __future__ import annotations

from .variable import Constant


def ancestors(outputs, blockers=()):
    """Every variable that `outputs` depend on, stopping at `blockers`, outputs first."""
    blockers = set(blockers)
    seen, order, stack = set(), [], list(outputs)
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        order.append(v)
        if v.owner is not None and v not in blockers:
            stack.extend(reversed(v.owner.inputs))
    return order


def graph_inputs(outputs, blockers=()):
    """The variables with no owner (or blocked) that `outputs` depend on."""
    blockers = set(blockers)
    return [v for v in ancestors(outputs, blockers) if v.owner is None or v in blockers]


def toposort(outputs, blockers=(), known_nodes=()):
    """Apply nodes between `blockers` and `outputs`, each after the nodes it reads.

    Nodes in `known_nodes` (say, those a graph already holds) are left out, and so is
    everything behind them.
    """
    blockers = set(blockers)
    order, done, stack = [], set(), []
    for out in outputs:
        if out.owner is not None and out not in blockers:
            stack.append((out.owner, False))
    while stack:
        node, expanded = stack.pop()
        if node in done or node in known_nodes:
            continue
        if expanded:
            done.add(node)
            order.append(node)
            continue
        stack.append((node, True))
        for inp in reversed(node.inputs):
            if inp.owner is not None and inp not in blockers and inp.owner not in done:
                stack.append((inp.owner, False))
    return order


def clone_graph(inputs, outputs, replace=None, copy_inputs=False):
    """Copy the graph between `inputs` and `outputs`.

    `replace` maps variables to the variables that stand for them in the copy
    (this is how `givens` works).  Returns (new_inputs, new_outputs, memo).
    """
    memo = dict(replace or {})
    for v in inputs:
        if v not in memo:
            memo[v] = v.clone() if copy_inputs else v
    # Variables reachable from a replacement must be visited as they are.
    nodes = toposort(list(outputs) + [r for r in memo.values()], blockers=list(memo))
    for node in nodes:
        if all(o in memo for o in node.outputs):
            continue
        new_inputs = [memo.get(i, i) for i in node.inputs]
        if all(a is b for a, b in zip(new_inputs, node.inputs)) and not copy_inputs:
            new_node = node.clone_with_new_inputs(new_inputs)
        else:
            new_node = node.clone_with_new_inputs(new_inputs)
        for old, new in zip(node.outputs, new_node.outputs):
            new.name = old.name
            memo.setdefault(old, new)
    new_outputs = [memo.get(o, o) for o in outputs]
    return [memo[v] for v in inputs], new_outputs, memo


def graph_replace(outputs, replace):
    """Rebuild `outputs` with some variables replaced; the old graph is untouched."""
    replace = dict(replace)
    nodes = toposort(outputs)
    memo = dict(replace)
    for node in nodes:
        new_inputs = [memo.get(i, i) for i in node.inputs]
        if all(a is b for a, b in zip(new_inputs, node.inputs)):
            continue
        new_node = node.op.make_node(*new_inputs)
        for old, new in zip(node.outputs, new_node.outputs):
            if new.name is None:
                new.name = old.name
            memo[old] = new
    return [memo.get(o, o) for o in outputs]


def is_constant(v):
    return isinstance(v, Constant)
