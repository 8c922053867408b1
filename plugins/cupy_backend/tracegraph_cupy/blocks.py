"""Lazy `ifelse` on the device: `tracegraph.compiler.branches` nests the steps (the
branch not taken is never computed, nor transferred); `number` gives each step its
position in that tree and each name its last reader, from which the writer knows
when a value may be freed.
"""
from __future__ import annotations

import itertools

from tracegraph.compiler.branches import walk


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
