"""The gradient of a Scan node: backpropagation through time as a second Scan.

The backward loop walks the forward steps in reverse.  At step t it recomputes
the forward step from the recorded inputs (sequence rows, past state values),
pulls the cotangents of that step's outputs back through it (`backprop`, the
reverse-mode engine), and carries three kinds of running values, all as
*finals* of the backward Scan (carried, only the last one returned):

* P_i, one per differentiable state, shaped (L_i, *row): the cotangent already
  gathered for the L_i history rows the next (earlier) steps write.  Row L_i-1
  belongs to the output of step t; after step t the window slides by one.
  After the last backward step P_i is the gradient of the initial buffer.
* one accumulator per differentiable non-sequence (weights read at every step);
* the sequences' row gradients are ordinary per-step outputs, reversed back.

`truncate_gradient = k` runs only the last k backward steps (truncated BPTT).
"""
from __future__ import annotations

from ..autodiff.reverse import ZERO, backprop, is_differentiable
from ..ir import FunctionGraph, ancestors, clone_graph, graph_replace
from ..tensor import math as m
from ..tensor.elemwise import DimShuffle, Elemwise
from ..tensor.subtensor import set_subtensor


# The gradient of a loop whose op carries a mark (`Scan.checkpoint`) of a given class:
# checkpoint.py registers its own, as it builds on this module.
GRADIENT_OF_MARK = {}


class ScanGradientError(TypeError):
    pass


def scan_grad(op, inputs, outputs, output_grads):
    promoted = [m_ for m_ in range(op.n_finals)
                if is_differentiable(op.inner.inputs[op.inner_slices()[2]][m_])]
    if promoted:
        return _grad_with_finals_as_states(op, inputs, output_grads, promoted)
    special = GRADIENT_OF_MARK.get(type(op.checkpoint))
    if special is not None:
        return special(op, inputs, outputs, output_grads)
    if any(k is not None for k in op.keep):
        raise ScanGradientError(f'{_where(op, outputs)}: the gradient needs every step of the '
                                'outputs, but this loop keeps only the last ones (take the '
                                'gradient before rewriting)')
    seqs, inits, finals, non_seqs = (inputs[s] for s in op.outer_slices())
    _check_finals(op, outputs, output_grads)
    n = _steps_run(op, inputs, outputs)
    n_back = n if op.truncate_gradient < 0 else m.minimum(n, op.truncate_gradient)
    plan = _Backward(op, seqs, inits, non_seqs, outputs, output_grads, n)
    results = plan.build(n_back)
    grads = [None] + plan.sequence_grads(results, n, n_back) + plan.init_grads(results, n, n_back)
    grads += [None] * op.n_finals
    return grads + plan.non_seq_grads(results)


