"""Building blocks the Dask lowerings share: one NumPy kernel mapped over every
chunk (`blockwise`), a whole-array NumPy kernel run as one task (`single_task`),
and the conversions between NumPy values and Dask arrays."""
from __future__ import annotations

import dataclasses
import math
import operator
import uuid

import dask
import dask.array as da
import numpy as np

from tracegraph import backends
from tracegraph.ir import Apply
from tracegraph_numpy.lowering import Inline


def is_lazy(value):
    return isinstance(value, da.Array)


def as_dask(value):
    """A Dask array for `value`; a NumPy value becomes one chunk (it is small: inputs
    were chunked on entry, so only shared parameters and shapes are NumPy here)."""
    if is_lazy(value):
        return value
    value = np.asarray(value)
    return da.from_array(value, chunks=value.shape or (), name=False)


def concrete(value):
    """A NumPy value for `value`, computing it if it is lazy (used for the few
    arguments Dask needs as numbers: slice bounds, shapes, the branch of an ifelse)."""
    return np.asarray(value.compute()) if is_lazy(value) else value


def computed(values):
    """`values` with every lazy one computed, in one pass (others are left alone)."""
    values = list(values)
    lazy = [k for k, v in enumerate(values) if is_lazy(v)]
    for k, value in zip(lazy, dask.compute(*(values[k] for k in lazy))):
        values[k] = value
    return values


def known_shape(x):
    """x with every chunk length known (boolean indexing leaves them unknown)."""
    if is_lazy(x) and any(math.isnan(n) for n in x.shape):
        return x.compute_chunk_sizes()
    return x


def numpy_kernel(node):
    """The NumPy backend's lowering of `node` as a callable, always out of place (Dask
    chunks may be views of the caller's arrays, so nothing may be written into them)."""
    lowering = backends.lower('numpy', _out_of_place(node))
    if isinstance(lowering, Inline):
        names = [f'a{k}' for k in range(len(node.inputs))]
        source = f'lambda {", ".join(names)}: {lowering.template.format(*names)}'
        return eval(source, dict(lowering.globals))  # noqa: S307 - our own template
    return lowering


def _out_of_place(node):
    inplace = getattr(node.op, 'inplace', None)
    if not inplace:
        return node
    op = dataclasses.replace(node.op, inplace=type(inplace)())
    return Apply(op, node.inputs, [o.clone() for o in node.outputs], source=node.source)


def described(kernel, node):
    """`kernel` whose errors say which op and which user line they come from (chunk
    tasks run inside Dask, far from the generated line that built them)."""
    where = f' (built at {node.source})' if node.source else ''
    note = f'while running {node.op} on one Dask chunk{where}'

    def chunk_kernel(*blocks):
        try:
            return kernel(*blocks)
        except Exception as exc:
            exc.add_note(note)
            raise
    chunk_kernel.__name__ = getattr(kernel, '__name__', 'kernel')
    return chunk_kernel


def blockwise(kernel, ndim, dtypes, values, token):
    """One task per output chunk running `kernel` on the matching input chunks (Dask
    lines up and broadcasts the chunks).  Returns one Dask array per dtype."""
    index = tuple(range(ndim))
    pairs = []
    for value in values:
        if is_lazy(value):
            pairs += [value, index]
        elif all(n == 1 for n in np.shape(value)):
            pairs += [value, None]  # a scalar or all-ones array: given whole to every task
        else:
            pairs += [as_dask(value), index]
    # Fresh names: Dask would otherwise hash (pickle) the kernel on every call.
    name = f'{token}-{uuid.uuid4().hex}'
    if len(dtypes) == 1:
        return (da.blockwise(kernel, index, *pairs, dtype=dtypes[0], name=name,
                             meta=np.empty((0,) * ndim, dtypes[0])),)
    tuples = da.blockwise(kernel, index, *pairs, dtype=object, name=name,
                          meta=np.empty((0,) * ndim, object))
    return tuple(da.blockwise(operator.getitem, index, tuples, index, k, None, dtype=dtype,
                              name=f'{name}-{k}', meta=np.empty((0,) * ndim, dtype))
                 for k, dtype in enumerate(dtypes))


def single_task(kernel, values, shape, dtype, chunks=None):
    """`kernel` on whole arrays in one task (for ops that cannot be cut into chunks),
    lazily; the result is cut back into `chunks` when given."""
    result = da.from_delayed(dask.delayed(kernel, pure=False)(*values), shape=shape, dtype=dtype)
    return result.rechunk(chunks) if chunks is not None else result
