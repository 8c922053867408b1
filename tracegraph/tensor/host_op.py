"""HostOp: an op defined by a NumPy function of its inputs.

Sorting, searching and counting ops (sort.py, extra_ops.py) have data-dependent
output sizes or need NumPy's own algorithms.  Each one states its NumPy meaning once,
as `compute(*arrays)`; `perform` (Theano's hook) calls it, so every backend runs the op
through its `perform` path (Numba through objmode, Dask on whole arrays, CuPy on host
copies) until the backend registers a native lowering (the Numba backend compiles
searchsorted and nonzero: see tracegraph_numba/extra_ops.py).
"""
from __future__ import annotations

import numpy as np

from ..ir import Op


class HostOp(Op):
    """Subclasses are frozen dataclasses that define `make_node` and `compute`."""

    def compute(self, *arrays):
        raise NotImplementedError

    def perform(self, node, inputs, output_storage):
        results = self.compute(*inputs)
        if len(node.outputs) == 1:
            results = (results,)
        for store, value, out in zip(output_storage, results, node.outputs):
            store[0] = np.asarray(value, dtype=out.dtype)