def _grad_with_finals_as_states(op, inputs, output_grads, promoted):
    """Float finals (an accumulator updated in the loop, or the running sums of a backward
    loop when differentiating twice) keep no history, so the gradient reruns the loop with
    them as one-tap states; the final value is then the last row of the history (or the
    initial value after zero steps)."""
    inner_in, inner_out = op.inner.inputs, op.inner.outputs
    i_seq, i_tap, i_fin, i_non = op.inner_slices()
    o_seq, o_init, o_fin, o_non = op.outer_slices()
    kept = [k for k in range(op.n_finals) if k not in promoted]
    s, n_nit, f0 = op.n_states, op.n_nit, op.n_states + op.n_nit
    fin_in, fin_out = inner_in[i_fin], inner_out[f0:f0 + op.n_finals]
    inner = FunctionGraph(
        inner_in[i_seq] + inner_in[i_tap] + [fin_in[k] for k in promoted] + [fin_in[k] for k in kept]
        + inner_in[i_non],
        inner_out[:s] + [fin_out[k] for k in promoted] + inner_out[s:f0] + [fin_out[k] for k in kept]
        + inner_out[f0 + op.n_finals:])
    new_op = op.with_changes(inner=inner, state_taps=op.state_taps + ((-1,),) * len(promoted),
                             n_finals=len(kept), keep=(None,) * (s + len(promoted) + n_nit))
    finals_outer = inputs[o_fin]
    starts = [m.shape_padleft(finals_outer[k]) for k in promoted]
    new_inputs = ([inputs[0]] + inputs[o_seq] + inputs[o_init] + starts
                  + [finals_outer[k] for k in kept] + inputs[o_non])
    new_outputs = new_op.make_node(*new_inputs).outputs
    histories = new_outputs[s:s + len(promoted)]
    # The original final value, as an expression of the history: differentiate it.
    extra_init, hist_grads = [], []
    for k, start, history in zip(promoted, starts, histories):
        g = output_grads[f0 + k]
        if _none(g):
            extra_init.append(None)
            hist_grads.append(None)
            continue
        last = m.concatenate([start, history], axis=0)[-1]
        g_start, g_hist = backprop([start, history], {last: g})
        extra_init.append(None if _none(g_start) else g_start[0])
        hist_grads.append(None if _none(g_hist) else g_hist)
    new_grads = (output_grads[:s] + hist_grads + output_grads[s:f0]
                 + [output_grads[f0 + k] for k in kept])
    grads = scan_grad(new_op, new_inputs, new_outputs, new_grads)
    n_old_inits = op.n_states
    at = 1 + op.n_seqs
    by_final = {}
    for j, k in enumerate(promoted):
        g = grads[at + n_old_inits + j]
        g = None if _none(g) else g[0]
        if extra_init[j] is not None:
            g = extra_init[j] if g is None else g + extra_init[j]
        by_final[k] = g if g is not None else ZERO
    kept_grads = grads[at + n_old_inits + len(promoted):at + n_old_inits + len(promoted) + len(kept)]
    by_final.update(zip(kept, kept_grads))
    return (grads[:at + n_old_inits] + [by_final[k] for k in range(op.n_finals)]
            + grads[at + n_old_inits + len(promoted) + len(kept):])


def _steps_run(op, inputs, outputs):
    if op.as_while and op.n_states + op.n_nit:
        return m.shape(outputs[0])[0]
    return inputs[0] if inputs[0].dtype == 'int64' else m.cast(inputs[0], 'int64')


def _check_finals(op, outputs, output_grads):
    """Values carried as finals (shared variables updated in the loop) keep no history."""
    start = op.n_states + op.n_nit
    for k in range(op.n_finals):
        g, out = output_grads[start + k], outputs[start + k]
        if g is not None and g is not ZERO and not _is_zero_fill(g, out):
            raise ScanGradientError(
                f'{_where(op, outputs)}: cannot differentiate the final value of a shared '
                'variable updated inside the loop (its per-step values are not kept)')
    finals_in = set(op.inner.inputs[op.inner_slices()[2]])
    diff_outs = [o for o in op.inner.outputs[:start] if is_differentiable(o)]
    if finals_in & set(ancestors(diff_outs)):
        raise ScanGradientError(
            f'{_where(op, outputs)}: cannot differentiate a loop whose outputs read a shared '
            'variable that the loop itself updates (e.g. a random draw inside fn): its per-step values are not kept. '
            'Draw the random numbers outside scan and pass them as a sequence.')


def _where(op, outputs):
    """The op, and the user's line that built the loop (the scan call), for error messages."""
    node = outputs[0].owner if outputs else None
    source = getattr(node, 'source', None)
    return f'{op} (the scan built at {source})' if source else str(op)


def _is_zero_fill(g, out):
    node = g.owner
    return node is not None and out in node.inputs and all(
        i is out or (hasattr(i, 'data') and not i.data.any()) for i in node.inputs)


