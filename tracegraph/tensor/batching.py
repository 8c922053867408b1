"""Batching: run a graph for a whole batch of values of some inputs at once.

`vectorize(outputs, {u: U})` rebuilds `outputs` so that each variable computed from
`u` gets a leading batch axis: U holds B values of u stacked along axis 0.  One rule
per op class (the table below; IfElse's and Scan's rules sit next to those ops) says
how that op handles a batched input (a reduction shifts its axes by one, a dot of a
batch of rows is a matrix product, ...).  The graph does not grow with B.

Two users share the table: `jacobian` (the pullback batched over the rows of an
identity matrix: one graph, not one gradient per output element) and the scan
rewrites `scan_vectorize` and `scan_pushout_sequences` (a step's work over whole
sequences, the steps being the batch).

A rule is `rule(node, args, flags, size)`: `args` are the node's inputs with batched
ones replaced by their batched values, `flags` says which are batched, `size` is the
batch length (a symbolic scalar).  It returns the new output or outputs, or raises
NoBatchRule when it cannot batch this case.
"""
from __future__ import annotations

from dataclasses import replace

from ..ir.op_table import OpTable
from ..ir.traversal import toposort
from . import math as m
from .dot import Dot
from .elemwise import DimShuffle, Elemwise
from .reduce import ArgReduce, CAReduce
from .shape_ops import Alloc, CumOp, Join, MakeVector, Reshape, Shape
from .subtensor import IncSubtensor, Subtensor

BATCH_RULES = OpTable()
batch_rule = BATCH_RULES.register


class NoBatchRule(TypeError):
    """A node cannot be batched (jacobian then loops with scan; a scan rewrite declines)."""


def has_batch_rule(op):
    return BATCH_RULES.find(op) is not None


def batch_node(node, args, flags, size):
    """[(new output, whether it has the batch axis)] for each output of `node` computed
    over a batch (a rule may leave an output that ignores the batch as it is);
    NoBatchRule if the node cannot be batched."""
    new = _rule_for(node.op)(node, list(args), list(flags), size)
    new = new if isinstance(new, (list, tuple)) else [new]
    return [(out, out.ndim == old.ndim + 1) for old, out in zip(node.outputs, new)]


def vectorize(outputs, batched_inputs):
    """`outputs`, recomputed with a leading batch axis for every value of `batched_inputs`."""
    memo = {u: (batch, True) for u, batch in batched_inputs.items()}
    size = m.shape(next(iter(batched_inputs.values())))[0]
    for node in toposort(outputs, blockers=list(batched_inputs)):
        if not any(i in memo for i in node.inputs):
            continue
        args, flags = zip(*(memo.get(i, (i, False)) for i in node.inputs))
        if any(flags):
            memo.update(zip(node.outputs, batch_node(node, args, flags, size)))
        else:  # reads only unbatched replacements (shapes of batched values)
            made = node.op.make_node(*args).outputs
            memo.update((old, (out, False)) for old, out in zip(node.outputs, made))
    results = [memo.get(o, (o, False)) for o in outputs]
    return [v if batched else _tile(v, size) for v, batched in results]


def _rule_for(op):
    rule = BATCH_RULES.find(op)
    if rule is None:
        raise NoBatchRule(f'cannot batch {op}: no batching rule for {type(op).__name__} '
                          '(tracegraph/tensor/batching.py)')
    return rule


def _tile(v, size):
    """v repeated along a new leading batch axis (it does not depend on the batch)."""
    return m.alloc(v, size, *[m.shape(v)[i] for i in range(v.ndim)])


def batched_value(v, flag, size):
    """`v` with the batch axis: itself if batched (`flag`), else repeated `size` times."""
    return v if flag else _tile(v, size)


def _shift(axis):
    return axis if axis == 'x' else axis + 1


@batch_rule(Elemwise)
def _elemwise(node, args, flags, size):
    # Inputs of an Elemwise have equal rank, so an unbatched one just broadcasts.
    return node.op(*[a if f else m.shape_padleft(a) for a, f in zip(args, flags)])


@batch_rule(DimShuffle)
def _dimshuffle(node, args, flags, size):
    op = node.op
    return DimShuffle(op.input_ndim + 1, (0,) + tuple(_shift(a) for a in op.new_order))(args[0])


@batch_rule(CAReduce)
def _careduce(node, args, flags, size):
    op = node.op
    return CAReduce(op.reducer, tuple(a + 1 for a in op.axes), op.dtype)(args[0])


