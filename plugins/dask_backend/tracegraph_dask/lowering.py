"""How the Dask backend runs each structural op: a registry from op class to a rule.

A rule gets the node and the function's options and returns the callable that the
generated code calls with the node's input values, which are Dask arrays or small
NumPy values (scalars, shapes, shared parameters).  Elementwise work, fused or not,
is one `blockwise` call running the NumPy backend's kernel on each chunk; the rest
maps onto Dask's own reductions, products, slicing and array builders.  When every
input of a node is a NumPy value the NumPy backend's kernel runs directly instead
(`eager`), except for ops that make arrays (alloc, arange, eye), which stay chunked.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import dask
import dask.array as da
import numpy as np

from tracegraph.backends import LoweringTable
from tracegraph.compiler.program import op_hint
from tracegraph.ifelse import IfElse
from tracegraph.tensor.dot import Dot
from tracegraph.tensor.elemwise import DimShuffle, Elemwise
from tracegraph.tensor.reduce import ArgReduce, CAReduce
from tracegraph.tensor.shape_ops import (Alloc, ARange, CumOp, Eye, Join, MakeVector,
                                        Reshape, Shape)
from tracegraph.tensor.index_check import check_assignment, node_label, selection_shape
from tracegraph.tensor.subtensor import IncSubtensor, Subtensor

from .chunkwise import (as_dask, blockwise, computed, concrete, described, is_lazy,
                        known_shape, numpy_kernel, single_task)
from .indexing import index_values, take
from .options import chunk_shape
from .shape_checks import check_alloc_shape, check_join_shapes

@dataclass(frozen=True)
class Lowering:
    """The Dask backend's answer for one node (what `tracegraph_lower_op` returns)."""

    node: object
    rule: Callable          # rule(node, options) -> callable over the input values
    eager: bool = True      # all-NumPy inputs may run the NumPy backend's kernel

    def kernel(self, options):
        lazy = self.rule(self.node, options)
        if not self.eager:
            return lazy
        eager = numpy_kernel(self.node)

        def either(*values):
            if any(is_lazy(v) for v in values):
                return lazy(*values)
            return eager(*values)
        either.__name__ = lazy.__name__
        return either


LOWERINGS = LoweringTable(perform=lambda node: Lowering(node, _whole_array_perform, eager=True))
lower_node = LOWERINGS.lower


def lowers(*op_classes, eager=True):
    """Register `rule(node, options)` for `op_classes`; `eager` as in `Lowering`."""
    def register(rule):
        LOWERINGS.add(op_classes, lambda node: Lowering(node, rule, eager))
        return rule
    return register


def _named(fn, name):
    fn.__name__ = name
    return fn


# -- elementwise ------------------------------------------------------------------
@lowers(Elemwise)
def _elemwise(node, options):
    kernel = described(numpy_kernel(node), node)
    ndim = node.outputs[0].ndim
    dtypes = [o.dtype for o in node.outputs]
    token = op_hint(node)

    def elemwise(*values):
        outs = blockwise(kernel, ndim, dtypes, values, token)
        return outs[0] if len(outs) == 1 else outs
    return _named(elemwise, token)


@lowers(DimShuffle)
def _dimshuffle(node, options):
    op = node.op
    drop = op.drop
    remaining = [a for a in range(op.input_ndim) if a not in drop]
    perm = tuple(remaining.index(a) for a in op.new_order if a != 'x')
    expand = tuple(None if a == 'x' else slice(None) for a in op.new_order)

    def dimshuffle(x):
        if drop:
            x = x.squeeze(axis=drop)
        if perm != tuple(range(len(perm))):
            x = x.transpose(perm)
        return x[expand] if 'x' in op.new_order else x
    return dimshuffle


# -- reductions and products --------------------------------------------------------
_REDUCE = {'add': da.sum, 'mul': da.prod, 'maximum': da.max, 'minimum': da.min,
           'and_': da.all, 'or_': da.any}


@lowers(CAReduce)
def _careduce(node, options):
    op = node.op
    fn = _REDUCE[op.reducer]
    extra = {'dtype': op.dtype} if op.reducer in ('add', 'mul') else {}

    def reduce(x):
        return fn(x, axis=op.axes, **extra)  # Dask's tree reduction
    return _named(reduce, fn.__name__)