class _Backward:
    """Builds the backward Scan for one forward node."""

    def __init__(self, op, seqs, inits, non_seqs, outputs, output_grads, n):
        self.op, self.seqs, self.inits, self.non_seqs = op, seqs, inits, non_seqs
        self.outputs, self.output_grads, self.n = outputs, output_grads, n
        inner = op.inner.inputs
        self.i_seqs, self.i_taps, _, self.i_non = (inner[s] for s in op.inner_slices())
        self.diff_states = [i for i in range(op.n_states) if is_differentiable(op.inner.outputs[i])]
        self.diff_seqs = [j for j in range(op.n_seqs) if is_differentiable(seqs[j])]
        self.diff_non = [k for k in range(op.n_non_seqs) if is_differentiable(non_seqs[k])]
        # What a caller may change (checkpoint.py's backward of one segment does): the
        # outputs whose gradient rows are a sequence of the loop, the starting values of
        # the carried cotangents and sums (zeros), whether the recorded state rows are
        # read from the history the taps read (one array, not two), the loop's mark.
        self.seeded = self.diff_states + self._diff_nits()
        self.pending0 = self.accs0 = None
        self.recorded_from_history = False
        self.mark = op.checkpoint  # a segment loop's mark: see pushout.py

    # -- the backward loop's sequences (each reversed) ------------------------------------
    def _outer_sequences(self):
        op, n = self.op, self.n
        rows = [s[:n][::-1] for s in self.seqs]
        histories = []
        for i, taps in enumerate(op.state_taps):
            window = -taps[0]
            history = m.concatenate([self.inits[i], self.outputs[i]], axis=0)
            histories.append(history)
            rows += [history[window + k:window + k + n][::-1] for k in taps]
        for k in self.diff_states + self._seeded_nits():
            recorded = histories[k][-op.state_taps[k][0]:] if self.recorded_from_history \
                and k < op.n_states else self.outputs[k]
            rows.append(recorded[:n][::-1])
        for k in self._seeded_states() + self._seeded_nits():
            rows.append(self._grad_or_zeros(k)[::-1])
        return rows

    def _seeded_states(self):
        return [i for i in self.diff_states if i in self.seeded]

    def _seeded_nits(self):
        return [k for k in self._diff_nits() if k in self.seeded]

    def _diff_nits(self):
        start = self.op.n_states
        return [start + j for j in range(self.op.n_nit) if is_differentiable(self.op.inner.outputs[start + j])]

    def _grad_or_zeros(self, k):
        g = self.output_grads[k]
        return m.zeros_like(self.outputs[k]) if g is None or g is ZERO else g

    # -- one backward step -------------------------------------------------------------------
    def _inner(self):
        """(inner FunctionGraph, number of gradient rows per step)."""
        op = self.op
        rows_in = [v.type() for v in self.i_seqs] + [v.type() for v in self.i_taps]
        g_states = [op.inner.outputs[i].type() for i in self._seeded_states()]
        nit_diff = self._seeded_nits()
        g_nits = [op.inner.outputs[k].type() for k in nit_diff]
        pending = [self.inits[i].type() for i in self.diff_states]
        accs = [self.non_seqs[k].type() for k in self.diff_non]
        non = [v.type() for v in self.i_non]
        fwd_in = list(self.i_seqs) + list(self.i_taps) + list(self.i_non)
        needed = self.diff_states + nit_diff  # only these: others may read finals
        _, fwd_out, _ = clone_graph(fwd_in, [op.inner.outputs[k] for k in needed],
                                    replace=dict(zip(fwd_in, rows_in + non)))
        seed_of = dict(zip(self._seeded_states(), g_states))
        cotangents = [seed_of[i] + p[-1] if i in seed_of else p[-1]
                      for i, p in zip(self.diff_states, pending)] + g_nits
        seeds = {}
        for out, g in zip(fwd_out, cotangents):
            seeds[out] = seeds[out] + g if out in seeds else g
        wrt = rows_in + non
        grads = backprop(wrt, seeds) if seeds else [None] * len(wrt)
        # The pullbacks read the step's outputs (tanh' = 1 - out**2): use the recorded ones
        # rather than recomputing the forward step.
        recorded = [op.inner.outputs[k].type() for k in needed]
        grads = _substitute(grads, dict(zip(fwd_out, recorded)))
        seq_grads = [_or_zeros(grads[j], rows_in[j]) for j in self.diff_seqs]
        tap_grads = grads[op.n_seqs:op.n_seqs + op.n_tap_inputs]
        new_pending = [self._slide(i, p, tap_grads) for i, p in zip(self.diff_states, pending)]
        seq_rows = rows_in + recorded + g_states + g_nits
        new_accs, factor_nits = self._accumulate(grads[len(rows_in):], accs, seq_rows)
        inputs = seq_rows + pending + accs + non
        fgraph = FunctionGraph(inputs, seq_grads + factor_nits + new_pending + new_accs, clone=True)
        return fgraph, len(seq_rows)

    def _accumulate(self, non_grads, accs, seq_rows):
        """Sum each weight's per-step gradient: outer products u_t v_t^T leave the loop as
        one matrix product U^T V after it (u, v become per-step outputs, or are sequences
        already); the other terms are added up in the loop."""
        position = {v: j for j, v in enumerate(seq_rows)}
        self.factors, self.sums, factor_nits, new_accs = [], [], [], []
        for k, acc in zip(self.diff_non, accs):
            g = non_grads[k]
            if _none(g):
                new_accs.append(acc)
                continue
            rest = []
            for term in _terms(g):
                pair = _outer_factors(term)
                if pair is None:
                    rest.append(term)
                    continue
                refs = [self._factor(f, position, factor_nits) for f in pair]
                self.factors.append((k, refs[0], refs[1]))
            # A term that is already a per-step output (the bias's gradient is the outer
            # products' right factor) is summed after the loop too, for free.
            summed = [t for t in rest if t in factor_nits and t.type == acc.type]
            for term in summed:
                self.sums.append((k, self._factor(term, position, factor_nits)))
            rest = [t for t in rest if t not in summed]
            total = acc
            for term in rest:
                total = total + term
            new_accs.append(total)
        self.n_factor_nits = len(factor_nits)
        return new_accs, factor_nits

    def _slide(self, i, pending, tap_grads):
        """The window after step t: row j is the cotangent of history row t + j."""
        taps = self.op.state_taps[i]
        window = -taps[0]
        first = sum(len(t) for t in self.op.state_taps[:i])
        by_row = {window + k: tap_grads[first + n] for n, k in enumerate(taps)}
        rows = []
        for j in range(window):
            row = pending[j - 1] if j >= 1 else None
            g = by_row.get(j)
            if not _none(g):
                row = g if row is None else row + g
            rows.append(row if row is not None else m.zeros_like(pending[0]))
        return m.stack(rows) if window > 1 else m.shape_padleft(rows[0])

    def _factor(self, f, position, factor_nits):
        """Where the rows of per-step value `f` will be: a sequence, or a (new) nit output."""
        if f in position:
            return ('seq', position[f])
        if f not in factor_nits:
            factor_nits.append(f)
        return ('nit', len(self.diff_seqs) + factor_nits.index(f))

    def build(self, n_back):
        op = self.op
        inner, n_seq_rows = self._inner()
        backward = type(op)(inner, n_seqs=n_seq_rows, state_taps=(),  # a Scan, as op is
                            n_nit=len(self.diff_seqs) + self.n_factor_nits,
                            n_finals=len(self.diff_states) + len(self.diff_non),
                            n_non_seqs=len(self.i_non), truncate_gradient=-1,
                            name=f'grad_of_{op.name or "scan_fn"}',
                            checkpoint=self.mark)
        pending0 = self.pending0 or [m.zeros_like(self.inits[i]) for i in self.diff_states]
        accs0 = self.accs0 or [m.zeros_like(self.non_seqs[k]) for k in self.diff_non]
        self.outer_rows = self._outer_sequences()
        self.n_back = n_back
        results = backward(n_back, *self.outer_rows, *pending0, *accs0, *self.non_seqs)
        return results if isinstance(results, list) else [results]

    def _rows(self, results, ref):
        kind, index = ref
        if kind == 'nit':
            return results[index]
        return self.outer_rows[index][:self.n_back]

    # -- the gradients of the forward node's inputs ---------------------------------------
    def sequence_grads(self, results, n, n_back):
        grads = []
        by_seq = dict(zip(self.diff_seqs, results))
        for j, seq in enumerate(self.seqs):
            if j not in by_seq:
                grads.append(ZERO)
                continue
            target = m.zeros_like(seq)[n - n_back:n]
            # A loop that ran no step cannot know the shape of its rows: give them the target's.
            grads.append(set_subtensor(target, m.reshape(by_seq[j][::-1], m.shape(target))))
        return grads

    def init_grads(self, results, n, n_back):
        finals = results[len(self.diff_seqs) + self.n_factor_nits:]
        by_state = dict(zip(self.diff_states, finals))
        grads = []
        for i, init in enumerate(self.inits):
            if i not in by_state:
                grads.append(ZERO)
            elif self.op.truncate_gradient < 0:
                grads.append(by_state[i])
            else:
                reached = m.ge(n_back, n)
                grads.append(m.switch(reached, by_state[i], m.zeros_like(by_state[i])))
        return grads

    def non_seq_grads(self, results):
        accs = results[len(self.diff_seqs) + self.n_factor_nits + len(self.diff_states):]
        by_non = dict(zip(self.diff_non, accs))
        for k, u_ref, v_ref in self.factors:
            u, v = (self._rows(results, ref) for ref in (u_ref, v_ref))
            by_non[k] = by_non[k] + m.dot(u.T, v)
        for k, ref in self.sums:
            by_non[k] = by_non[k] + m.sum(self._rows(results, ref), axis=0)
        return [by_non.get(k, ZERO) for k in range(len(self.non_seqs))]


