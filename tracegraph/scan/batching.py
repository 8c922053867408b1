"""The batching rule of Scan: one loop over a batch, instead of a loop per batch element.

`jacobian` (and so `hessian`) batches the pullback of a cost over the rows of an
identity matrix.  When that pullback holds a Scan (the backward loop of a scan's
gradient, or its own gradient when differentiating twice), this rule gives every
loop-carried value that depends on the batch a batch axis, and batches the loop's
step with the same rules (tensor/batching.py) that batch the outer graph.

Layout: a Scan iterates over axis 0 of its sequences and stacks its per-step
outputs along axis 0, so the batch axis sits second on the loop's side of the
node: sequences and state buffers go in as (steps, B, ...), per-step outputs come
out as (steps, B, ...) and are transposed back to (B, steps, ...).  Inside the
step, each batched row, state, final or non-sequence has the batch axis first.

A state or final the loop carries becomes batched when its initial value is, or
when its step reads anything batched; that is found by iterating to a fixpoint.
A loop whose `until` condition depends on the batch cannot be batched (each batch
element would stop at a different step): NoBatchRule, and jacobian loops instead.
"""
from __future__ import annotations

from ..ir import FunctionGraph, ancestors
from ..tensor import math as m
from ..tensor.batching import NoBatchRule, batch_rule, batched_value, vectorize
from ..tensor.type import TensorType
from .op import Scan


@batch_rule(Scan)
def _scan(node, args, flags, size):
    op = node.op
    if flags[0]:
        raise NoBatchRule(f'jacobian/hessian cannot batch {op}: its number of steps depends '
                          'on the batched value')
    carried = _batched_carried(op, flags)
    inner, out_batched = _batched_step(op, flags, carried)
    outer = _outer_inputs(op, args, flags, carried, size)
    outer = _fit_static_shapes(op, inner, outer)
    new_outputs = op.with_changes(inner=inner).make_node(*outer).outputs
    return [_swap_first_axes(v) if (k < op.n_states + op.n_nit and b) else v
            for k, (v, b) in enumerate(zip(new_outputs, out_batched))]


# -- which values get a batch axis ----------------------------------------------------------
def _groups(op):
    """For each inner input, ('seq', j), ('state', i), ('final', m) or ('non', k)."""
    kinds = [('seq', j) for j in range(op.n_seqs)]
    kinds += [('state', i) for i, taps in enumerate(op.state_taps) for _ in taps]
    kinds += [('final', k) for k in range(op.n_finals)]
    kinds += [('non', k) for k in range(op.n_non_seqs)]
    return kinds


def _outer_flag(op, flags, kind, index):
    """Whether the outer input of this kind and index is batched."""
    o_seq, o_init, o_fin, o_non = op.outer_slices()
    start = {'seq': o_seq, 'state': o_init, 'final': o_fin, 'non': o_non}[kind].start
    return flags[start + index]


def _batched_carried(op, flags):
    """The set of ('state', i) and ('final', m) that carry a batch axis: batched initial
    values, and values whose step reads a batched value (iterated until nothing changes)."""
    kinds = _groups(op)
    carried = {('state', i) for i in range(op.n_states) if _outer_flag(op, flags, 'state', i)}
    carried |= {('final', k) for k in range(op.n_finals) if _outer_flag(op, flags, 'final', k)}
    first_final = op.n_states + op.n_nit
    owners = [('state', i) for i in range(op.n_states)] + \
        [('final', k) for k in range(op.n_finals)]
    owner_outputs = list(range(op.n_states)) + [first_final + k for k in range(op.n_finals)]
    while True:
        batched_in = _batched_inner_inputs(op, flags, carried, kinds)
        more = {owner for owner, k in zip(owners, owner_outputs)
                if owner not in carried and _reads(op.inner.outputs[k], batched_in, op)}
        if not more:
            return carried
        carried |= more


def _batched_inner_inputs(op, flags, carried, kinds=None):
    kinds = kinds or _groups(op)
    return {v for v, (kind, k) in zip(op.inner.inputs, kinds)
            if (kind, k) in carried or (kind in ('seq', 'non') and _outer_flag(op, flags, kind, k))}


def _reads(output, batched_in, op):
    """Whether the step's `output` depends on a batched inner input."""
    return bool(batched_in & set(ancestors([output], blockers=op.inner.inputs)))


