"""Graph rewrites: named passes that make a FunctionGraph fast and numerically stable.

`register` adds a rewrite (the table is ir/rewrite_table.py); `rewrite_graph` runs a set of them,
in the phases canonicalize, stabilize, specialize, fuse and inplace, each to a
fixed point (engine.py).  `fgraph.rewrites_applied` lists what fired.
"""
from __future__ import annotations

from ..ir.rewrite_table import PHASES, REWRITES, Rewrite, register, rewrite, select

__all__ = ['PHASES', 'REWRITES', 'Rewrite', 'register', 'rewrite', 'rewrite_graph', 'select']


def rewrite_graph(fgraph, which='default', *, extra=(), n_outputs=None):
    """Rewrite `fgraph` with the named rewrite set; returns it.

    `which`: 'default' (every registered rewrite plus `extra`), 'fast_compile', 'none',
    or a list of rewrite names.  `extra` is the backend's own rewrites: the caller, a
    layer above this one, asks the backends for them (backends.extra_rewrites, the
    `tracegraph_rewrites` hook).
    """
    from . import engine
    engine.run(fgraph, select(which, extra))
    return fgraph


def _load_passes():
    from . import passes  # noqa: F401  (registers the built-in rewrites)


_load_passes()
