"""Pooling on the CuPy backend: the array-module-generic kernels of
`tracegraph.tensor.signal.pool_kernels` with `xp=cupy`.

Each step of those kernels is one elementwise device kernel over a strided view of
the padded image (a maximum, a sum, a masked add per window offset), so the image
never leaves the device and no custom CUDA source is needed.  Each pooling node is
`Call('runtime.pool', node=...)`; with `xp=numpy` (`cupy_on_host`) the same code runs
on the host, which is how the tests check this lowering without a GPU.
"""
from __future__ import annotations

from tracegraph.tensor.signal.pool import PoolParams
from tracegraph.tensor.signal.pool_kernels import kernel_for

from .lowering import Call, lowers


@lowers(PoolParams)
def _pool(node):
    return Call('runtime.pool', (('node', node),))


def run(xp, *inputs, node):
    """One pooling node's value on the device `xp`."""
    return kernel_for(node.op)(node.op, *inputs, xp=xp)
