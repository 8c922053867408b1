"""Gradient checkpointing for scan: `scan(..., checkpoint=K)`.

Backpropagation through time reads every step of every state, so a long loop's
gradient holds its whole history (an RNN with a 4,096-wide state over 10,000 steps:
330 MB of float64).  With `checkpoint=K` the gradient differentiates an equivalent
*segmented* loop instead, over the m steps it reaches:

    head:      the first r steps (1 <= r <= K), as a plain loop from the initial values;
    segments:  an outer loop over the other (m - r) / K segments; each of its steps runs
               the step function K times (an inner loop) from the window of each
               state (its last L rows: what the next step reads) and returns the
               window after them.

The ordinary scan gradient (grad.py) of that graph is checkpointing: the outer loop
records one window per segment (the checkpoints), and its backward step reruns the
inner loop of one segment from its window, then backpropagates through those K steps.
Memory: about m/K windows plus a few segments of K rows; `checkpoint='auto'` takes
K = ceil(sqrt(m)) when the loop runs.  Time: one more forward pass.

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
from ..tensor.shape_ops import Alloc
from ..tensor.subtensor import IN, IncSubtensor, Subtensor
from ..tensor.type import TensorType
from ..tensor.view_ops import GradOverride
from .basic import scan
from .grad import GRADIENT_OF_MARK, ScanGradientError, _check_finals, _none, _steps_run, _where
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


# -- the segmented loop ----------------------------------------------------------------
def _every(every, steps):
    if every != 'auto':
        return constant(np.asarray(every, dtype='int64'))
    root = m.cast(m.ceil(m.sqrt(m.cast(steps, 'float64'))), 'int64')
    return m.maximum(root, constant(np.asarray(1, dtype='int64')))


def _window(window, history, length):
    """The last `length` rows of the initial rows followed by the rows a loop wrote."""
    return m.concatenate([window, history], axis=0)[-length:]


class _Segmented:
    """The loop of `plan` over steps [n0, n) as a head loop and an outer segment loop.

    `dense` lists the keys ('state', i) / ('nit', j) whose whole history the gradient
    seeds (the outer loop then also returns their rows, segment by segment)."""

    def __init__(self, plan, inputs, n, dense):
        op, step = plan.op, plan.step
        self.plan, self.n, self.dense = plan, n, dense
        seqs, inits, _, non_seqs = (inputs[s] for s in op.outer_slices())
        windows = [inits[i][:op.windows[i]] for i in plan.states]
        self.n0 = self._start(n, op.truncate_gradient)
        if op.truncate_gradient >= 0:
            windows = self._skip(seqs, windows, non_seqs)
        steps = n - self.n0
        # Neither the head (1..K steps) nor the segment loop runs zero steps unless the
        # loop runs fewer than two: a loop of no step cannot know the row shapes of its
        # per-step values, which its gradient would read (K > steps - 1 acts as steps - 1).
        one = constant(np.asarray(1, dtype='int64'))
        every = m.minimum(_every(op.checkpoint.every, steps), m.maximum(steps - 1, one))
        self.every = every
        self.n_full = m.maximum((steps - 1) // every, constant(np.asarray(0, dtype='int64')))
        head_steps = steps - self.n_full * every
        at = self.n0 + head_steps
        head = _outputs(step(head_steps, *[s[self.n0:at] for s in seqs], *windows, *non_seqs))
        self.start = [_window(w, h, L) for w, h, L in zip(windows, head, step.windows)]
        blocks = [_blocks(s[at:n], self.n_full, every) for s in seqs]
        loop = _segment_loop(plan, dense)
        self.node = loop.make_node(self.n_full, *blocks, *[m.shape_padleft(w) for w in self.start],
                                   every, *non_seqs)
        self.head = dict(zip(self._keys(), head))

    def _keys(self):
        return [('state', i) for i in self.plan.states] + [('nit', j) for j in self.plan.nits]

    @staticmethod
    def _start(n, truncate):
        if truncate < 0:
            return constant(np.asarray(0, dtype='int64'))
        return m.maximum(n - truncate, constant(np.asarray(0, dtype='int64')))

    def _skip(self, seqs, windows, non_seqs):
        """Windows after the first n0 steps, run with no gradient through them."""
        step = self.plan.step
        keep = step.windows + (1,) * step.n_nit
        outs = _outputs(step.with_changes(keep=keep)(self.n0, *[s[:self.n0] for s in seqs],
                                                     *windows, *non_seqs))
        ran = m.gt(self.n0, 0)
        return [m.switch(ran, _disconnected(_window(w, h, L)), w)
                for w, h, L in zip(windows, outs, step.windows)]

    def last_rows(self, k):
        """The last min(n, L) rows of the user's state k (its final window)."""
        pos = self.plan.states.index(k)
        return final_rows(self.node, pos, self.n, self.plan.step.windows[pos])

    def history(self, key):
        """The rows of state/nit `key` at steps [n0, n), as one array."""
        s = len(self.plan.states)
        blocks, head = self.node.outputs[s + self.dense.index(key)], self.head[key]
        # The head's row shape, not the blocks': a loop of no segment cannot know it.
        rows = m.reshape(blocks, [self.n_full * self.every] + [m.shape(head)[d] for d in range(1, head.ndim)])
        return m.concatenate([head, rows], axis=0)


