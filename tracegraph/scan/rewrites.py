"""Rewrites of Scan nodes, registered with the rewrite engine.

* `scan_save_memory`: when every reader of an output takes only its last rows
  (`result[-1]`, `result[-3:]`), the loop keeps only those rows (`Scan.keep`).
* `scan_hoist_invariants`: inner computations that read only non-sequences and
  constants run once, before the loop, as new non-sequences.
* `scan_prune`: outputs nothing reads are dropped, with the fed-back inputs
  only they needed, and so are the sequences and non-sequences the step ignores.
* `scan_merge`: two loops with the same number of steps, neither reading the
  other's results, become one loop (one pass over the steps, not two).
* `scan_vectorize`: a loop with nothing fed back (no states, finals or until)
  whose step is made of ops with a batching rule (tensor/batching.py: elementwise
  math, dimshuffles, dots, reductions, indexing, ...) becomes the same ops over
  whole sequences, the steps being the batch.
"""
from __future__ import annotations

from ..ir import Constant, FunctionGraph, ancestors, clone_graph, toposort
from ..ir.rewrite_table import register
from ..tensor.batching import NoBatchRule, batch_node, has_batch_rule
from ..tensor.subtensor import IN, Subtensor
from .op import Scan


# -- keep only the rows that are read ------------------------------------------------
def _rows_read(fgraph, variable):
    """How many last rows the readers of `variable` need, or None if they need all."""
    need = 1 if not fgraph.clients.get(variable) else 0
    for client, _ in fgraph.clients.get(variable, ()):
        if client == 'output' or not isinstance(client.op, Subtensor) or client.inputs[0] is not variable:
            return None
        first = client.op.entries[0] if client.op.entries else None
        if first is not None and first[0] == 'int' and first[1] != IN and first[1] < 0:
            need = max(need, -first[1])
        elif first is not None and first[0] == 'slice' and first[1] not in (None, IN) \
                and first[1] < 0 and first[2] is None and first[3] is None:
            need = max(need, -first[1])
        else:
            return None
    return need or None


@register('scan_save_memory', phase='specialize', tracks=(Scan,))
def scan_save_memory(fgraph, node):
    """Return None (no change) or {old: new}: the readers now index a shorter buffer."""
    op = node.op
    keep = list(op.keep)
    for k, out in enumerate(node.outputs[:op.n_states + op.n_nit]):
        need = _rows_read(fgraph, out)
        if need is not None and (keep[k] is None or need < keep[k]):
            keep[k] = need
    if tuple(keep) == op.keep:
        return None
    new_node = op.with_changes(keep=tuple(keep)).make_node(*node.inputs)
    replacements = {}
    for k, (old, new) in enumerate(zip(node.outputs, new_node.outputs)):
        if k < len(keep) and keep[k] != op.keep[k]:
            for client, _ in fgraph.clients[old]:
                made = client.op.make_node(new, *client.inputs[1:]).outputs[0]
                if made.type != client.outputs[0].type:
                    return None
                replacements[client.outputs[0]] = made
        elif fgraph.clients.get(old):
            replacements[old] = new
    return replacements


# -- run loop-invariant work once -------------------------------------------------
def _invariant_roots(op):
    """Inner variables that depend only on non-sequences and constants, outermost ones."""
    non_seqs = set(op.inner.inputs[op.inner_slices()[3]])
    invariant = set()
    for node in op.inner.toposort():
        if all(i in non_seqs or i in invariant or isinstance(i, Constant) for i in node.inputs) \
                and any(i in non_seqs or i in invariant for i in node.inputs):
            invariant.update(node.outputs)
    roots = []
    for v in invariant:
        readers = op.inner.clients.get(v, ())
        if any(c == 'output' or not set(c.outputs) <= invariant for c, _ in readers):
            roots.append(v)
    return sorted(roots, key=lambda v: v.auto_name)


@register('scan_hoist_invariants', phase='canonicalize', tracks=(Scan,))
def scan_hoist_invariants(fgraph, node):
    op = node.op
    roots = _invariant_roots(op)
    if not roots:
        return None
    inner_non = op.inner.inputs[op.inner_slices()[3]]
    outer_non = node.inputs[op.outer_slices()[3]]
    _, hoisted, _ = clone_graph(inner_non, roots, replace=dict(zip(inner_non, outer_non)))
    placeholders = [v.type() for v in roots]
    for ph, v in zip(placeholders, roots):
        ph.name = v.name
    inner = FunctionGraph(op.inner.inputs + placeholders, op.inner.outputs,
                          replace=dict(zip(roots, placeholders)))
    new_op = op.with_changes(inner=inner, n_non_seqs=op.n_non_seqs + len(roots))
    new_node = new_op.make_node(*node.inputs, *hoisted)
    return _same_outputs(fgraph, node, new_node)


