"""One CUDA elementwise kernel per Elemwise node, plain or fused (Composite).

The kernel is described as data, `ElementwiseSpec`, in the terms of
`cupy.ElementwiseKernel(in_params, out_params, operation, name, preamble)`:
inputs are `in0, in1, ...`, outputs `out0, ...`, and the operation is
straight-line C++, one `const` local per scalar step:

    const float v1 = exp(in0);
    const float v2 = (v1 + in1);
    out0 = v2;

CuPy broadcasts the inputs and runs the operation once per element.  The same
text compiles with g++ through `cuda_host.h` (see `hostcc.py`), which is how CI
proves it without a GPU.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

import numpy as np

from tracegraph.tensor.scalar import Composite

from .cxx_scalar import c_type, expression

PREAMBLE_FILES = [os.path.join(os.path.dirname(__file__), name) for name in ('tg_scalar.cuh', 'tg_philox.cuh')]
# NVRTC contracts a*b+c into one fused multiply-add unless told not to; NumPy never
# does, and fused rounding would make the GPU disagree with the reference backend.
NVRTC_OPTIONS = ('--fmad=false',)


def preamble():
    """The device helpers every generated kernel may call (scalar ops, Philox)."""
    texts = []
    for path in PREAMBLE_FILES:
        with open(path) as f:
            texts.append(f.read())
    return '\n'.join(texts)


@dataclass(frozen=True)
class ElementwiseSpec:
    """The arguments of one `cupy.ElementwiseKernel`, plus the dtypes they mean."""

    name: str
    in_dtypes: tuple
    out_dtypes: tuple
    operation: str

    @property
    def in_params(self):
        return ', '.join(f'{np.dtype(d).name} in{k}' for k, d in enumerate(self.in_dtypes))

    @property
    def out_params(self):
        return ', '.join(f'{np.dtype(d).name} out{k}' for k, d in enumerate(self.out_dtypes))


def elementwise_spec(scalar_op, in_dtypes, out_dtypes):
    """The kernel computing `scalar_op` (a ScalarOp or Composite) on `in_dtypes`."""
    in_dtypes = tuple(np.dtype(d).name for d in in_dtypes)
    out_dtypes = tuple(np.dtype(d).name for d in out_dtypes)
    if isinstance(scalar_op, Composite):
        steps, outputs = scalar_op.steps, scalar_op.outputs
    else:
        steps, outputs = ((scalar_op, tuple(range(len(in_dtypes))), out_dtypes[0]),), (len(in_dtypes),)
    names = [f'in{k}' for k in range(len(in_dtypes))]
    dtypes = list(in_dtypes)
    lines = []
    for op, args, dtype in steps:
        text, _ = expression(op, [names[a] for a in args], [dtypes[a] for a in args])
        name = f'v{len(names)}'
        dtype = np.dtype(dtype).name
        lines.append(f'const {c_type(dtype)} {name} = ({c_type(dtype)})({text});')
        names.append(name)
        dtypes.append(dtype)
    for k, (value, dtype) in enumerate(zip(outputs, out_dtypes)):
        lines.append(f'out{k} = ({c_type(dtype)})({names[value]});')
    return ElementwiseSpec(_kernel_name(steps), in_dtypes, out_dtypes, '\n'.join(lines))


def _kernel_name(steps):
    ops = [str(op.name if op.name != 'cast' else f'as_{op.dtype}') for op, _, _ in steps]
    name = 'tg_' + '_'.join(ops[:6]) + ('_etc' if len(ops) > 6 else '')
    return re.sub(r'[^0-9a-zA-Z_]', '_', name)