def _disconnected(x):
    """x, with no gradient through it (Theano's disconnected_grad)."""
    return GradOverride(x.ndim, 'disconnected')(x)


def final_rows(node, pos, n, length):
    """The last min(n, length) rows of state `pos` of a segment loop `node`."""
    start = node.inputs[node.op.outer_slices()[1]][pos]
    window = m.concatenate([start, node.outputs[pos]], axis=0)[-1]
    return window[length - m.minimum(n, length):]


def _outputs(result):
    return result if isinstance(result, list) else [result]


def _blocks(seq, count, every):
    return m.reshape(seq, [count, every] + [m.shape(seq)[d] for d in range(1, seq.ndim)])


def _segment_loop(plan, dense):
    """The outer Scan op: one segment of `plan.step` per step, windows fed back."""
    step = plan.step
    i_seq, i_tap, _, i_non = step.inner_slices()
    taps = step.inner.inputs[i_tap]
    first = [taps[sum(len(t) for t in step.state_taps[:i])] for i in range(step.n_states)]
    blocks = [TensorType(v.type.dtype, (None, None) + v.type.shape)() for v in step.inner.inputs[i_seq]]
    windows = [TensorType(v.type.dtype, (None,) + v.type.shape)() for v in first]
    every, n = TensorType('int64', ())(), TensorType('int64', ())()
    non = [v.type() for v in step.inner.inputs[i_non]]
    keys = [('state', i) for i in plan.states] + [('nit', j) for j in plan.nits]
    n_b, n_w = len(blocks), len(windows)

    def segment(*args):
        outs = _outputs(step(args[n_b + n_w], *args[:n_b + n_w], *args[n_b + n_w + 1:]))
        new = [_window(w, h, L) for w, h, L in zip(args[n_b:n_b + n_w], outs, step.windows)]
        return new + [outs[keys.index(key)] for key in dense]

    results, _ = scan(segment, sequences=blocks, outputs_info=windows + [None] * len(dense),
                      non_sequences=[every] + non, n_steps=n, return_list=True,
                      name=f'segments_of_{step.name or "scan_fn"}')
    return results[0].owner.op.with_changes(checkpoint=Segments(plan.op.checkpoint.loop))


# -- the gradient ----------------------------------------------------------------------
def checkpointed_grad(op, inputs, outputs, output_grads):
    """Scan.L_op for a loop with a Checkpoint: see the module docstring."""
    _check_finals(op, outputs, output_grads)
    plan = _plan(op, outputs)
    n = _steps_run(op, inputs, outputs)
    last, dense = {}, []
    for i in plan.states:
        g = output_grads[i]
        if _no_seed(g) or not is_differentiable(op.inner.outputs[i]):
            continue
        found = _last_rows_seeds(g, op.windows[i])
        if found is None:
            dense.append(('state', i))
        else:
            last[i] = found
    dense += [('nit', j) for j in plan.nits if not _no_seed(output_grads[op.n_states + j])]
    loop = _Segmented(plan, inputs, n, tuple(dense))
    seeds = {}
    for i, pieces in last.items():
        for entries, value in pieces:
            target = Subtensor(entries)(loop.last_rows(i))
            seeds[target] = value if value.type == target.type else m.fill(target, value)
    for key in dense:
        g = output_grads[key[1] if key[0] == 'state' else op.n_states + key[1]]
        seeds[loop.history(key)] = g[loop.n0:n]
    seqs, inits, finals, non_seqs = (list(inputs[s]) for s in op.outer_slices())
    wrt = seqs + inits + non_seqs
    grads = backprop(wrt, seeds) if seeds else [None] * len(wrt)
    grads = [ZERO if g is None else g for g in grads]
    at = len(seqs) + len(inits)
    return [None] + grads[:at] + [None] * len(finals) + grads[at:]


GRADIENT_OF_MARK[Checkpoint] = checkpointed_grad


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
    segmented loop, which runs anyway: one forward pass instead of two."""
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
        rows = final_rows(segments, pos, n, op.windows[k])
        for client, _ in fgraph.clients[node.outputs[k]]:
            made = client.op.make_node(rows, *client.inputs[1:]).outputs[0]
            if made.type != client.outputs[0].type:
                return None
            replacements[client.outputs[0]] = made
    return replacements


def _segments_node(fgraph, node, plan):
    """The segment loop that the gradient built from this node's inputs, or None."""
    mark = Segments(node.op.checkpoint.loop)
    seqs, inits, _, _ = (node.inputs[s] for s in node.op.outer_slices())
    wanted = {node.inputs[0], *seqs, *(inits[i] for i in plan.states)}
    for other in fgraph.apply_nodes:
        if isinstance(other.op, Scan) and other.op.checkpoint == mark \
                and other.op.n_states == len(plan.states) and wanted <= set(ancestors(other.inputs)):
            return other
    return None
