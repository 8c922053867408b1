"""Hook implementations that register the Numba backend with tracegraph.

Every process that compiles a function loads this module, whatever backend it
uses, so it imports neither Numba nor the lowerings: the hooks import them.
"""
from __future__ import annotations

from tracegraph.backends import Backend
from tracegraph.hookspecs import hookimpl, lowering_hook

BACKEND = 'numba'


class NumbaBackend(Backend):
    name = BACKEND
    description = 'the whole graph compiled by Numba into one machine-code function'
    linker = 'tracegraph_numba.linker:link'
    spellings = 'tracegraph_numba.scalar_source:EXPRESSIONS'
    numpy_first = True
    compile_job = 'tracegraph_numba.linker:compile_job'

    @property
    def version(self):
        from importlib.metadata import version
        return version('numba')

    def unavailable_reason(self):
        try:
            import numba  # noqa: F401
            import scipy  # noqa: F401
        except ImportError as exc:
            return f'{exc.name} is not installed (pip install tracegraph-numba)'
        return None


@hookimpl
def tracegraph_backends():
    return [NumbaBackend()]


tracegraph_lower_op = lowering_hook(BACKEND, 'tracegraph_numba.lowering:lower_node')
tracegraph_lower_scan = lowering_hook(BACKEND, 'tracegraph_numba.scan:lower_scan')
tracegraph_lower_random = lowering_hook(BACKEND, 'tracegraph_numba.random:lower_random')
