"""Hook implementations that register the NumPy backend with tracegraph."""
from __future__ import annotations

import numpy as np

from tracegraph.backends import Backend
from tracegraph.hookspecs import hookimpl

from . import linker
from .lowering import lower_node
from .random import tracegraph_lower_random  # noqa: F401  (the random-variable lowering hookimpl)
from .scan import tracegraph_lower_scan  # noqa: F401  (the Scan lowering hookimpl)


class NumpyBackend(Backend):
    name = 'numpy'
    version = np.__version__
    description = 'generated Python over NumPy ufuncs; the reference backend'

    def link(self, fgraph, options):
        return linker.link(fgraph, options)


@hookimpl
def tracegraph_backends():
    return [NumpyBackend()]


@hookimpl
def tracegraph_lower_op(backend, node):
    if backend != 'numpy':
        return None
    return lower_node(node)