def _same_outputs(fgraph, node, new_node):
    return {old: new for old, new in zip(node.outputs, new_node.outputs) if fgraph.clients.get(old)}


# -- a loop with nothing fed back is one pass over whole arrays ------------------------
def _vectorizable(op):
    return (op.n_states == 0 and op.n_finals == 0 and not op.as_while and op.n_nit > 0
            and not op.steps_from_user
            and all(has_batch_rule(n.op) for n in op.inner.apply_nodes))


@register('scan_vectorize', phase='canonicalize', tracks=(Scan,))
def scan_vectorize(fgraph, node):
    op = node.op
    if not _vectorizable(op):
        return None
    n_steps = node.inputs[0]
    seqs = node.inputs[op.outer_slices()[0]]
    # A symbolic stop even when n_steps is a constant: the rows stay of unknown number,
    # like the Scan outputs being replaced.
    first_rows = Subtensor((('slice', None, IN, None),))
    memo = {ph: first_rows(seq, n_steps) for ph, seq in zip(op.inner.inputs[:op.n_seqs], seqs)}
    batched = set(memo)
    for ph, outer in zip(op.inner.inputs[op.inner_slices()[3]], node.inputs[op.outer_slices()[3]]):
        memo[ph] = outer
    for inner_node in toposort(op.inner.outputs, blockers=op.inner.inputs):
        flags = [i in batched for i in inner_node.inputs]
        args = [memo.get(i, i) for i in inner_node.inputs]
        if not any(flags):
            made = inner_node.op.make_node(*args).outputs
        else:
            try:
                made, out_flags = zip(*batch_node(inner_node, args, flags, n_steps))
            except NoBatchRule:
                return None
            batched.update(o for o, b in zip(inner_node.outputs, out_flags) if b)
        memo.update(zip(inner_node.outputs, made))
    replacements = {}
    for old, inner_out in zip(node.outputs, op.inner.outputs):
        if inner_out not in batched:
            return None  # the same value at every step: leave the loop to repeat it
        new = memo[inner_out]
        if new.type != old.type:
            return None
        if fgraph.clients.get(old):
            replacements[old] = new
    return replacements


# -- drop what nothing reads ------------------------------------------------------------
def _needed(op, used_outputs, condition=True):
    """Which inner inputs and outputs the used outer outputs need (fed-back values included;
    the `until` condition too unless `condition` is False)."""
    inner = op.inner
    _, taps, finals, _ = op.inner_slices()
    tap_owner = {}
    pos = taps.start
    for i, t in enumerate(op.state_taps):
        for _ in t:
            tap_owner[inner.inputs[pos]] = i
            pos += 1
    for m, v in enumerate(inner.inputs[finals]):
        tap_owner[v] = op.n_states + op.n_nit + m
    keep_out = set(used_outputs) | ({len(inner.outputs) - 1} if op.as_while and condition else set())
    while True:
        reads = set(ancestors([inner.outputs[k] for k in keep_out], blockers=inner.inputs))
        more = {tap_owner[v] for v in reads if v in tap_owner} - keep_out
        if not more:
            return keep_out, reads
        keep_out |= more


@register('scan_prune', phase='canonicalize', tracks=(Scan,))
def scan_prune(fgraph, node):
    """Drop outputs nothing reads (with their fed-back inputs) and inputs the step ignores."""
    op = node.op
    used = {k for k, o in enumerate(node.outputs) if fgraph.clients.get(o)}
    keep_out, reads = _needed(op, used)
    inner_in = op.inner.inputs
    s_seq, s_tap, s_fin, s_non = op.inner_slices()
    o_seq, o_init, o_fin, o_non = op.outer_slices()
    seq_keep = [j for j in range(op.n_seqs) if inner_in[j] in reads]
    state_keep = [i for i in range(op.n_states) if i in keep_out]
    nit_keep = [j for j in range(op.n_nit) if op.n_states + j in keep_out]
    base = op.n_states + op.n_nit
    fin_keep = [m for m in range(op.n_finals) if base + m in keep_out]
    non_keep = [k for k in range(op.n_non_seqs) if inner_in[s_non.start + k] in reads]
    if (len(seq_keep), len(state_keep), len(nit_keep), len(fin_keep), len(non_keep)) == \
            (op.n_seqs, op.n_states, op.n_nit, op.n_finals, op.n_non_seqs):
        return None
    starts = [s_tap.start + sum(len(t) for t in op.state_taps[:i]) for i in range(op.n_states)]
    new_in = [inner_in[j] for j in seq_keep]
    new_in += [inner_in[starts[i] + q] for i in state_keep for q in range(len(op.state_taps[i]))]
    new_in += [inner_in[s_fin.start + m] for m in fin_keep]
    new_in += [inner_in[s_non.start + k] for k in non_keep]
    out_index = state_keep + [op.n_states + j for j in nit_keep] + [base + m for m in fin_keep]
    if op.as_while:
        out_index.append(len(op.inner.outputs) - 1)
    inner = FunctionGraph(new_in, [op.inner.outputs[k] for k in out_index])
    new_op = op.with_changes(
        inner=inner, n_seqs=len(seq_keep), state_taps=tuple(op.state_taps[i] for i in state_keep),
        n_nit=len(nit_keep), n_finals=len(fin_keep), n_non_seqs=len(non_keep),
        keep=tuple(op.keep[i] for i in state_keep) + tuple(op.keep[op.n_states + j] for j in nit_keep))
    outer = node.inputs
    new_node = new_op.make_node(
        outer[0], *[outer[o_seq.start + j] for j in seq_keep],
        *[outer[o_init.start + i] for i in state_keep], *[outer[o_fin.start + m] for m in fin_keep],
        *[outer[o_non.start + k] for k in non_keep])
    old_outs = [node.outputs[k] for k in state_keep] + [node.outputs[op.n_states + j] for j in nit_keep] + \
        [node.outputs[base + m] for m in fin_keep]
    return {old: new for old, new in zip(old_outs, new_node.outputs) if fgraph.clients.get(old)}