# -- the batched step --------------------------------------------------------------------------
def _batched_step(op, flags, carried):
    """(inner FunctionGraph with batch-first placeholders, which inner outputs are batched)."""
    inner = op.inner
    batched_in = _batched_inner_inputs(op, flags, carried)
    new_inputs = [_with_batch_axis(v) if v in batched_in else v for v in inner.inputs]
    n_carried_outputs = op.n_states + op.n_nit
    out_batched = []
    for k, out in enumerate(inner.outputs):
        if k < op.n_states:
            out_batched.append(('state', k) in carried)
        elif k < n_carried_outputs:
            out_batched.append(_reads(out, batched_in, op))
        elif k < n_carried_outputs + op.n_finals:
            out_batched.append(('final', k - n_carried_outputs) in carried)
        else:  # the until condition
            if _reads(out, batched_in, op):
                raise NoBatchRule(f'jacobian/hessian cannot batch {op}: its until condition '
                                  'depends on the batched value')
            out_batched.append(False)
    to_batch = [out for out, b in zip(inner.outputs, out_batched) if b]
    try:
        made = iter(vectorize(to_batch, {v: new for v, new in zip(inner.inputs, new_inputs)
                                          if v in batched_in}))
    except TypeError as err:  # an inner op the rules cannot batch: jacobian loops instead
        raise NoBatchRule(f'jacobian/hessian cannot batch the step of {op}: {err}') from err
    new_outputs = [next(made) if b else out for out, b in zip(inner.outputs, out_batched)]
    return FunctionGraph(new_inputs, new_outputs), out_batched


def _with_batch_axis(v):
    if not isinstance(v.type, TensorType):
        raise NoBatchRule(f'jacobian/hessian cannot batch the loop value {v} of type {v.type}')
    placeholder = TensorType(v.type.dtype, (None,) + v.type.shape)()
    placeholder.name = v.name
    return placeholder


# -- the outer side: batch axis second for what the loop walks along -------------------------
def _outer_inputs(op, args, flags, carried, size):
    o_seq, o_init, o_fin, o_non = op.outer_slices()
    outer = [args[0]]
    for j in range(op.n_seqs):
        a, f = args[o_seq.start + j], flags[o_seq.start + j]
        outer.append(_swap_first_axes(a) if f else a)
    for i in range(op.n_states):
        a, f = args[o_init.start + i], flags[o_init.start + i]
        outer.append(_swap_first_axes(batched_value(a, f, size)) if ('state', i) in carried else a)
    for k in range(op.n_finals):
        a, f = args[o_fin.start + k], flags[o_fin.start + k]
        outer.append(batched_value(a, f, size) if ('final', k) in carried else a)
    outer += args[o_non]
    return outer


def _fit_static_shapes(op, inner, outer):
    """Batched finals and non-sequences lose static lengths of 1 (a tile's or a batching
    rule's shape is symbolic) that the step's placeholders keep, for broadcasting: give
    them back."""
    _, _, i_fin, i_non = op.inner_slices()
    _, _, o_fin, o_non = op.outer_slices()
    fitted = list(outer)
    for i_slice, o_slice in ((i_fin, o_fin), (i_non, o_non)):
        for placeholder, at in zip(inner.inputs[i_slice], range(o_slice.start, o_slice.stop)):
            want, value = placeholder.type, fitted[at]
            if isinstance(want, TensorType) and not want.is_super(value.type):
                fitted[at] = _with_unit_axes(value, want.shape)
    return fitted


def _with_unit_axes(value, shape):
    """`value` with a static length 1 on each axis where `shape` has one: take row 0 of
    that axis, then put it back as a broadcastable axis."""
    ones = [a for a, (want, got) in enumerate(zip(shape, value.type.shape))
            if want == 1 and got != 1]
    rows = value[tuple(0 if a in ones else slice(None) for a in range(value.ndim))]
    order, kept = [], iter(range(rows.ndim))
    for a in range(value.ndim):
        order.append('x' if a in ones else next(kept))
    return m.dimshuffle(rows, order)


def _swap_first_axes(v):
    """(B, steps, ...) <-> (steps, B, ...)."""
    return m.dimshuffle(v, (1, 0) + tuple(range(2, v.ndim)))

