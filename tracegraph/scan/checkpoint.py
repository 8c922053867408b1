"""Gradient checkpointing for scan: `scan(..., checkpoint=K)`.

Backpropagation through time reads every step of every state, so a long loop's
gradient holds its whole history (an RNN with a 4,096-wide state over 10,000 steps:
330 MB of float64).  With `checkpoint=K` the gradient runs the m steps it reaches as

    segments:  an outer loop over (m - r) / K segments; each of its steps runs the step
               function K times (an inner loop keeping no history) from the window of
               each state (its last L rows: what the next step reads), and records the
               window it started from (the checkpoints);
    last:      the last r steps (1 <= r <= K), as a plain loop;

and builds its backward pass itself (not as the gradient of that graph, whose generic
form holds rows of zeros and copies of every segment): the last steps first (their
forward history is at hand), then an outer loop over the segments from last to first
that carries the cotangents of the windows and the sums of the non-sequences' gradients
(as finals: one value each); each of its steps reruns one segment from its checkpoint
(full history) and runs grad.py's backward loop over those K steps from the carried
values.  Memory: m/K windows, one segment's history, its per-step gradient rows (the
factors of a weight's outer products, summed by one matrix product per segment), the
weights' sums.  Time: one more forward pass.

`checkpoint='auto'` takes K = ceil(sqrt(m)) when the loop runs.

`checkpoint='nested'` uses two levels, with b = ceil(cbrt(m)) when the loop runs:
segments of b*b steps, and each segment's backward is the same scheme again, with
sub-blocks of b steps (the segment rerun keeping every b-th window, then each sub-block
rerun with its history and backpropagated); the last steps are rerun like a segment.
Memory: m/b^2 checkpoints, b sub-block windows, one sub-block's history and gradient
rows (b each): about 4 cbrt(m) rows (for m = 10,000: 20 + 21 + 23 + 22), plus the weights'
running sums (a few of each weight's size alive at once: one per loop level, the
sub-block's product and its new sum).  Time: two more forward passes, and many small
loops and matrix products (bench/scan_checkpoint.py, IndRNN 4,096 x 10,000 on a quiet
machine: NumPy backend 239 states against 378 for 'auto', Numba 166 against 339, each
faster than the unchecked loop, whose history is 1.6 GB).  Each
segment's head (1..b steps) comes first and is backpropagated last, so the sums carried
in go straight into the sub-block loop.  The long loops advancing a segment, and the
sub-blocks' reruns, are marked so that no work moves out of them (pushout.py): the
moved value would hold a row per step of a segment, or cost a small matrix product.

The user's loop is unchanged (one flat loop).  When the gradient's segmented loop is
in the same graph and every reader of the user's loop takes only last rows that the
final window holds (`h[-1]`), `scan_checkpoint_forward` reads them from there: the
forward runs once, and the flat loop (with its full history) is gone.

`truncate_gradient=k`: the first n - k steps run as a plain loop keeping only its
window, with no gradient through it; the last k steps are checkpointed as above.
Shared variables the loop updates (random streams): the recomputation would need
their value at each segment, which is not kept, so a gradient whose recomputed
steps read one raises an error naming the loop (draw outside, pass a sequence).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..autodiff.reverse import ZERO, backprop, is_differentiable
from ..ir import FunctionGraph, ancestors
from ..ir.rewrite_table import register
from ..tensor import math as m
from ..tensor.basic import constant
from ..tensor.compositions import patternbroadcast
from ..tensor.shape_ops import Alloc
from ..tensor.subtensor import IN, IncSubtensor, Subtensor
from ..tensor.type import TensorType
from ..tensor.view_ops import GradOverride
from .basic import scan
from .grad import (GRADIENT_OF_MARK, ScanGradientError, _Backward, _check_finals, _none,
                   _steps_run, _where)
from .marks import Checkpoint, Segments
from .op import Scan
from .rewrites import _needed, _rows_read

# -- what the gradient recomputes ------------------------------------------------------
@dataclass(frozen=True)
class _Plan:
    op: Scan      # the user's loop
    step: Scan    # its step reduced to what the gradient reruns: no finals, no until
    states: tuple  # the user's states `step` keeps, in its order
    nits: tuple    # the user's nit outputs it keeps (the differentiable ones)


def _plan(op, outputs=()):
    diff = {k for k in range(op.n_states + op.n_nit) if is_differentiable(op.inner.outputs[k])}
    kept, _ = _needed(op, diff, condition=False)
    base = op.n_states + op.n_nit
    read = sorted(k - base for k in kept if k >= base)
    if read:
        node = outputs[0].owner if outputs else None
        finals = node.inputs[op.outer_slices()[2]] if node else op.inner.inputs[op.inner_slices()[2]]
        names = ', '.join(str(finals[k]) for k in read)
        raise ScanGradientError(
            f'{_where(op, outputs)}: {op.checkpoint} reruns the steps of each segment in the '
            f'backward pass, but they read {names}, which the loop updates (e.g. a random draw '
            'inside fn); its value at each segment is not kept, so the rerun could not draw the '
            'same numbers. Draw them outside scan and pass them as a sequence.')
    states = tuple(i for i in range(op.n_states) if i in kept)
    nits = tuple(j for j in range(op.n_nit) if op.n_states + j in kept)
    return _Plan(op, _step_op(op, states, nits), states, nits)


def _step_op(op, states, nits):
    inner = op.inner.inputs
    i_seq, i_tap, _, i_non = op.inner_slices()
    first = [i_tap.start + sum(len(t) for t in op.state_taps[:i]) for i in range(op.n_states)]
    taps = [inner[first[i] + q] for i in states for q in range(len(op.state_taps[i]))]
    outs = [op.inner.outputs[i] for i in states] + [op.inner.outputs[op.n_states + j] for j in nits]
    return Scan(FunctionGraph(inner[i_seq] + taps + inner[i_non], outs), n_seqs=op.n_seqs,
                state_taps=tuple(op.state_taps[i] for i in states), n_nit=len(nits), n_finals=0,
                n_non_seqs=op.n_non_seqs, name=op.name)


# -- the forward pass over segments -----------------------------------------------------
def _int(value):
    return constant(np.asarray(value, dtype='int64'))


def _every(every, steps):
    """(K, the sub-block length of the segments' backward or None) for `checkpoint=every`:
    an int K, or 'auto' (K = ceil(sqrt(steps))), is one level: a segment backpropagated
    from one rerun keeping its history.  'nested' is two: segments of b*b steps, each
    rerun in the backward pass recording every b-th window, then backpropagated b steps
    at a time (b = ceil(cbrt(steps))), so that no history longer than b rows is held:
    about 4 cbrt(steps) rows in all, for two more forward passes."""
    if every not in ('auto', 'nested'):
        return _int(every), None
    n = m.cast(steps, 'float64')
    root = m.sqrt(n) if every == 'auto' else m.pow(n, constant(np.asarray(1 / 3)))
    root = m.maximum(m.cast(m.ceil(root), 'int64'), _int(1))
    return (root, None) if every == 'auto' else (root * root, root)


def _window(window, history, length):
    """The last `length` rows of the initial rows followed by the rows a loop wrote."""
    return m.concatenate([window, history], axis=0)[-length:]


def _advance(plan, steps, rows, windows, non_seqs, long=True):
    """The windows after `steps` steps of the loop from `windows`, keeping no history.
    A `long` one is marked, so that no work moves out of it (scan_pushout_sequences):
    the moved value would hold a row per step of the whole run."""
    step = plan.step
    keep = step.windows + (1,) * step.n_nit
    loop = step.with_changes(keep=keep)
    if long:
        loop = loop.with_changes(checkpoint=Segments(plan.op.checkpoint.loop, part='advance'))
    outs = _outputs(loop(steps, *rows, *windows, *non_seqs))
    return [_window(w, h, L) for w, h, L in zip(windows, outs, step.windows)]


def _last(start, history):
    """The last row of a loop's history, or `start` after no step."""
    return m.concatenate([m.shape_padleft(start), history[-1:]], axis=0)[-1]


def _segmented_loop(plan, inputs, n):
    """The user's loop as the gradient runs it: the steps before its truncated gradient
    (if any) with no gradient through them, then segments."""
    op = plan.op
    seqs, inits, _, non_seqs = (inputs[s] for s in op.outer_slices())
    windows = [inits[i][:op.windows[i]] for i in plan.states]
    n0 = _int(0) if op.truncate_gradient < 0 else m.maximum(n - op.truncate_gradient, _int(0))
    if op.truncate_gradient >= 0:
        ends = _advance(plan, n0, [s[:n0] for s in seqs], windows, non_seqs)
        ran = m.gt(n0, 0)
        windows = [m.switch(ran, _disconnected(end), w) for w, end in zip(windows, ends)]
    every, inner = _every(op.checkpoint.every, n - n0)
    loop = _Segmented(plan, [s[n0:n] for s in seqs], windows, non_seqs, n - n0, every, inner)
    loop.n, loop.n0 = n, n0
    return loop


class _Segmented:
    """`steps` steps of `plan`'s loop from `windows` over the rows `seqs`, as an outer
    segment loop (K steps a step) that records the window each segment starts from, then
    a loop over the last 1..K steps.  Those are kept whole when the segments are
    backpropagated from one rerun (`inner` None: the backward pass starts with them, so
    nothing else waits for them), else only their final window (they are rerun too).
    The gradient of `windows` flows from where the segments start.  `exact`: `steps` is
    a multiple of `every`, and there are segments only (no last part)."""

    def __init__(self, plan, seqs, windows, non_seqs, steps, every, inner=None, exact=False):
        step = plan.step
        self.plan, self.windows, self.non_seqs, self.inner = plan, windows, non_seqs, inner
        # Neither the last part (1..K steps) nor the segment loop runs zero steps unless
        # the loop runs fewer than two: a loop of no step cannot know the row shapes of its
        # per-step values, which its gradient would read (K > steps - 1 acts as steps - 1).
        if not exact:
            every = m.minimum(every, m.maximum(steps - 1, _int(1)))
        self.every = every
        self.n_full = steps // every if exact else m.maximum((steps - 1) // every, _int(0))
        self.at = at = self.n_full * every
        self.blocks = [_blocks(s[:at], self.n_full, every) for s in seqs]
        # The segments of a two-level loop are long (b*b steps); those of one level, or
        # the sub-blocks of a segment, are short enough to take sequence work out of them.
        segments = _segment_loop(plan, long=inner is not None)
        self.node = segments.make_node(self.n_full, *self.blocks, *[m.shape_padleft(w) for w in windows],
                                       every, *non_seqs)
        self.last_start = [_last(w, h) for w, h in zip(windows, self.node.outputs)]
        if exact:
            self.last = None
            return
        self.last_steps = steps - at
        self.last_rows_in = [s[at:steps] for s in seqs]
        last = step.with_changes(checkpoint=Segments(plan.op.checkpoint.loop, part='last'))
        if inner is not None:
            last = last.with_changes(keep=step.windows + (1,) * step.n_nit)
        self.last = _outputs(last(self.last_steps, *self.last_rows_in, *self.last_start, *non_seqs))

    def final_window(self, k):
        """The final window of the user's state k, and its last min(n, L) rows."""
        pos = self.plan.states.index(k)
        window = final_window(self.last[pos].owner, pos)
        return window, last_rows(window, self.n, self.plan.step.windows[pos])

    def dense_rows(self, seeds):
        """`seeds` (per output of the step: None, or a seed per step run) as (blocks, last rows)."""
        blocks = [None if g is None else _blocks(g[:self.at], self.n_full, self.every) for g in seeds]
        return blocks, [None if g is None else g[self.at:] for g in seeds]


def _disconnected(x):
    """x, with no gradient through it (Theano's disconnected_grad)."""
    return GradOverride(x.ndim, 'disconnected')(x)


def final_window(node, pos):
    """The window of state `pos` after the loop over the last steps, `node`."""
    start, length = node.inputs[node.op.outer_slices()[1]][pos], node.op.windows[pos]
    # Its own copy of L rows: a view of the history that the backward pass concatenates
    # would keep all of it alive until the loop's value is read.
    return _window(start, node.outputs[pos][-length:], length)


def last_rows(window, n, length):
    """The last min(n, length) rows of a final window (the rows the loop wrote)."""
    return window[length - m.minimum(n, length):]


def _outputs(result):
    return result if isinstance(result, list) else [result]


def _blocks(seq, count, every):
    return m.reshape(seq, [count, every] + [m.shape(seq)[d] for d in range(1, seq.ndim)])


def _segment_loop(plan, long):
    """The outer Scan op of the forward pass: one segment of `plan.step` per step, its
    windows fed back; its per-step output is the window each segment starts from."""
    step = plan.step
    i_seq, i_tap, _, i_non = step.inner_slices()
    taps = step.inner.inputs[i_tap]
    first = [taps[sum(len(t) for t in step.state_taps[:i])] for i in range(step.n_states)]
    blocks = [TensorType(v.type.dtype, (None, None) + v.type.shape)() for v in step.inner.inputs[i_seq]]
    windows = [TensorType(v.type.dtype, (None,) + v.type.shape)() for v in first]
    every, n = TensorType('int64', ())(), TensorType('int64', ())()
    non = [v.type() for v in step.inner.inputs[i_non]]
    n_b, n_w = len(blocks), len(windows)

    def segment(*args):
        starts = list(args[n_b:n_b + n_w])
        ends = _advance(plan, args[n_b + n_w], args[:n_b], starts, args[n_b + n_w + 1:], long)
        # Copies: a per-step output that is a carried input itself would be written after
        # the carried value moved on (the NumPy and Numba loops record the new window).
        return ends + [m.tensor_copy(w) for w in starts]

    results, _ = scan(segment, sequences=blocks, outputs_info=windows + [None] * n_w,
                      non_sequences=[every] + non, n_steps=n, return_list=True,
                      name=f'segments_of_{step.name or "scan_fn"}')
    return results[0].owner.op.with_changes(checkpoint=Segments(plan.op.checkpoint.loop))


# -- the backward pass over segments ------------------------------------------------------
class _SegmentBackward(_Backward):
    """The backward loop over the steps of one segment, rerun from its start window: it
    starts from the cotangents and sums carried over from the later segments, reads the
    recorded rows from the one history array, and has no rows of zeros for unseeded outputs."""

    def __init__(self, step, rows, windows, non_seqs, outputs, seeds, n, carried, mark):
        super().__init__(step, rows, windows, non_seqs, outputs, seeds, n)
        self.seeded = [k for k in self.seeded if not _none(seeds[k])]
        self.pending0, self.accs0 = carried
        self.recorded_from_history = True
        self.mark = mark

    def run(self, steps):
        """(row gradients of the differentiable sequences, cotangents of the start windows,
        sums of the differentiable non-sequences' gradients) after backpropagating."""
        results = self.build(steps)
        seq_grads = self.sequence_grads(results, steps, steps)
        pending = self.init_grads(results, steps, steps)
        sums = self.non_seq_grads(results)
        return ([seq_grads[j] for j in self.diff_seqs], [pending[i] for i in self.diff_states],
                [sums[k] for k in self.diff_non])


def _segment_backward(plan, steps, rows, windows, seeds, carried, non_seqs, outs=None, inner=None,
                      short=False):
    """Backpropagate through `steps` steps from `windows`: rerun them keeping their history
    (unless it is at hand, `outs`) and run grad.py's backward loop over them, or with
    sub-blocks of `inner` steps, as segments of their own (two levels of checkpoints).
    Returns (row gradients of the differentiable sequences, cotangents of `windows`,
    sums of the differentiable non-sequences' gradients)."""
    if inner is not None:
        return _nested_backward(plan, steps, rows, windows, seeds, carried, non_seqs, inner)
    rerun = plan.step
    if short:  # a sub-block: one matrix product of a few rows per sequence costs more
        rerun = rerun.with_changes(checkpoint=Segments(plan.op.checkpoint.loop, part='advance'))
    outs = outs or _outputs(rerun(steps, *rows, *windows, *non_seqs))
    mark = Segments(plan.op.checkpoint.loop, part='backward')
    return _SegmentBackward(plan.step, rows, windows, non_seqs, outs, seeds, steps, carried,
                            mark).run(steps)


def _nested_backward(plan, steps, rows, windows, seeds, carried, non_seqs, inner):
    """_segment_backward in sub-blocks: a head of 1..`inner` steps advanced from `windows`,
    then segments of `inner` steps recording their start windows; backward over those
    from last to first, then the head (rerun from `windows`).  The head comes first in
    time, so the carried sums go into the segment loop as they are: a sum computed
    before a loop would stay alive through it (a weight's size)."""
    every = m.minimum(inner, m.maximum(steps - 1, _int(1)))
    head = steps - m.maximum((steps - 1) // every, _int(0)) * every
    head_rows, rest = [s[:head] for s in rows], [s[head:steps] for s in rows]
    start = _advance(plan, head, head_rows, windows, non_seqs, long=False)
    loop = _Segmented(plan, rest, start, non_seqs, steps - head, every, exact=True)
    rest_seeds = [None if g is None else g[head:steps] for g in seeds]
    block_grads, _, pending, sums = _backward(loop, *carried, rest_seeds)
    pending = [_fit(v, w) for v, w in zip(pending, [w for w in windows if is_differentiable(w)])]
    head_seeds = [None if g is None else g[:head] for g in seeds]
    head_grads, pending, sums = _segment_backward(plan, head, head_rows, windows, head_seeds,
                                                  (pending, sums), non_seqs, short=True)
    grads = []
    for blocks, first in zip(block_grads, head_grads):
        rows_shape = [loop.at] + [m.shape(first)[d] for d in range(1, first.ndim)]
        grads.append(m.concatenate([first, m.reshape(blocks, rows_shape)], axis=0))
    return grads, pending, sums


def _backward(loop, pending, sums, dense):
    """The gradient pass: the last steps first, if any (their forward history is their
    rerun, or they are rerun like a segment), then the segments from last to first (a
    loop that carries the cotangents of the windows and the sums of the non-sequences'
    gradients, rerunning one segment a step).  Returns the segments' row gradients as
    blocks, the last steps' row gradients, the cotangents of the windows the segments
    start from, and the sums."""
    plan, step = loop.plan, loop.plan.step
    block_seeds, last_seeds = loop.dense_rows(dense)
    pending = [_fit(v, w) for v, w in zip(pending, [w for w in loop.last_start if is_differentiable(w)])]
    last_grads = None
    if loop.last is not None:
        last_grads, pending, sums = _segment_backward(plan, loop.last_steps, loop.last_rows_in,
                                                      loop.last_start, last_seeds, (pending, sums),
                                                      loop.non_seqs, outs=None if loop.inner is not None
                                                      else loop.last, inner=loop.inner)
    starts = loop.node.outputs[step.n_states:2 * step.n_states]
    n_seq, n_win = len(loop.blocks), len(starts)
    seeded = [k for k, g in enumerate(block_seeds) if g is not None]
    n_pend = len(pending)

    def segment(*args):
        rows, windows = args[:n_seq], args[n_seq:n_seq + n_win]
        at = n_seq + n_win + len(seeded)
        seeds = [None] * step.n_outer_outputs
        for k, g in zip(seeded, args[n_seq + n_win:at]):
            seeds[k] = g
        carried = (list(args[at:at + n_pend]), list(args[at + n_pend:at + n_pend + len(sums)]))
        non = args[at + n_pend + len(sums):]
        inner = non[1] if loop.inner is not None else None
        grads, new_pending, new_sums = _segment_backward(plan, non[0], rows, windows, seeds, carried,
                                                         non[len(extra):], inner=inner,
                                                         short=loop.last is None)
        return grads + new_pending + new_sums

    sequences = [b[::-1] for b in loop.blocks] + [s[::-1] for s in starts] + \
        [block_seeds[k][::-1] for k in seeded]
    n_grads = sum(is_differentiable(b) for b in loop.blocks)
    pending = [_fit(v, w) for v, w in zip(pending, [s[0] for s in starts])]
    extra = [loop.every] + ([] if loop.inner is None else [loop.inner])
    results, _ = scan(segment, sequences=sequences, outputs_info=[None] * n_grads + pending + sums,
                      non_sequences=extra + list(loop.non_seqs), n_steps=loop.n_full,
                      return_list=True, name=f'grad_of_segments_of_{step.name or "scan_fn"}')
    outs = _carried_as_finals(results, n_grads, pending + sums,
                              Segments(plan.op.checkpoint.loop, part='backward'))
    carried = outs[n_grads:]
    # Segment s's row gradients are the loop's row n_full - 1 - s.
    return [g[::-1] for g in outs[:n_grads]], last_grads, carried[:n_pend], carried[n_pend:]


def _fit(value, like):
    """`value` with the static shape of `like` (a view), as a loop's carried value must."""
    return value if value.type == like.type else patternbroadcast(value, [s == 1 for s in like.type.shape])


def _carried_as_finals(results, n_nit, starts, mark):
    """The outputs `results` (n_nit per-step outputs, then one-tap states) of a loop built
    by scan(), from a copy of it that carries `mark` and its states as finals started from
    `starts`: a final is one value, rebound each step and returned as it is (a state's
    history would be a fresh array, and its last value after zero steps a concatenation;
    the running sums of a weight's gradient are that weight's size, several of them alive
    at once through the nested loops)."""
    node = next(r.owner for r in results if r.owner is not None and isinstance(r.owner.op, Scan))
    op, n_states = node.op, len(starts)
    inner = FunctionGraph(op.inner.inputs, op.inner.outputs[n_states:] + op.inner.outputs[:n_states],
                          clone=True)
    finals = Scan(inner, n_seqs=op.n_seqs, state_taps=(), n_nit=n_nit, n_finals=n_states,
                  n_non_seqs=op.n_non_seqs, name=op.name, checkpoint=mark)
    seqs, _, _, non_seqs = (node.inputs[s] for s in op.outer_slices())
    return finals.make_node(node.inputs[0], *seqs, *starts, *non_seqs).outputs


# -- the gradient ----------------------------------------------------------------------
def checkpointed_grad(op, inputs, outputs, output_grads):
    """Scan.L_op for a loop with a Checkpoint: see the module docstring."""
    _check_finals(op, outputs, output_grads)
    plan = _plan(op, outputs)
    n = _steps_run(op, inputs, outputs)
    last, dense = {}, [None] * plan.step.n_outer_outputs
    for pos, i in enumerate(plan.states):
        g = output_grads[i]
        if _no_seed(g) or not is_differentiable(op.inner.outputs[i]):
            continue
        found = _last_rows_seeds(g, op.windows[i])
        if found is None:
            dense[pos] = g
        else:
            last[i] = found
    for pos, j in enumerate(plan.nits, start=len(plan.states)):
        if not _no_seed(output_grads[op.n_states + j]):
            dense[pos] = output_grads[op.n_states + j]
    seqs, inits, finals, non_seqs = (list(inputs[s]) for s in op.outer_slices())
    if not last and all(g is None for g in dense):
        return [None] + [ZERO] * (len(seqs) + len(inits)) + [None] * len(finals) + [ZERO] * len(non_seqs)
    loop = _segmented_loop(plan, inputs, n)
    diff_states = [pos for pos, i in enumerate(plan.states) if is_differentiable(op.inner.outputs[i])]
    pending = [_final_cotangent(loop, plan.states[pos], last.get(plan.states[pos], ()))
               for pos in diff_states]
    diff_non = [k for k in range(op.n_non_seqs) if is_differentiable(non_seqs[k])]
    sums = [m.zeros_like(non_seqs[k]) for k in diff_non]
    dense = [None if g is None else g[loop.n0:n] for g in dense]
    block_grads, last_grads, pending, sums = _backward(loop, pending, sums, dense)
    seeds = {loop.windows[pos]: g for pos, g in zip(diff_states, pending)}
    diff_seqs = [j for j, s in enumerate(seqs) if is_differentiable(s)]
    for j, blocks, last_rows_grad in zip(diff_seqs, block_grads, last_grads):
        seeds[loop.blocks[j]] = m.reshape(blocks, m.shape(loop.blocks[j]))
        seeds[loop.last_rows_in[j]] = last_rows_grad
    grads = backprop(seqs + inits, seeds)
    by_non = dict(zip(diff_non, sums))
    grads = [ZERO if g is None else g for g in grads] + [by_non.get(k, ZERO) for k in range(len(non_seqs))]
    at = len(seqs) + len(inits)
    return [None] + grads[:at] + [None] * len(finals) + grads[at:]


GRADIENT_OF_MARK[Checkpoint] = checkpointed_grad


def _final_cotangent(loop, i, pieces):
    """The cotangent of state i's final window: zeros, with the seeds of its last rows."""
    window, rows = loop.final_window(i)
    if not pieces:
        return m.zeros_like(window)
    seeds = {}
    for entries, value in pieces:
        target = Subtensor(entries)(rows)
        seeds[target] = value if value.type == target.type else m.fill(target, value)
    return backprop([window], seeds)[0]


def _last_rows_seeds(g, window):
    """[(index entries, value)] when `g` is zeros plus values at rows that the final
    window holds (the gradient of `h[-1]`, `h[-2:]`, or a sum of those), else None."""
    node = g.owner
    if _is_zeros(g):
        return []
    if node is None:
        return None
    if getattr(getattr(node.op, 'scalar_op', None), 'name', None) == 'add':
        pieces = [_last_rows_seeds(term, window) for term in node.inputs]
        return None if any(p is None for p in pieces) or any(t.type != g.type for t in node.inputs) \
            else [piece for p in pieces for piece in p]
    if not isinstance(node.op, IncSubtensor) or len(node.op.entries) != 1 or len(node.inputs) != 2:
        return None
    below = [] if _is_zeros(node.inputs[0]) else None
    if below is None and not node.op.set_instead_of_inc:
        below = _last_rows_seeds(node.inputs[0], window)
    entry = node.op.entries[0]
    single = entry[0] == 'int' and entry[1] != IN and -window <= entry[1] < 0
    tail = entry[0] == 'slice' and entry[1] not in (None, IN) and -window <= entry[1] < 0 \
        and entry[2] is None and entry[3] is None
    if below is None or not (single or tail):
        return None
    return below + [(node.op.entries, node.inputs[1])]


def _no_seed(g):
    return _none(g) or _is_zeros(g)


def _is_zeros(x):
    node = x.owner
    if node is None:
        return False
    fill = getattr(getattr(node.op, 'scalar_op', None), 'name', None) == 'second'
    value = node.inputs[-1] if fill else (node.inputs[0] if isinstance(node.op, Alloc) else None)
    data = getattr(value, 'data', None)
    return data is not None and not np.any(data)


# -- one forward pass --------------------------------------------------------------------
@register('scan_checkpoint_forward', phase='canonicalize', tracks=(Scan,))
def scan_checkpoint_forward(fgraph, node):
    """A checkpointed loop read only at its last rows takes them from its gradient's
    segmented loop (its loop over the last steps), which runs anyway: one forward pass
    instead of two."""
    op = node.op
    if not isinstance(op.checkpoint, Checkpoint) or op.as_while:
        return None
    read = [k for k, o in enumerate(node.outputs) if fgraph.clients.get(o)]
    if not read or any(k >= op.n_states for k in read):
        return None
    try:
        plan = _plan(op)
    except ScanGradientError:
        return None
    segments = _segments_node(fgraph, node, plan)
    if segments is None:
        return None
    n = _steps_run(op, node.inputs, node.outputs)
    replacements = {}
    for k in read:
        need = _rows_read(fgraph, node.outputs[k])
        if need is None or need > op.windows[k] or k not in plan.states:
            return None
        pos = plan.states.index(k)
        rows = last_rows(final_window(segments, pos), n, op.windows[k])
        for client, _ in fgraph.clients[node.outputs[k]]:
            made = client.op.make_node(rows, *client.inputs[1:]).outputs[0]
            if made.type != client.outputs[0].type:
                return None
            replacements[client.outputs[0]] = made
    return replacements


def _segments_node(fgraph, node, plan):
    """The loop over the last steps that the gradient built from this node's inputs, or None."""
    mark = Segments(node.op.checkpoint.loop, part='last')
    seqs, inits, _, _ = (node.inputs[s] for s in node.op.outer_slices())
    wanted = {node.inputs[0], *seqs, *(inits[i] for i in plan.states)}
    for other in fgraph.apply_nodes:
        if isinstance(other.op, Scan) and other.op.checkpoint == mark \
                and other.op.n_states == len(plan.states) and wanted <= set(ancestors(other.inputs)):
            return other
    return None