@lowers(ArgReduce)
def _argreduce(node, options):
    fn = da.argmax if node.op.kind == 'argmax' else da.argmin

    def argreduce(x):
        return fn(x, axis=node.op.axis)
    return _named(argreduce, node.op.kind)


@lowers(CumOp)
def _cumop(node, options):
    fn = da.cumsum if node.op.mode == 'add' else da.cumprod
    axis, dtype = node.op.axis, node.outputs[0].dtype

    def cumulate(x):
        if axis is None:
            return fn(reshaped(x, (-1,)), axis=0, dtype=dtype)
        return fn(x, axis=axis, dtype=dtype)
    return _named(cumulate, fn.__name__)


@lowers(Dot)
def _dot(node, options):
    dtype = node.outputs[0].dtype

    def dot(a, b):
        out = da.dot(as_dask(a), as_dask(b))
        return out if out.dtype == dtype else out.astype(dtype)
    return dot


# -- indexing -----------------------------------------------------------------------
@lowers(Subtensor)
def _subtensor(node, options):
    entries, label = node.op.entries, node_label(node)

    def subtensor(x, *parts):
        # Dask takes an out-of-bounds index silently: check the concrete index first.
        x = known_shape(as_dask(x))
        index = index_values(entries, [concrete(p) for p in parts])
        selection = selection_shape(x.shape, index, label)
        if 0 in selection:  # no values to take (and Dask's vindex divides by zero)
            return as_dask(np.empty(selection, x.dtype))
        return take(x, _masks_as_positions(index))
    return subtensor


def _masks_as_positions(index):
    """A mask of 2+ dimensions as its nonzero positions (NumPy's definition of it):
    Dask's own multi-dimensional masking gets empty arrays' shapes wrong."""
    out = []
    for item in index:
        if getattr(item, 'dtype', None) == bool and item.ndim > 1:
            out.extend(np.nonzero(item))
        else:
            out.append(item)
    return tuple(out)


@lowers(IncSubtensor)
def _incsubtensor(node, options):
    op = node.op
    basic = all(e[0] in ('int', 'slice') for e in op.entries)
    whole = numpy_kernel(node)
    label = node_label(node)

    def inc_subtensor(x, y, *parts):
        x = known_shape(as_dask(x))
        parts = [concrete(p) for p in parts]
        y = known_shape(y)
        # Every check before the graph is built: Dask would fail (or not) at compute time.
        selection = check_assignment(x.shape, index_values(op.entries, parts), np.shape(y),
                                     label, op.set_instead_of_inc)
        if not basic:
            # Advanced increments accumulate at repeated indices (numpy.add.at), which
            # Dask's item assignment cannot express: one task over the whole array.
            return single_task(whole, [x, y, *parts], x.shape, x.dtype, chunks=x.chunks)
        if 0 in selection:
            return x    # nothing to write (Dask's assignment refuses empty values)
        index, y = _positive_steps(index_values(op.entries, parts), x.shape, y)
        out = x.copy()
        out[index] = y if op.set_instead_of_inc else x[index] + y
        return out
    return inc_subtensor


def _positive_steps(index, shape, y):
    """A basic index with every negative-step slice as the same elements in increasing
    order, and y reversed along the matching axes: Dask's item assignment through a
    negative step writes the values in the wrong order."""
    out, flips, axis, sel_axis = [], [], 0, 0
    for item in index:
        if isinstance(item, slice):
            r = range(*item.indices(shape[axis]))
            if item.step is not None and item.step < 0 and len(r):
                item = slice(r[-1], r[0] + 1, -item.step)
                flips.append(sel_axis)
            sel_axis += 1
        axis += item is not None
        out.append(item)
    sel_ndim = sel_axis + len(shape) - axis
    for a in flips:
        k = a - (sel_ndim - np.ndim(y))
        if k >= 0 and np.shape(y)[k] > 1:
            y = y[(slice(None),) * k + (slice(None, None, -1),)]
    return tuple(out), y


# -- shapes and array builders --------------------------------------------------------
@lowers(Shape)
def _shape(node, options):
    def shape(x):
        return np.array(known_shape(x).shape, dtype=np.int64)
    return shape


@lowers(MakeVector)
def _make_vector(node, options):
    dtype = node.op.dtype

    def make_vector(*scalars):
        return da.stack([as_dask(s) for s in scalars]).astype(dtype)
    return make_vector


