"""An Elemwise node as a function over NumPy arrays (the NumPy backend's lowering, and
what the Dask backend runs on each chunk).

A plain scalar op is one kernel call over whole arrays.  A Composite (or one
expensive scalar op, or one that overwrites an input) gets two paths: the plain
one, a generated straight-line function with one kernel call per step over whole
arrays, for small arrays; and the blocked one (`blocked.BlockedKernel`) once an
input has THRESHOLD elements, or at any size for a chain of LONG_CHAIN steps.
"""
from __future__ import annotations

import math

import numpy as np

from tracegraph.compiler.source import exec_with_source
from tracegraph.tensor.scalar import Composite, expensive

from .blocked import BlockedKernel
from .ufuncs import cached_kernel, scalar_kernel


# From this many steps the blocked loop wins at any size: the plain path allocates an
# array a step, the loop writes into scratch (CPU per call, float64, 100 / 1,000
# elements: 300 steps plain 97 / 298 µs, blocks 96 / 220; 3,000 steps 1.1 / 8.7 ms
# against 0.86 / 2.2; float32 alike).  Measured with the chain x = tanh(x * 1.01 + 0.1).
LONG_CHAIN = 300


def elemwise_kernel(scalar_op, in_dtypes, out_dtype, inplace=None):
    """`scalar_op` over arrays of `in_dtypes`; `inplace`: the input its result overwrites."""
    if not isinstance(scalar_op, Composite) and not expensive(scalar_op) and inplace is None:
        return scalar_kernel(scalar_op, in_dtypes, out_dtype)
    # A single compute-bound op (its record's group) is worth a blocked, threaded pass.
    composite = as_composite(scalar_op, in_dtypes, out_dtype)
    if len(composite.steps) >= LONG_CHAIN and (inplace is None or composite.nout == 1):
        return BlockedKernel(composite, inplace)
    plain = composite_kernel(composite)
    if inplace is not None and composite.nout > 1:
        return plain  # the plain path writes several outputs to new arrays
    return _by_size(plain, BlockedKernel(composite, inplace))


def as_composite(scalar_op, in_dtypes, out_dtype):
    """`scalar_op` as a Composite (of one step, unless it is one)."""
    if isinstance(scalar_op, Composite):
        return scalar_op
    n = len(in_dtypes)
    return Composite(tuple(in_dtypes), ((scalar_op, tuple(range(n)), out_dtype),), (n,))


def composite_kernel(composite):
    """Evaluate a Composite step by step over whole arrays (the plain path), as one
    generated straight-line Python function: a line per step, no interpreter loop."""
    dtypes = list(composite.in_dtypes)
    env, lines = {}, []
    names = [f'i{k}' for k in range(composite.nin)]
    for k, (op, args, dtype) in enumerate(composite.steps):
        env[f'k{k}'] = cached_kernel(op, [dtypes[a] for a in args], dtype)
        dtypes.append(dtype)
        lines.append(f'    t{k} = k{k}({", ".join(names[a] for a in args)})')
        names.append(f't{k}')
    if len(lines) == 1 and composite.outputs == (composite.nin,):
        return env['k0']
    results = ', '.join(names[o] for o in composite.outputs)
    source = (f'def composite({", ".join(names[:composite.nin])}):\n' + '\n'.join(lines)
              + f'\n    return {results}{"," if len(composite.outputs) > 1 else ""}\n')
    exec_with_source(source, f'numpy composite {composite}', env)
    return env['composite']


def _by_size(plain, blocked):
    """The function generated code calls: the plain path until an input array has
    `blocked.threshold` elements (`f.source` shows both as `k_fused.plain/.blocked`)."""
    threshold, target, ndarray = blocked.threshold, blocked.inplace, np.ndarray
    if threshold == math.inf and target is None:
        return plain    # a lone ufunc never blocks (blocked.py): no size to look at

    def fused(*inputs):
        for a in inputs:
            if a.__class__ is ndarray and a.size >= threshold:
                return blocked(*inputs)
        if target is None:
            return plain(*inputs)
        return _into(inputs[target], plain(*inputs))
    return fused


def _into(target, result):
    """`result` copied into the input it may overwrite, where it fits (in place)."""
    if isinstance(target, np.ndarray) and target.shape == np.shape(result) and target.flags.writeable:
        np.copyto(target, result)
        return target
    return result
