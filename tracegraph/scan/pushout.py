"""`scan_pushout_sequences`: work that reads only sequences runs once, over whole arrays.

In an RNN step `tanh(dot(x_t, W) + dot(h_prev, U))`, `dot(x_t, W)` depends on the
sequence row and a non-sequence only, so every step's value is known before the
loop starts: `dot(X[:n], W)` computes all of them as one matrix product (one
BLAS gemm instead of n gemv calls, and one Python-level op instead of n on the
NumPy backend).  The pushed-out value becomes a new sequence of the loop.

Only subgraphs the batching rules (tensor/batching.py) cover are moved, and only
when they hold real work (not just a view of the row).  Loops that may stop
early (`until`) or whose step count the user gave are left alone: the moved
work would run for steps the loop never reaches, or over rows that may be missing.
So are checkpointed loops and the segment loops of their gradient, forward and
backward: the moved value would hold a row per step (the backward's rerun of every
segment at once), the memory that `checkpoint=` is there to save.
"""
from __future__ import annotations

from ..ir import Constant, FunctionGraph
from ..ir.rewrite_table import register
from ..tensor.elemwise import DimShuffle
from ..tensor.subtensor import IN, Subtensor
from ..tensor.batching import NoBatchRule, batch_node, has_batch_rule
from .op import Scan

VIEWS = (DimShuffle, Subtensor)


def _batched_values(op, node):
    """Batch every inner node that reads only sequences, non-sequences and constants.

    Returns (batched: inner variable -> outer whole-sequence value, heavy: the
    inner variables whose subgraph does more than take views).
    """
    inner = op.inner
    i_seqs = inner.inputs[op.inner_slices()[0]]
    i_non = inner.inputs[op.inner_slices()[3]]
    n_steps = node.inputs[0]
    first_rows = Subtensor((('slice', None, IN, None),))
    outer = dict(zip(i_non, node.inputs[op.outer_slices()[3]]))
    batched = {ph: first_rows(seq, n_steps) for ph, seq in zip(i_seqs, node.inputs[op.outer_slices()[0]])}
    heavy = set()
    for inner_node in inner.toposort():
        ins = inner_node.inputs
        if not has_batch_rule(inner_node.op) or not any(i in batched for i in ins) or \
                not all(i in batched or i in outer or isinstance(i, Constant) for i in ins):
            continue
        try:
            made = batch_node(inner_node, [batched.get(i, outer.get(i, i)) for i in ins],
                              [i in batched for i in ins], n_steps)
        except NoBatchRule:
            continue
        batched.update((old, new) for old, (new, has_axis) in zip(inner_node.outputs, made) if has_axis)
        if not isinstance(inner_node.op, VIEWS) or any(i in heavy for i in ins):
            heavy.update(o for o in inner_node.outputs if o in batched)
    return batched, heavy


def _roots(op, batched, heavy):
    """Heavy batched values that something staying in the loop (or an output) reads."""
    roots = []
    for v in heavy:
        readers = op.inner.clients.get(v, ())
        if any(c == 'output' or not set(c.outputs) <= set(batched) for c, _ in readers):
            roots.append(v)
    return sorted(roots, key=lambda v: v.auto_name)


@register('scan_pushout_sequences', phase='canonicalize', tracks=(Scan,))
def scan_pushout_sequences(fgraph, node):
    op = node.op
    if op.n_seqs == 0 or op.as_while or op.steps_from_user or op.checkpoint is not None:
        return None
    batched, heavy = _batched_values(op, node)
    roots = _roots(op, batched, heavy)
    if not roots:
        return None
    placeholders = [v.type() for v in roots]
    for ph, v in zip(placeholders, roots):
        ph.name = v.name
    inputs = op.inner.inputs
    inner = FunctionGraph(inputs[:op.n_seqs] + placeholders + inputs[op.n_seqs:], op.inner.outputs,
                          replace=dict(zip(roots, placeholders)))
    new_op = op.with_changes(inner=inner, n_seqs=op.n_seqs + len(roots))
    seqs_end = op.outer_slices()[0].stop
    new_node = new_op.make_node(node.inputs[0], *node.inputs[1:seqs_end], *(batched[v] for v in roots),
                                *node.inputs[seqs_end:])
    return {old: new for old, new in zip(node.outputs, new_node.outputs) if fgraph.clients.get(old)}
