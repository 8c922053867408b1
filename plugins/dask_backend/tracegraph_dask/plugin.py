"""Hook implementations that register the Dask backend with tracegraph.

Dask is imported only when the backend is checked or used, never when tracegraph
loads its plugins.
"""
from __future__ import annotations

from tracegraph.backends import Backend
from tracegraph.hookspecs import hookimpl, lowering_hook

BACKEND = 'dask'


class DaskBackend(Backend):
    name = BACKEND
    description = ('a Dask graph per call: NumPy kernels on each chunk, Dask reductions, '
                   'threads or a distributed cluster')
    linker = 'tracegraph_dask.linker:link'
    # The NumPy backend's kernels run on each chunk: its table is this backend's.
    spellings = 'tracegraph.kernels.ufuncs:table'

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

    def native_input(self, ttype, value, allow_downcast, what):
        """Dask arrays are taken as inputs as they are (checked, not computed)."""
        from .inputs import accept_dask_array
        return accept_dask_array(ttype, value, allow_downcast, what)


@hookimpl
def tracegraph_backends():
    return [DaskBackend()]


tracegraph_lower_op = lowering_hook(BACKEND, 'tracegraph_dask.lowering:lower_node')
tracegraph_lower_scan = lowering_hook(BACKEND, 'tracegraph_dask.scan:lower_scan')
tracegraph_lower_random = lowering_hook(BACKEND, 'tracegraph_dask.random:lower_random')
