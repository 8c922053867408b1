"""Hook implementations that register the CuPy backend with tracegraph.

Importing this module never imports CuPy: the backend registers (and says why it
cannot run) on machines without CuPy or without a GPU.  Every process that
compiles a function loads it, so the lowerings are imported by the hooks that
need them.
"""
from __future__ import annotations

from tracegraph.backends import Backend
from tracegraph.hookspecs import backend_hookimpl, hookimpl

from . import availability

BACKEND = 'cupy'


class CupyBackend(Backend):
    name = BACKEND
    description = 'one CUDA kernel per fused Elemwise, CuPy/cuBLAS for the rest; state on the GPU'

    def scalar_spellings(self):
        """The scalar ops this backend's table spells (the others: their decomposition)."""
        from .cxx_scalar import CXX
        return set(CXX)

    @property
    def version(self):
        return availability.cupy_version()

    def unavailable_reason(self):
        return availability.unavailable_reason()

    def link(self, fgraph, options):
        from . import linker
        return linker.link(fgraph, options)


@hookimpl
def tracegraph_backends():
    return [CupyBackend()]


@backend_hookimpl(BACKEND)
def tracegraph_lower_op(backend, node):
    from .lowering import lower_node
    return lower_node(node)


@backend_hookimpl(BACKEND)
def tracegraph_lower_random(backend, node):
    from .random import lower_random
    return lower_random(node)


@backend_hookimpl(BACKEND)
def tracegraph_lower_scan(backend, node):
    from .scan import lower_scan
    return lower_scan(node)
