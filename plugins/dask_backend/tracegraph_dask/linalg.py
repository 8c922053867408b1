"""The Dask backend's linear algebra: one task per block of the batch.

A linalg op reads whole matrices, so each input is rechunked to hold its matrix
axes in one chunk, its leading (batch) axes keep their chunks, and each block of
the batch becomes one task running the NumPy backend's kernel (numpy.linalg /
scipy.linalg).  Output sizes are known before anything runs: the op's own shape
rule (`core_shapes`) gives them from the inputs' shapes.  lstsq, whose residuals
have a data-dependent length, runs on computed inputs where the function was called.
"""
from __future__ import annotations

import dask
import dask.array as da
import numpy as np

from .chunkwise import as_dask, computed, numpy_kernel


def lower_linalg(node, options):
    kernel = numpy_kernel(node)
    op = node.op
    cores = op.core_ndims(node.inputs)
    dtypes = [np.dtype(o.dtype) for o in node.outputs]
    n_out = len(node.outputs)

    def linalg(*values):
        arrays = [as_dask(v) for v in values]
        core_in = [a.shape[a.ndim - c:] for a, c in zip(arrays, cores)]
        core_out = op.core_shapes(*core_in)
        if any(n is None for shape in core_out for n in shape):
            return kernel(*computed(values))
        batch = np.broadcast_shapes(*(a.shape[:a.ndim - c] for a, c in zip(arrays, cores)))
        arrays = [da.broadcast_to(a, batch + core) for a, core in zip(arrays, core_in)]
        batch_chunks = arrays[0].chunks[:len(batch)]
        arrays = [a.rechunk(batch_chunks + tuple((n,) for n in core)) for a, core in zip(arrays, core_in)]
        grid = {}
        for idx in np.ndindex(*(len(c) for c in batch_chunks)):
            blocks = [a.blocks[idx + (0,) * len(core)] for a, core in zip(arrays, core_in)]
            task = dask.delayed(kernel, pure=True, nout=n_out if n_out > 1 else None)(*blocks)
            parts = task if n_out > 1 else (task,)
            shape = tuple(c[i] for c, i in zip(batch_chunks, idx))
            grid[idx] = [da.from_delayed(p, shape=shape + tuple(core), dtype=dt)
                         for p, core, dt in zip(parts, core_out, dtypes)]
        outs = [_assemble(grid, k, (), len(batch), [len(c) for c in batch_chunks])
                for k in range(n_out)]
        return outs[0] if n_out == 1 else tuple(outs)
    linalg.__name__ = f'linalg_{op.name}'
    return linalg


def _assemble(grid, k, prefix, ndim, counts):
    """Output k of the blocks under `prefix`, concatenated along the batch axes."""
    if len(prefix) == ndim:
        return grid[prefix][k]
    return da.concatenate([_assemble(grid, k, prefix + (i,), ndim, counts)
                           for i in range(counts[len(prefix)])], axis=len(prefix))
