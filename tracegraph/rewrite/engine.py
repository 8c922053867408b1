"""The rewrite engine: run named rewrites over a FunctionGraph to a fixed point.

Node rewrites are driven by a work list seeded in topological order: when a rewrite
replaces a variable, the new nodes and the readers of the new variable go back on
the list.  A phase ends when a whole sweep (the work list, then the whole-graph
rewrites) changes nothing.  Every step is iterative, so a 10,000-node chain is fine.
"""
from __future__ import annotations

from collections import deque

from ..ir import Constant
from ..ir.rewrite_table import PHASES
from ..ir.traversal import toposort

MAX_SWEEPS = 20


class RewriteError(RuntimeError):
    pass


class Dispatch:
    """Which node rewrites look at a node: by op value first, then by op class (MRO)."""

    def __init__(self, rewrites):
        self.by_op, self.by_class = {}, {}
        for r in rewrites:
            for t in r.tracks:
                table = self.by_class if isinstance(t, type) else self.by_op
                table.setdefault(t, []).append(r)
        self._cache = {}

    def __call__(self, op):
        key = type(op)
        found = self._cache.get(key)
        if found is None:
            found = [r for cls in key.__mro__ for r in self.by_class.get(cls, ())]
            self._cache[key] = found
        try:
            exact = self.by_op.get(op, ())
        except TypeError:  # an unhashable op
            exact = ()
        return list(exact) + found if exact else found


def apply_replacements(fgraph, replacements, name):
    """Validate and apply {old: new}; returns the new variables that were applied."""
    applied = []
    for old, new in replacements.items():
        if old is new:
            continue
        if old.type != new.type:
            raise RewriteError(f'rewrite {name!r} replaced {old} ({old.type}) by {new} '
                               f'({new.type}): the types differ')
        if old in fgraph.inputs:
            raise RewriteError(f'rewrite {name!r} tried to replace input {old}')
        if not fgraph.clients.get(old):
            continue  # no longer read by anything
        new = _keep_outputs_fresh(fgraph, old, new)
        _inherit_source(fgraph, old, new)
        fgraph.replace(old, new)
        applied.append(new)
    if applied:
        fgraph.rewrites_applied.append(name)
    return applied


def _inherit_source(fgraph, old, new):
    """New nodes stand for the user's expression they replace: errors must name its line
    (not the line that called function(), nor a backend's rewrite of a scan's body)."""
    source = old.owner.source if old.owner is not None else None
    if source is not None:
        for node in toposort([new], known_nodes=fgraph.apply_nodes):
            node.source = source


def _keep_outputs_fresh(fgraph, old, new):
    """An output must never become an input or a constant buffer: copy it then."""
    is_output = any(c == 'output' for c, _ in fgraph.clients.get(old, ()))
    if is_output and (isinstance(new, Constant) or new in fgraph.inputs):
        from ..tensor.math import identity
        return identity(new)
    return new


def run_node_rewrites(fgraph, rewrites, budget):
    """One work-list pass; returns how many rewrites fired."""
    dispatch = Dispatch(rewrites)
    queue = deque(fgraph.toposort())
    queued = set(queue)
    fired = 0
    while queue:
        node = queue.popleft()
        queued.discard(node)
        if node not in fgraph.apply_nodes:
            continue
        for rw in dispatch(node.op):
            result = rw.fn(fgraph, node)
            if not result:
                continue
            fresh = toposort(list(result.values()), known_nodes=fgraph.apply_nodes)
            applied = apply_replacements(fgraph, result, rw.name)
            if not applied:
                continue
            fired += 1
            if fired > budget:
                raise RewriteError(f'rewrites keep firing without end (last: {rw.name!r}); '
                                   f'the last ones: {fgraph.rewrites_applied[-10:]}')
            touched = [n for n in fresh if n in fgraph.apply_nodes]
            for v in applied:
                touched.extend(c for c, _ in fgraph.clients.get(v, ()) if c != 'output')
            if node in fgraph.apply_nodes:
                touched.append(node)
            for n in touched:
                if n not in queued:
                    queued.add(n)
                    queue.append(n)
            break
    return fired


def run_phase(fgraph, rewrites):
    node_rws = [r for r in rewrites if not r.whole_graph]
    graph_rws = [r for r in rewrites if r.whole_graph]
    budget = 50 * (len(fgraph.apply_nodes) + 100)
    for _ in range(MAX_SWEEPS):
        fired = run_node_rewrites(fgraph, node_rws, budget) if node_rws else 0
        for rw in graph_rws:
            result = rw.fn(fgraph)
            if result is True:  # the rewrite edited the graph itself (dead code)
                fgraph.rewrites_applied.append(rw.name)
                fired += 1
            elif result and apply_replacements(fgraph, result, rw.name):
                fired += 1
        if not fired:
            return
        if not node_rws and len(graph_rws) <= 1:
            return  # a single whole-graph pass already reached its own fixed point
    raise RewriteError(f'rewrites did not settle after {MAX_SWEEPS} sweeps; the last ones: '
                       f'{fgraph.rewrites_applied[-10:]}')


def run(fgraph, rewrites):
    """Run `rewrites` phase by phase over `fgraph` (in place); returns fgraph."""
    for phase in PHASES:
        chosen = [r for r in rewrites if r.phase == phase]
        if chosen:
            run_phase(fgraph, chosen)
    return fgraph
