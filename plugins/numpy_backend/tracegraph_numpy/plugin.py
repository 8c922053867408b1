"""Hook implementations that register the NumPy backend with tracegraph.

Every process that compiles a function loads this module (tracegraph loads all
plugins to list the backends), so it imports nothing heavy: the linker, the
lowerings (which import SciPy) and the Scan and random lowerings are imported by
the hooks that need them.
"""
from __future__ import annotations

import numpy as np

from tracegraph.backends import Backend
from tracegraph.hookspecs import hookimpl, lowering_hook

BACKEND = 'numpy'


class NumpyBackend(Backend):
    name = BACKEND
    version = np.__version__
    description = 'generated Python over NumPy ufuncs; the reference backend'
    linker = 'tracegraph_numpy.linker:link'
    spellings = 'tracegraph.kernels.ufuncs:table'


@hookimpl
def tracegraph_backends():
    return [NumpyBackend()]


tracegraph_lower_op = lowering_hook(BACKEND, 'tracegraph_numpy.lowering:lower_node')
tracegraph_lower_scan = lowering_hook(BACKEND, 'tracegraph_numpy.scan:lower_scan')
tracegraph_lower_random = lowering_hook(BACKEND, 'tracegraph_numpy.random:lower_random')
