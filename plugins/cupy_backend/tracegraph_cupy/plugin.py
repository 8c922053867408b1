"""Hook implementations that register the CuPy backend with tracegraph.

Importing this module never imports CuPy: the backend registers (and says why it
cannot run) on machines without CuPy or without a GPU.  Every process that
compiles a function loads it, so the lowerings are imported by the hooks that
need them.
"""
from __future__ import annotations

from tracegraph.backends import Backend
from tracegraph.hookspecs import hookimpl, lowering_hook

from . import availability

BACKEND = 'cupy'


class CupyBackend(Backend):
    name = BACKEND
    description = 'one CUDA kernel per fused Elemwise, CuPy/cuBLAS for the rest; state on the GPU'
    linker = 'tracegraph_cupy.linker:link'
    spellings = 'tracegraph_cupy.cxx_scalar:CXX'

    @property
    def version(self):
        return availability.cupy_version()

    def unavailable_reason(self):
        return availability.unavailable_reason()


@hookimpl
def tracegraph_backends():
    return [CupyBackend()]


tracegraph_lower_op = lowering_hook(BACKEND, 'tracegraph_cupy.lowering:lower_node')
tracegraph_lower_scan = lowering_hook(BACKEND, 'tracegraph_cupy.scan:lower_scan')
tracegraph_lower_random = lowering_hook(BACKEND, 'tracegraph_cupy.random:lower_random')
