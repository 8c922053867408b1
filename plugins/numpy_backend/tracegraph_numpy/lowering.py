"""How the NumPy backend runs each structural op: a registry from op class to a
function that returns, for one node, either a Python callable over NumPy arrays
or an `Inline` expression template that the code generator writes in place."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracegraph.backends import LoweringTable
from tracegraph.ifelse import IfElse
from tracegraph.kernels.elemwise import elemwise_kernel
from tracegraph.tensor.dot import Dot
from tracegraph.tensor.elemwise import DimShuffle, Elemwise
from tracegraph.tensor.reduce import ArgReduce, CAReduce
from tracegraph.tensor.shape_ops import (Alloc, ARange, CumOp, Eye, Join, MakeVector,
                                        Reshape, Shape)
from tracegraph.tensor.subtensor import IncSubtensor, Subtensor, format_index, index_tuple


@dataclass(frozen=True)
class Inline:
    """A Python expression with `{0}`, `{1}`... standing for the node's inputs."""

    template: str
    globals: tuple = ()  # (name, object) pairs the expression refers to


def _perform_kernel(node):
    """A Theano-style op that brings its own `perform(node, inputs, output_storage)`."""
    n_out = len(node.outputs)

    def perform(*inputs):
        storage = [[None] for _ in range(n_out)]
        node.op.perform(node, list(inputs), storage)
        results = tuple(np.asarray(s[0]) if not hasattr(s[0], 'dtype') else s[0] for s in storage)
        return results[0] if n_out == 1 else results
    perform.__name__ = f'perform_{type(node.op).__name__}'
    return perform


LOWERINGS = LoweringTable(perform=_perform_kernel)
lowers = LOWERINGS.register
lower_node = LOWERINGS.lower


@lowers(Elemwise)
def _elemwise(node):
    # Backend-neutral (the Dask backend runs it on chunks too): tracegraph.kernels.
    op = node.op
    return elemwise_kernel(op.scalar_op, [i.dtype for i in node.inputs], node.outputs[0].dtype,
                           inplace=op.inplace[0][1] if op.inplace else None)


@lowers(DimShuffle)
def _dimshuffle(node):
    op = node.op
    kept = [a for a in op.new_order if a != 'x']
    drop = op.drop
    # After dropping, renumber the kept axes.
    remaining = [a for a in range(op.input_ndim) if a not in drop]
    perm = tuple(remaining.index(a) for a in kept)
    expand = tuple(i for i, a in enumerate(op.new_order) if a == 'x')
    expr = '{0}'
    if drop:
        expr = f'{expr}.reshape({_shape_without(drop, op.input_ndim)})'
    if perm != tuple(range(len(perm))):
        expr = f'{expr}.transpose({perm})'
    if expand:
        expr = f'expand_dims({expr}, {expand})'
    return Inline(expr, (('expand_dims', np.expand_dims),))


def _shape_without(drop, ndim):
    parts = [f'{{0}}.shape[{a}]' for a in range(ndim) if a not in drop]
    return '(' + ', '.join(parts) + (',)' if len(parts) == 1 else ')')


_REDUCE = {'add': np.sum, 'mul': np.prod, 'maximum': np.max, 'minimum': np.min,
           'and_': np.all, 'or_': np.any}


@lowers(CAReduce)
def _careduce(node):
    op = node.op
    fn = _REDUCE[op.reducer]
    axes = op.axes
    dtype = np.dtype(op.dtype)
    if op.reducer in ('add', 'mul'):
        return Inline(f'{fn.__name__}({{0}}, axis={axes}, dtype={dtype.name})',
                      ((fn.__name__, fn), (dtype.name, dtype)))
    return Inline(f'{fn.__name__}({{0}}, axis={axes})', ((fn.__name__, fn),))