# -- one loop instead of two ----------------------------------------------------------
def _mergeable(a, b):
    shared_inputs = set(a.op.inner.inputs) & set(b.op.inner.inputs)  # copies of one loop
    return (not shared_inputs and a.op.as_while is False and b.op.as_while is False
            and a.op.checkpoint is None and b.op.checkpoint is None
            and a.op.truncate_gradient == b.op.truncate_gradient
            and _same_steps(a.inputs[0], b.inputs[0]))


def _same_steps(x, y):
    if x is y:
        return True
    return isinstance(x, Constant) and isinstance(y, Constant) and int(x.data) == int(y.data)


def _kinds(values, slices):
    return [values[s] for s in slices]


def merge_scans(a, b):
    """A Scan node running the steps of `a` and `b` together (they must not depend on each other)."""
    oa, ob = a.op, b.op
    ia, ib = _kinds(oa.inner.inputs, oa.inner_slices()), _kinds(ob.inner.inputs, ob.inner_slices())
    inner_inputs = [v for k in range(4) for v in ia[k] + ib[k]]
    sa, sb = oa.n_states, ob.n_states
    na, nb = oa.n_nit, ob.n_nit
    outs_a, outs_b = oa.inner.outputs, ob.inner.outputs
    inner_outputs = (outs_a[:sa] + outs_b[:sb] + outs_a[sa:sa + na] + outs_b[sb:sb + nb]
                     + outs_a[sa + na:] + outs_b[sb + nb:])
    op = Scan(FunctionGraph(inner_inputs, inner_outputs), n_seqs=oa.n_seqs + ob.n_seqs,
              state_taps=oa.state_taps + ob.state_taps, n_nit=na + nb,
              n_finals=oa.n_finals + ob.n_finals, n_non_seqs=oa.n_non_seqs + ob.n_non_seqs,
              keep=oa.keep[:sa] + ob.keep[:sb] + oa.keep[sa:] + ob.keep[sb:],
              truncate_gradient=oa.truncate_gradient,
              steps_from_user=oa.steps_from_user or ob.steps_from_user,
              name=f'{oa.name or "scan_fn"}&{ob.name or "scan_fn"}')
    xa, xb = _kinds(a.inputs, oa.outer_slices()), _kinds(b.inputs, ob.outer_slices())
    node = op.make_node(a.inputs[0], *[v for k in range(4) for v in xa[k] + xb[k]])
    new = node.outputs
    fa, fb = oa.n_finals, ob.n_finals
    mapping = list(zip(a.outputs[:sa], new[:sa])) + list(zip(b.outputs[:sb], new[sa:sa + sb]))
    at = sa + sb
    mapping += list(zip(a.outputs[sa:sa + na], new[at:at + na]))
    mapping += list(zip(b.outputs[sb:sb + nb], new[at + na:at + na + nb]))
    at += na + nb
    mapping += list(zip(a.outputs[sa + na:], new[at:at + fa])) + list(zip(b.outputs[sb + nb:], new[at + fa:]))
    return mapping


@register('scan_merge', phase='specialize', tracks=None)
def scan_merge(fgraph):
    """Two loops with the same number of steps, neither reading the other, run as one."""
    scans = [n for n in fgraph.toposort() if isinstance(n.op, Scan)]
    for k, a in enumerate(scans):
        for b in scans[k + 1:]:
            if not _mergeable(a, b) or set(a.outputs) & set(ancestors(b.inputs)):
                continue
            return {old: new for old, new in merge_scans(a, b) if fgraph.clients.get(old)}
    return None
