"""The reference evaluator: what an op computes, in NumPy, inside the core.

Constant folding computes here a node whose inputs are all constants, so the core
folds with no backend plugin installed.  Elementwise math uses the scalar ops'
NumPy table (ufuncs.py, the NumPy backend's table too), so a folded value is the
one the NumPy backend computes.  Each structural op has one NumPy line below;
convolution and pooling use their core kernels (conv_kernels.py, pool_kernels.py);
ops that bring a Theano-style `perform` (HostOp: sort, unique, ...; users' ops)
run it.  `evaluate` answers None for an op none of these covers (folding then
leaves it to the backend, at run time).
"""
from __future__ import annotations

import numpy as np

from ..ir import OpTable
from ..tensor.dot import Dot
from ..tensor.elemwise import DimShuffle, Elemwise
from ..tensor.nnet.abstract_conv import BaseAbstractConv
from ..tensor.nnet.conv_kernels import kernel_for as conv_kernel_for
from ..tensor.reduce import ArgReduce, CAReduce
from ..tensor.scalar import Composite
from ..tensor.shape_ops import Alloc, ARange, CumOp, Eye, Join, MakeVector, Reshape, Shape
from ..tensor.signal.pool import PoolParams
from ..tensor.signal.pool_kernels import kernel_for as pool_kernel_for
from ..tensor.subtensor import IncSubtensor, Subtensor, index_tuple
from .ufuncs import cached_kernel

REFERENCE = OpTable()
reference = REFERENCE.register


def evaluate(node, values):
    """The output values (a list of arrays) of `node` for its input `values`, or None
    when the reference covers no class of its op."""
    rule = REFERENCE.find(node.op)
    if rule is not None:
        results = rule(node, *values)
        results = list(results) if isinstance(results, (list, tuple)) else [results]
    elif getattr(node.op, 'perform', None) is not None:
        storage = [[None] for _ in node.outputs]
        node.op.perform(node, list(values), storage)
        results = [s[0] for s in storage]
    else:
        return None
    return [np.asarray(r) for r in results]


@reference(Elemwise)
def _elemwise(node, *values):
    op = node.op.scalar_op
    in_dtypes = [i.dtype for i in node.inputs]
    if not isinstance(op, Composite):
        return cached_kernel(op, in_dtypes, node.outputs[0].dtype)(*values)
    computed, dtypes = list(values), list(in_dtypes)
    for step, args, dtype in op.steps:
        kernel = cached_kernel(step, [dtypes[a] for a in args], dtype)
        computed.append(kernel(*(computed[a] for a in args)))
        dtypes.append(dtype)
    return [computed[k] for k in op.outputs]


@reference(DimShuffle)
def _dimshuffle(node, x):
    op = node.op
    kept = [a for a in op.new_order if a != 'x']
    squeezed = np.squeeze(x, axis=op.drop) if op.drop else x
    remaining = [a for a in range(op.input_ndim) if a not in op.drop]
    moved = np.transpose(squeezed, [remaining.index(a) for a in kept])
    return np.expand_dims(moved, tuple(i for i, a in enumerate(op.new_order) if a == 'x'))


_REDUCERS = {'add': np.sum, 'mul': np.prod, 'maximum': np.max, 'minimum': np.min,
             'and_': np.all, 'or_': np.any}


@reference(CAReduce)
def _careduce(node, x):
    op = node.op
    if op.reducer in ('add', 'mul'):
        return _REDUCERS[op.reducer](x, axis=op.axes, dtype=op.dtype)
    return _REDUCERS[op.reducer](x, axis=op.axes)


@reference(ArgReduce)
def _argreduce(node, x):
    return (np.argmax if node.op.kind == 'argmax' else np.argmin)(x, axis=node.op.axis)


@reference(Dot)
def _dot(node, a, b):
    return np.dot(a, b)


@reference(Subtensor)
def _subtensor(node, x, *index_values):
    return x[index_tuple(node.op.entries, index_values)]


@reference(IncSubtensor)
def _incsubtensor(node, x, y, *index_values):
    op, out = node.op, np.array(x, copy=True)
    index = index_tuple(op.entries, index_values)
    if op.set_instead_of_inc:
        out[index] = y
    else:  # repeated indices accumulate
        np.add.at(out, index, y)
    return out


@reference(Shape)
def _shape(node, x):
    return np.array(np.shape(x), dtype=np.int64)


@reference(MakeVector)
def _make_vector(node, *parts):
    return np.array(parts, dtype=node.op.dtype)


@reference(Reshape)
def _reshape(node, x, shape):
    return np.reshape(x, tuple(shape))


@reference(Alloc)
def _alloc(node, value, *shape):
    out = np.empty(tuple(int(s) for s in shape), dtype=node.outputs[0].dtype)
    out[...] = value
    return out


@reference(Join)
def _join(node, *parts):
    return np.concatenate(parts, axis=node.op.axis)


@reference(Eye)
def _eye(node, n, m, k):
    return np.eye(n, m, k, dtype=node.op.dtype)


@reference(ARange)
def _arange(node, start, stop, step):
    return np.arange(start, stop, step, dtype=node.op.dtype)


@reference(CumOp)
def _cumop(node, x):
    fn = np.cumsum if node.op.mode == 'add' else np.cumprod
    return fn(x, axis=node.op.axis, dtype=node.outputs[0].dtype)


@reference(BaseAbstractConv)
def _conv(node, *values):
    run, kwargs = conv_kernel_for(node.op)
    return run(*values, xp=np, **kwargs)


@reference(PoolParams)
def _pool(node, *values):
    return pool_kernel_for(node.op)(node.op, *values, xp=np)
