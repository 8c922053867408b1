"""Hook implementations that register the Numba backend with tracegraph.

Every process that compiles a function loads this module, whatever backend it
uses, so it imports neither Numba nor the lowerings: the hooks import them.
"""
from __future__ import annotations

from tracegraph.backends import Backend
from tracegraph.hookspecs import backend_hookimpl, hookimpl

BACKEND = 'numba'


class NumbaBackend(Backend):
    name = BACKEND
    description = 'the whole graph compiled by Numba into one machine-code function'

    def scalar_spellings(self):
        """The scalar ops this backend's table spells (the others: their decomposition)."""
        from .scalar_source import EXPRESSIONS
        return set(EXPRESSIONS)

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


@backend_hookimpl(BACKEND)
def tracegraph_lower_op(backend, node):
    from . import indexing  # noqa: F401  (registers Subtensor and IncSubtensor)
    from .lowering import lower_node
    return lower_node(node)


@backend_hookimpl(BACKEND)
def tracegraph_lower_scan(backend, node):
    from .scan import tracegraph_lower_scan as lower_scan
    return lower_scan(backend, node)


@backend_hookimpl(BACKEND)
def tracegraph_lower_random(backend, node):
    from .random import tracegraph_lower_random as lower_random
    return lower_random(backend, node)
