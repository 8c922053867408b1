"""Hook implementations that register the Dask backend with tracegraph.

Dask is imported only when the backend is checked or used, never when tracegraph
loads its plugins.
"""
from __future__ import annotations

from tracegraph.backends import Backend
from tracegraph.hookspecs import backend_hookimpl, hookimpl

BACKEND = 'dask'


class DaskBackend(Backend):
    name = BACKEND
    description = ('a Dask graph per call: NumPy kernels on each chunk, Dask reductions, '
                   'threads or a distributed cluster')

    def scalar_spellings(self):
        """The NumPy backend's kernels run on each chunk: its table is this backend's."""
        from tracegraph_numpy.scalar_kernels import table
        return table()

    @property
    def version(self):
        try:
            import dask
        except ImportError:
            return ''
        return dask.__version__

    def unavailable_reason(self):
        try:
            import dask.array  # noqa: F401
        except ImportError as exc:
            return f'dask[array] is not installed ({exc}); pip install "dask[array]"'
        return None

    def link(self, fgraph, options):
        from . import linker
        return linker.link(fgraph, options)

    def native_input(self, ttype, value, allow_downcast, what):
        """Dask arrays are taken as inputs as they are (checked, not computed)."""
        from .inputs import accept_dask_array
        return accept_dask_array(ttype, value, allow_downcast, what)


@hookimpl
def tracegraph_backends():
    return [DaskBackend()]


@backend_hookimpl(BACKEND)
def tracegraph_lower_op(backend, node):
    from .lowering import lower_node
    return lower_node(node)


@backend_hookimpl(BACKEND)
def tracegraph_lower_scan(backend, node):
    from .scan import lower_scan
    return lower_scan(node)


@backend_hookimpl(BACKEND)
def tracegraph_lower_random(backend, node):
    from .random import lower_random
    return lower_random(node)
