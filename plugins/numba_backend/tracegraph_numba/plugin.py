"""Hook implementations that register the Numba backend with tracegraph."""
from __future__ import annotations

from tracegraph.backends import Backend
from tracegraph.hookspecs import hookimpl

from .random import tracegraph_lower_random  # noqa: F401  (the random-variable lowering)
from .scan import tracegraph_lower_scan  # noqa: F401  (the Scan lowering hookimpl)


class NumbaBackend(Backend):
    name = 'numba'
    description = 'the whole graph compiled by Numba into one machine-code function'

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

    def link(self, fgraph, options):
        from . import linker
        return linker.link(fgraph, options)


@hookimpl
def tracegraph_backends():
    return [NumbaBackend()]


@hookimpl
def tracegraph_lower_op(backend, node):
    if backend != 'numba':
        return None
    from . import indexing  # noqa: F401  (registers Subtensor and IncSubtensor)
    from .lowering import lower_node
    return lower_node(node)
