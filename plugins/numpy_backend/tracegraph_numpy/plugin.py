"""Hook implementations that register the NumPy backend with tracegraph.

Every process that compiles a function loads this module (tracegraph loads all
plugins to list the backends), so it imports nothing heavy: the linker, the
lowerings (which import SciPy) and the Scan and random lowerings are imported by
the hooks that need them.
"""
from __future__ import annotations

import numpy as np

from tracegraph.backends import Backend
from tracegraph.hookspecs import backend_hookimpl, hookimpl

BACKEND = 'numpy'


class NumpyBackend(Backend):
    name = BACKEND
    version = np.__version__
    description = 'generated Python over NumPy ufuncs; the reference backend'
    reference = True     # constant folding evaluates through this backend

    def scalar_spellings(self):
        """The scalar ops this backend's table spells (the others: their decomposition)."""
        from .scalar_kernels import table
        return table()

    def link(self, fgraph, options):
        from . import linker
        return linker.link(fgraph, options)


@hookimpl
def tracegraph_backends():
    return [NumpyBackend()]


@backend_hookimpl(BACKEND)
def tracegraph_lower_op(backend, node):
    from .lowering import lower_node
    return lower_node(node)


@backend_hookimpl(BACKEND)
def tracegraph_lower_scan(backend, node):
    from .scan import tracegraph_lower_scan as lower_scan
    return lower_scan(backend, node)


@backend_hookimpl(BACKEND)
def tracegraph_lower_random(backend, node):
    from .random import lower_random
    return lower_random(node)