@batch_rule(ArgReduce, CumOp)
def _along_axis(node, args, flags, size):
    # An op along `axis`, or over the flattened value when axis is None.
    x = args[0]
    if node.op.axis is None:
        return replace(node.op, axis=1)(m.reshape(x, [size, -1]))
    return replace(node.op, axis=node.op.axis + 1)(x)


@batch_rule(Dot)
def _dot(node, args, flags, size):
    a, b = args
    if flags[0] and flags[1]:  # a pullback is linear in its seed: no product of two seeds
        raise NoBatchRule('cannot batch a dot of two batched values')
    # A batch of vectors times a matrix or vector is one plain dot: (B, k) @ (k[, n]) and
    # x @ (B, k).T; tensordot would reshape, which costs JIT backends compile time.
    if flags[0] and a.ndim == 2:
        return m.dot(a, b)
    if flags[1] and b.ndim == 2:
        return m.dot(b, a.T if a.ndim == 2 else a)
    if flags[0]:
        return m.tensordot(a, b, [[a.ndim - 1], [0]])
    # (B, k[, n]) with a ([m,] k): contract, then put m before n.
    out = m.tensordot(b, a, [[1], [a.ndim - 1]])
    if a.ndim == 2 and b.ndim == 3:
        out = m.dimshuffle(out, (0, 2, 1))
    return out


def _index_batch_axis(entries, inputs):
    """Where x[:, index]'s batch axis lands: 0, unless non-adjacent advanced indices move
    their broadcast axes to the front (NumPy's rule)."""
    if not any(e[0] == 'array' for e in entries):
        return 0
    at = [k for k, e in enumerate(entries) if e[0] in ('array', 'int')]
    if at == list(range(at[0], at[0] + len(at))):
        return 0
    arrays = iter(i for i in inputs)
    ndims = []
    for e in entries:
        n_in = 1 if e[0] == 'array' else sum(1 for p in e[1:] if p == '$')
        ins = [next(arrays) for _ in range(n_in)]
        if e[0] == 'array':
            ndims.append(1 if ins[0].dtype == 'bool' else ins[0].ndim)
    return max(ndims)


def _move_axis(v, source, dest):
    order = list(range(v.ndim))
    order.insert(dest, order.pop(source))
    return m.dimshuffle(v, order)


@batch_rule(Subtensor)
def _subtensor(node, args, flags, size):
    if any(flags[1:]):
        raise NoBatchRule('cannot batch an index that depends on the batched value')
    entries = (('slice', None, None, None),) + node.op.entries
    out = Subtensor(entries)(args[0], *args[1:])
    at = _index_batch_axis(node.op.entries, args[1:])
    return _move_axis(out, at, 0) if at else out


@batch_rule(IncSubtensor)
def _incsubtensor(node, args, flags, size):
    if any(flags[2:]):
        raise NoBatchRule('cannot batch an index that depends on the batched value')
    op, (x, y), idx = node.op, args[:2], args[2:]
    x = batched_value(x, flags[0], size)
    at = _index_batch_axis(op.entries, idx)
    if flags[1] or at:
        y = batched_value(y, flags[1], size)
        sel = Subtensor(op.entries)(node.inputs[0], *node.inputs[2:]).ndim
        y = m.dimshuffle(y, [0] + ['x'] * (sel - y.ndim + 1) + list(range(1, y.ndim)))
        y = _move_axis(y, 0, at) if at else y
    return IncSubtensor((('slice', None, None, None),) + op.entries, op.set_instead_of_inc)(x, y, *idx)


@batch_rule(Alloc)
def _alloc(node, args, flags, size):
    value, shape = args[0], args[1:]
    value = m.dimshuffle(value, [0] + ['x'] * (len(shape) - value.ndim + 1) + list(range(1, value.ndim)))
    return Alloc()(value, size, *shape)


@batch_rule(Reshape)
def _reshape(node, args, flags, size):
    x, shape = args
    return Reshape(node.op.ndim + 1)(x, m.concatenate([m.stack([size]), shape]))


@batch_rule(Join)
def _join(node, args, flags, size):
    return Join(node.op.axis + 1)(*[batched_value(a, f, size) for a, f in zip(args, flags)])


@batch_rule(MakeVector)
def _make_vector(node, args, flags, size):
    parts = [m.cast(batched_value(a, f, size), node.op.dtype) for a, f in zip(args, flags)]
    return m.concatenate([m.shape_padright(p) for p in parts], axis=1)


@batch_rule(Shape)
def _shape(node, args, flags, size):
    return m.shape(args[0])[1:]
