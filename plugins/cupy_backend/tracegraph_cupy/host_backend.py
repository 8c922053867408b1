"""`cupy_on_host`: the CuPy backend's generated code run on the CPU, as a backend.

It links graphs with this backend's own linker and lowerings, but with
`hostcc.host_device()` in place of the GPU (NumPy for CuPy's calls, g++ for the
generated kernels).  It is not registered by default; register it to run any
test, or the whole conformance suite, through the CuPy backend's code on a machine
without a GPU:

    python -m pytest --pyargs tracegraph.testing.conformance \\
        -p tracegraph_cupy.host_backend --tracegraph-backend cupy_on_host
"""
from __future__ import annotations

import tempfile

from tracegraph import backends
from tracegraph.backends import Backend
from tracegraph.hookspecs import hookimpl

from . import plugin

NAME = 'cupy_on_host'


class CupyOnHost(Backend):
    name = NAME
    description = "the CuPy backend's code with the GPU replaced by NumPy and g++ (testing)"

    def __init__(self, workdir=None):
        self.workdir = workdir or tempfile.mkdtemp(prefix='tracegraph-cupy-on-host-')
        self._device = None

    def unavailable_reason(self):
        from .hostcc import compiler
        return None if compiler() else 'no host C++ compiler (g++) to build the kernels'

    @property
    def device(self):
        if self._device is None:
            from .hostcc import host_device
            self._device = host_device(self.workdir)
        return self._device

    def link(self, fgraph, options):
        from . import linker
        return linker.link(fgraph, options, device=self.device)


class _Plugin:
    """The backend, and the CuPy backend's own lowerings answered under its name."""

    def __init__(self, workdir=None):
        self.backend = CupyOnHost(workdir)

    @hookimpl
    def tracegraph_backends(self):
        return [self.backend]

    @hookimpl
    def tracegraph_lower_op(self, backend, node):
        return plugin.tracegraph_lower_op(backend='cupy', node=node) if backend == NAME else None

    @hookimpl
    def tracegraph_lower_scan(self, backend, node):
        return plugin.tracegraph_lower_scan(backend='cupy', node=node) if backend == NAME else None

    @hookimpl
    def tracegraph_lower_random(self, backend, node):
        return plugin.tracegraph_lower_random(backend='cupy', node=node) if backend == NAME else None


def register(workdir=None):
    """Register `cupy_on_host`; returns the plugin object (for `backends.unregister`)."""
    return backends.register(_Plugin(workdir), name='tracegraph-cupy-on-host')


def pytest_configure(config):
    register()