def _terms(g):
    """The summands of an elementwise sum tree (a gradient gathered from several uses)."""
    out, stack = [], [g]
    while stack:
        v = stack.pop()
        if _is_scalar_op(v, 'add') and all(i.ndim == v.ndim for i in v.owner.inputs):
            stack.extend(v.owner.inputs)
        else:
            out.append(v)
    return out


def _outer_factors(term):
    """(u, v) when `term` is u[:, None] * v[None, :] for vectors u and v, else None."""
    if not _is_scalar_op(term, 'mul') or len(term.owner.inputs) != 2:
        return None
    a, b = term.owner.inputs
    if _expands(a, (0, 'x')) and _expands(b, ('x', 0)):
        return a.owner.inputs[0], b.owner.inputs[0]
    if _expands(b, (0, 'x')) and _expands(a, ('x', 0)):
        return b.owner.inputs[0], a.owner.inputs[0]
    return None


def _is_scalar_op(v, name):
    node = v.owner
    return node is not None and isinstance(node.op, Elemwise) and \
        getattr(node.op.scalar_op, 'name', None) == name


def _expands(v, order):
    node = v.owner
    return node is not None and isinstance(node.op, DimShuffle) and node.op.input_ndim == 1 \
        and tuple(node.op.new_order) == order


def _substitute(grads, replace):
    present = [k for k, g in enumerate(grads) if not _none(g)]
    new = graph_replace([grads[k] for k in present], replace) if present else []
    out = list(grads)
    for k, g in zip(present, new):
        out[k] = g
    return out


def _none(g):
    return g is None or g is ZERO


def _or_zeros(g, like):
    return m.zeros_like(like) if _none(g) else g
