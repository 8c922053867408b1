"""Convolutions on the Numba backend: an explicit `numba.objmode` call of the im2col
kernels in `tracegraph.tensor.nnet.conv_kernels`, bound to NumPy.

Chosen on purpose, not as a fallback: a convolution's time is one BLAS matrix
product per group plus one strided copy of the windows (im2col), and both are
already at memory/BLAS speed from NumPy; the objmode crossing costs a few
microseconds per call (bench/conv.py measures both backends side by side).  Each
node is decided here when the graph is compiled; nothing switches at run time.

Measured against the alternative, an `@njit` im2col loop feeding Numba's `np.dot`
(the bench's forward shape, float32, same run): 457 ms for this route, 673 ms for
the compiled loop, whose single-threaded gather is slower than NumPy's strided copy.
"""
from __future__ import annotations

import numpy as np

from tracegraph.tensor.nnet.abstract_conv import BaseAbstractConv
from tracegraph.tensor.nnet.conv_kernels import kernel_for

from .callbacks import as_declared, as_returned, node_of, objmode_call

PREAMBLE = 'from tracegraph_numba.conv import call_conv  # noqa: F401\n'


def call_conv(key, *args):
    """Run one convolution node's kernel in Python (called from objmode).  Errors name
    the op and the user's line: the objmode boundary hides the generated line."""
    node = node_of(key)
    run, kwargs = kernel_for(node.op)
    try:
        out = run(*as_declared(node.inputs, args), xp=np, **kwargs)
    except ValueError as exc:
        where = f' (built at {node.source})' if node.source else ''
        raise ValueError(f'{exc}{where}') from None
    return as_returned(node.outputs[0], out),


def register_lowerings(lowers):
    lowers(BaseAbstractConv)(lambda node: objmode_call(node, 'call_conv', PREAMBLE))
