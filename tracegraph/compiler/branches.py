"""Lazy `ifelse` for code generators: which block of the generated code each step runs in.

A node that only one branch of an IfElse needs is written inside that branch's
`if`/`else` block, so the branch not taken is never computed.  `nest` turns the
steps of a `program.plan` (in execution order) into a tree of steps and
`Branches`; a backend writes the tree, an `if` for each Branches.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ifelse import IfElse


@dataclass
class Branches:
    """An IfElse step with the steps only its 'then' or only its 'else' values need."""

    step: object
    then: list = field(default_factory=list)
    orelse: list = field(default_factory=list)


def homes(fgraph, steps):
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
    home = homes(fgraph, steps)
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
