"""Convolutions on the NumPy backend: the im2col kernels of
`tracegraph.tensor.nnet.conv_kernels` (one strided copy of the windows, then one
BLAS matrix product per group), bound to NumPy."""
from __future__ import annotations

import numpy as np

from tracegraph.tensor.nnet.abstract_conv import BaseAbstractConv
from tracegraph.tensor.nnet.conv_kernels import kernel_for

from .lowering import lowers


@lowers(BaseAbstractConv)
def _conv(node):
    run, kwargs = kernel_for(node.op)

    def conv(*inputs):
        return run(*inputs, xp=np, **kwargs)
    conv.__name__ = type(node.op).__name__.lower()
    return conv