@lowers(Reshape)
def _reshape(node, options):
    label = node_label(node)

    def reshape(x, shape):
        return reshaped(as_dask(x), tuple(int(s) for s in concrete(shape)), label)
    return reshape


def _check_reshape(size, shape, label):
    """NumPy's ValueError for a shape that cannot hold `size` elements (Dask divides
    by the known axes' product and raises ZeroDivisionError for a 0 among them)."""
    unknown = sum(1 for n in shape if n == -1)
    known = math.prod(n for n in shape if n != -1)
    if unknown > 1:
        message = 'can only specify one unknown dimension'
    elif any(n < -1 for n in shape):
        message = f'negative dimensions not allowed in shape {shape}'
    elif (known != size) if not unknown else (known == 0 or size % known):
        message = f'cannot reshape array of size {size} into shape {shape}'
    else:
        return
    raise ValueError(f'{label}: {message}' if label else message)


def reshaped(x, shape, label=''):
    """x.reshape(shape) for any chunking."""
    x = known_shape(x)
    _check_reshape(int(x.size), shape, label)
    if x.size == 0:  # nothing to cut, and Dask's rule stumbles on empty axes
        return as_dask(np.empty(x.shape, x.dtype).reshape(shape))
    try:
        return x.reshape(shape)
    except NotImplementedError:
        # Dask reshapes chunk by chunk only when axes merge or split evenly; any
        # reshape is a merge into one axis followed by a split of it.
        return x.reshape(-1).reshape(shape)


@lowers(Join)
def _join(node, options):
    axis = node.op.axis

    def join(*tensors):
        check_join_shapes(node, tensors)
        return da.concatenate([as_dask(t) for t in tensors], axis=axis)
    return join


@lowers(Alloc, eager=False)
def _alloc(node, options):
    dtype = node.outputs[0].dtype

    def alloc(value, *shape):
        shape = tuple(int(concrete(s)) for s in shape)
        check_alloc_shape(node, shape)
        if not shape:
            return np.array(concrete(value), dtype=dtype)
        out = da.broadcast_to(as_dask(value), shape)
        return out.rechunk(chunk_shape(shape, options.chunks))
    return alloc


@lowers(ARange, eager=False)
def _arange(node, options):
    dtype = node.op.dtype

    def arange(start, stop, step):
        start, stop, step = (concrete(v).item() for v in (start, stop, step))
        length = max(0, math.ceil((stop - start) / step))
        return da.arange(start, stop, step, dtype=dtype,
                         chunks=_one_axis(chunk_shape((length,), options.chunks)))
    return arange


@lowers(Eye, eager=False)
def _eye(node, options):
    dtype = node.op.dtype

    def eye(n, m, k):
        n, m, k = (int(concrete(v)) for v in (n, m, k))
        return da.eye(n, M=m, k=k, dtype=dtype,
                      chunks=_one_axis(chunk_shape((max(n, m, 1),), options.chunks)))
    return eye


def _one_axis(chunks):
    return chunks[0] if isinstance(chunks, tuple) else chunks


# -- control and whole-array ops ------------------------------------------------------
@lowers(IfElse, eager=False)
def _ifelse(node, options):
    n = node.op.n_outs

    def ifelse(cond, *values):
        # Only the chosen branch's arrays are ever computed: Dask computes what the
        # outputs depend on.  The condition itself is needed now, as a number.
        chosen = values[:n] if bool(concrete(cond)) else values[n:]
        return chosen[0] if n == 1 else tuple(chosen)
    return ifelse


def _whole_array_perform(node, options):
    """A Theano-style op with its own `perform` sees whole NumPy arrays: its inputs
    are computed first and it runs where the function was called."""
    kernel = numpy_kernel(node)

    def perform(*values):
        return kernel(*computed(values))
    return _named(perform, f'perform_{type(node.op).__name__}')


from . import pool as _pool_lowerings  # noqa: E402,F401  (registers the pooling ops)
from tracegraph.tensor.linalg import LinalgOp as _LinalgOp  # noqa: E402
from .linalg import lower_linalg as _lower_linalg  # noqa: E402  (the linear-algebra family)
lowers(_LinalgOp)(_lower_linalg)
from . import conv as _conv_lowerings  # noqa: E402,F401  (registers the convolution ops)
