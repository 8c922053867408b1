"""Pooling on the Dask backend: split over the leading (batch, channel) axes.

Windows never cross a leading axis, so each chunk of the leading axes is pooled
alone by the NumPy backend's kernel, with the pooled axes kept whole (rechunked to
one chunk if they were split: a window may straddle a chunk boundary there, and a
halo exchange would cost more than the rechunk for images of these sizes).
"""
from __future__ import annotations

import uuid

import dask.array as da
import numpy as np

from tracegraph.tensor.signal.pool import DownsampleFactorMaxGradGrad, Pool, PoolParams

from .chunkwise import as_dask, described, known_shape, numpy_kernel
from .lowering import lowers


def _whole_pooled_axes(x, lead, nd):
    return x.rechunk(lead + tuple((n,) for n in x.shape[-nd:]))


@lowers(PoolParams)
def _pool(node, options):
    op = node.op
    nd = op.ndim
    kernel = described(numpy_kernel(node), node)
    dtype = node.outputs[0].dtype
    name = type(op).__name__.lower()
    pooled_output = isinstance(op, (Pool, DownsampleFactorMaxGradGrad))

    def pool(*values):
        arrays = [known_shape(as_dask(v)) for v in values]
        lead = arrays[0].chunks[:-nd]
        arrays = [_whole_pooled_axes(a, lead, nd) for a in arrays]
        spatial = arrays[0].shape[-nd:]
        out = op.out_shape_of(tuple(spatial))[-nd:] if pooled_output else spatial
        return da.map_blocks(kernel, *arrays, chunks=lead + tuple((n,) for n in out), dtype=dtype,
                             meta=np.empty((0,) * node.outputs[0].ndim, dtype),
                             name=f'{name}-{uuid.uuid4().hex}')
    pool.__name__ = name
    return pool
