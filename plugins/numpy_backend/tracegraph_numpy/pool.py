"""Pooling on the NumPy backend: the host kernels of `tracegraph.tensor.signal.pool_kernels`
(strided views of the padded image, one vectorized step per window offset)."""
from __future__ import annotations

import numpy as np

from tracegraph.tensor.signal.pool import PoolParams
from tracegraph.tensor.signal.pool_kernels import kernel_for

from .lowering import lowers


@lowers(PoolParams)
def _pool(node):
    op, run = node.op, kernel_for(node.op)

    def pool(*inputs):
        return run(op, *inputs, xp=np)
    pool.__name__ = type(op).__name__.lower()
    return pool
