"""Graph rewrites: named passes that make a FunctionGraph fast and numerically stable.

`register` adds a rewrite (the table is ir/rewrite_table.py); `rewrite_graph` runs a set of them,
in the phases canonicalize, stabilize, specialize, fuse and inplace, each to a
fixed point (engine.py).  `fgraph.rewrites_applied` lists what fired.
"""
from __future__ import annotations

from ..ir.rewrite_table import PHASES, REWRITES, Rewrite, register, rewrite, select

__all__ = ['PHASES', 'REWRITES', 'Rewrite', 'register', 'rewrite', 'rewrite_graph', 'select']


def rewrite_graph(fgraph, backend, which='default', n_outputs=None):
    """Rewrite `fgraph` for `backend` with the named rewrite set; returns it.

    `which`: 'default' (every registered rewrite plus the backend's own, from the
    `tracegraph_rewrites` hook), 'fast_compile', 'none', or a list of rewrite names.
    """
    from .. import backends
    from . import engine
    extra = backends.extra_rewrites(backend) if which not in (None, 'none', 'None') else []
    engine.run(fgraph, select(which, extra))
    return fgraph


def _load_passes():
    from . import passes  # noqa: F401  (registers the built-in rewrites)


_load_passes()
