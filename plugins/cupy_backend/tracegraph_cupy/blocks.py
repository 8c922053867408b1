"""Lazy `ifelse`: which block of the generated code each node runs in.

A node that only one branch of an IfElse needs is written inside that branch's
`if`/`else` block, so the branch not taken is never computed (nor transferred).
`nest` turns the execution order into a tree of steps and `Branches`; `number`
gives each step its position in that tree and each name its last reader, from
which the writer knows when a value may be freed.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from tracegraph.ifelse import IfElse


@dataclass
class Branches:
    """An IfElse step with the steps only its 'then' or only its 'else' values need."""

    step: object
    then: list = field(default_factory=list)
    orelse: list = field(default_factory=list)


def _homes(fgraph, steps):
    """Node -> its block: () for the top level, else a path of (ifelse node, branch)."""
    home = {}
    for step in reversed(steps):
        paths = []
        for out in step.node.outputs:
            for client, i in fgraph.clients.get(out, ()):
                if client == 'output':
                    paths.append(())
                    continue
                base = home.get(client, ())
                if isinstance(client.op, IfElse) and i >= 1:
                    paths.append(base + ((client, 'then' if i <= client.op.n_outs else 'else'),))
                else:
                    paths.append(base)
        home[step.node] = _common_prefix(paths)
    return home


def _common_prefix(paths):
    if not paths:
        return ()
    prefix = paths[0]
    for path in paths[1:]:
        k = 0
        while k < min(len(prefix), len(path)) and prefix[k] == path[k]:
            k += 1
        prefix = prefix[:k]
    return prefix


def nest(fgraph, steps):
    """The steps (in execution order) as a tree of steps and Branches."""
    home = _homes(fgraph, steps)
    blocks = {(): []}
    for step in steps:
        node = step.node
        item = step
        if isinstance(node.op, IfElse):  # its branches' steps came earlier in `steps`
            item = Branches(step, blocks.setdefault(home[node] + ((node, 'then'),), []),
                            blocks.setdefault(home[node] + ((node, 'else'),), []))
        blocks.setdefault(home[node], []).append(item)
    return blocks[()]


def walk(items):
    """Every step of a tree, branches' steps before their IfElse step."""
    for item in items:
        if isinstance(item, Branches):
            yield from walk(item.then)
            yield from walk(item.orelse)
            yield item.step
        else:
            yield item


def number(tree):
    """(position of each node, last position reading or writing each name)."""
    position, last_use = {}, {}
    counter = itertools.count()
    for step in walk(tree):
        k = position[step.node] = next(counter)
        for name in step.inputs:
            last_use[name] = k
        for name in step.outputs:
            last_use.setdefault(name, k)
    return position, last_use