@lowers(ArgReduce)
def _argreduce(node):
    fn = np.argmax if node.op.kind == 'argmax' else np.argmin
    return Inline(f'{fn.__name__}({{0}}, axis={node.op.axis})', ((fn.__name__, fn),))


@lowers(Dot)
def _dot(node):
    return Inline('dot({0}, {1})', (('dot', np.dot),))


def _index_expr(entries, first_input):
    names = ['{%d}' % (first_input + k) for k in range(99)]
    text = format_index(entries, names)
    if len(entries) == 1 and entries[0][0] in ('array',):
        return text
    return text + (',' if len(entries) == 1 and entries[0][0] != 'int' else '')


@lowers(Subtensor)
def _subtensor(node):
    return Inline('{0}[%s]' % _index_expr(node.op.entries, 1))


@lowers(IncSubtensor)
def _incsubtensor(node):
    op = node.op
    advanced = any(e[0] == 'array' for e in op.entries)
    entries, set_ = op.entries, op.set_instead_of_inc
    copy = not op.inplace

    def inc_subtensor(x, y, *args):
        out = x.copy() if copy else x
        idx = index_tuple(entries, args)
        if set_:
            out[idx] = y
        elif advanced:
            np.add.at(out, idx, y)
        else:
            out[idx] += y
        return out
    return inc_subtensor


@lowers(Shape)
def _shape(node):
    return Inline('array({0}.shape, dtype=int64)', (('array', np.array), ('int64', np.int64)))


@lowers(MakeVector)
def _make_vector(node):
    dtype = np.dtype(node.op.dtype)
    args = ', '.join('{%d}' % k for k in range(len(node.inputs)))
    return Inline(f'array([{args}], dtype={dtype.name})', (('array', np.array), (dtype.name, dtype)))


@lowers(Reshape)
def _reshape(node):
    return Inline('{0}.reshape({1})')


@lowers(Alloc)
def _alloc(node):
    dtype = np.dtype(node.outputs[0].dtype)

    def alloc(value, *shape):
        out = np.empty(tuple(int(s) for s in shape), dtype=dtype)
        out[...] = value
        return out
    return alloc


@lowers(Join)
def _join(node):
    args = ', '.join('{%d}' % k for k in range(len(node.inputs)))
    return Inline(f'concatenate(({args},), axis={node.op.axis})', (('concatenate', np.concatenate),))


@lowers(Eye)
def _eye(node):
    dtype = np.dtype(node.op.dtype)
    return Inline(f'eye({{0}}, {{1}}, {{2}}, dtype={dtype.name})', (('eye', np.eye), (dtype.name, dtype)))


@lowers(ARange)
def _arange(node):
    dtype = np.dtype(node.op.dtype)
    return Inline(f'arange({{0}}, {{1}}, {{2}}, dtype={dtype.name})', (('arange', np.arange), (dtype.name, dtype)))


@lowers(CumOp)
def _cumop(node):
    fn = np.cumsum if node.op.mode == 'add' else np.cumprod
    dtype = np.dtype(node.outputs[0].dtype)
    return Inline(f'{fn.__name__}({{0}}, axis={node.op.axis}, dtype={dtype.name})',
                  ((fn.__name__, fn), (dtype.name, dtype)))


@lowers(IfElse)
def _ifelse(node):
    # The linker moves the nodes each branch alone needs inside the `if` (lazy evaluation);
    # this kernel only picks the values.
    n = node.op.n_outs

    def ifelse(cond, *values):
        chosen = values[:n] if cond else values[n:]
        return chosen[0] if n == 1 else tuple(chosen)
    return ifelse


from . import pool as _pool_lowerings  # noqa: E402,F401  (registers the pooling ops)
from .linalg import LinalgOp as _LinalgOp, lower_linalg as _lower_linalg  # noqa: E402
lowers(_LinalgOp)(_lower_linalg)  # the linear-algebra family (linalg.py)
from . import conv as _conv_lowerings  # noqa: E402,F401  (registers the convolution ops)
