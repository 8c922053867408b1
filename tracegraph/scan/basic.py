"""scan(): build a Scan node from a Python step function (Theano's `theano.scan`).

The steps: describe the sequences (one shifted slice per tap), the outputs (fed
back with taps, or not), call `fn` once on placeholders, read back its outputs,
updates and `until` condition, check each fed-back output against its initial
value, collect the outer variables `fn` reads (non-sequences, listed or not),
and wrap the traced step as the inner graph of one Scan node.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir import Constant, FunctionGraph, Variable
from ..tensor.basic import as_tensor_variable, constant
from ..tensor.math import shape_padleft
from ..tensor.shared import SharedVariable, checked_update
from ..tensor.type import TensorType
from .marks import checkpoint_option
from .op import Scan
from .outer_draws import read_as_is


@dataclass(frozen=True)
class Until:
    """What `until(condition)` returns: stop the loop after the step where it holds."""

    condition: Variable


def until(condition):
    """Return this from `fn` (with the outputs) to stop the loop once `condition` is true."""
    cond = as_tensor_variable(condition)
    if cond.ndim != 0:
        raise TypeError(f'until() needs a scalar condition, got {cond} ({cond.type})')
    if cond.dtype != 'bool':
        cond = cond != 0
    return Until(cond)


@dataclass
class _Sequence:
    outer: Variable
    taps: tuple
    placeholders: list


@dataclass
class _Output:
    position: int            # index in outputs_info
    initial: Variable | None  # buffer with L leading rows, or None (not fed back)
    taps: tuple
    placeholders: list


def scan(fn, sequences=None, outputs_info=None, non_sequences=None, n_steps=None,
         truncate_gradient=-1, go_backwards=False, strict=False, return_list=False,
         name=None, mode=None, profile=False, checkpoint=None):
    """Loop `fn` over sequences and fed-back outputs; returns (outputs, updates).

    See API.md, "Loops".  `mode` and `profile` are accepted for Theano code and
    ignored: the loop is compiled with the function that uses it.

    `checkpoint` bounds the memory of the loop's gradient: None (the default)
    keeps every step of every state for backpropagation; an int K keeps every
    K-th state and recomputes the steps in between, one segment at a time, in
    the backward pass (about n/K + 3K rows instead of n, for one more forward
    pass); 'auto' takes K = ceil(sqrt(n)) for the n steps of each call; 'nested'
    uses two levels (segments of b*b steps, each backpropagated b steps at a time,
    b = ceil(cbrt(n))): about 4 cbrt(n) rows plus a few copies of each weight's
    gradient, for two more forward passes.  The gradients are the same.  Random draws inside `fn` cannot be recomputed
    (their stream state at each segment is not kept): the gradient then raises.
    """
    seqs = [_sequence(s, k, go_backwards) for k, s in enumerate(_as_list(sequences))]
    outs_info = _as_list(outputs_info)
    states = [o for o in (_output(item, k) for k, item in enumerate(outs_info)) if o is not None]
    non_seqs = [_non_sequence(v) for v in _as_list(non_sequences)]
    step = _trace(fn, seqs, states, non_seqs, outs_info, name)
    free = _outer_reads(step.inner_outputs, step.placeholders, step.made_outside)
    if strict:
        _check_strict(free, non_seqs)
    outer_non_seqs = _unique([v for v in non_seqs + free if v not in set(step.finals)])
    op = Scan(_inner_graph(step, outer_non_seqs), n_seqs=sum(len(s.taps) for s in seqs),
              state_taps=tuple(o.taps for o in states), n_nit=len(step.nit_positions),
              n_finals=len(step.finals), n_non_seqs=len(outer_non_seqs),
              as_while=step.condition is not None, truncate_gradient=int(truncate_gradient),
              steps_from_user=n_steps is not None and bool(seqs), name=name,
              checkpoint=checkpoint_option(checkpoint, name))
    outer_seqs = [_tap_slice(s.outer, s.taps, tap) for s in seqs for tap in s.taps]
    results = op(_n_steps(n_steps, outer_seqs), *outer_seqs, *[o.initial for o in states],
                 *step.finals, *outer_non_seqs)
    results = results if isinstance(results, list) else [results]
    return _user_results(results, states, step.nit_positions, step.finals, step.n_outputs,
                         return_list)


@dataclass
class _Step:
    """What calling fn once on placeholders gave, sorted by kind."""

    rows: list             # placeholders for the sequences' rows and the past states
    args: list             # what fn received: rows, then the non-sequences
    inner_outputs: list    # new states, nit outputs, new final values, [condition]
    nit_positions: list    # where each nit output sits among fn's outputs
    finals: list           # shared variables the loop updates
    final_placeholders: list
    condition: Variable | None
    n_outputs: int
    made_outside: object   # variable -> bool: built before fn ran

    @property
    def placeholders(self):
        return set(self.args) | set(self.finals)


def _trace(fn, seqs, states, non_seqs, outs_info, name):
    rows = [p for s in seqs for p in s.placeholders] + [p for o in states for p in o.placeholders]
    args = rows + non_seqs
    made_outside = read_as_is(_made_before(Variable(None)), non_seqs)
    outputs, updates, condition = _parse_result(fn(*args))
    if not outputs and not updates:
        raise ValueError(f'scan{_label(name)}: fn returned neither outputs nor updates')
    outputs = _match_outputs(outputs, outs_info, name)
    state_outs = _check_states(outputs, states, name)
    fed_back = {o.position for o in states}
    nit_positions = [k for k in range(len(outputs)) if k not in fed_back]
    nit_outs = [outputs[k] for k in nit_positions]
    roots = state_outs + nit_outs + list(updates.values()) + ([condition] if condition is not None else [])
    updates = _with_default_updates(roots, updates, made_outside)
    inner_outputs = state_outs + nit_outs + [checked_update(s, e) for s, e in updates.items()]
    if condition is not None:
        inner_outputs.append(condition)
    finals = list(updates)
    return _Step(rows, args, inner_outputs, nit_positions, finals, [s.type() for s in finals],
                 condition, len(outputs), made_outside)


def _inner_graph(step, outer_non_seqs):
    """The step as a FunctionGraph: outer variables it reads become its last inputs."""
    non_seq_phs = [v.type() for v in outer_non_seqs]
    for ph, v in zip(non_seq_phs, outer_non_seqs):
        ph.name = v.name
    replace = dict(zip(step.finals, step.final_placeholders)) | dict(zip(outer_non_seqs, non_seq_phs))
    inputs = step.rows + step.final_placeholders + non_seq_phs
    return FunctionGraph(inputs, step.inner_outputs, clone=True, replace=replace)


# -- describing the inputs ----------------------------------------------------------
def _as_list(x):
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _sequence(item, k, go_backwards):
    if isinstance(item, dict):
        unknown = set(item) - {'input', 'taps'}
        if unknown or 'input' not in item:
            raise TypeError(f'scan: sequence {k} must be a variable or dict(input=..., taps=[...]), '
                            f'got keys {sorted(item)}')
        outer, taps = item['input'], item.get('taps', [0])
    else:
        outer, taps = item, [0]
    outer = as_tensor_variable(outer)
    if outer.ndim == 0:
        raise TypeError(f'scan: sequence {k} ({outer}) is a scalar; a sequence needs a leading '
                        'axis to iterate over')
    taps = tuple(sorted({int(t) for t in (taps if taps is not None else [0])}))
    if not taps:
        raise ValueError(f'scan: sequence {k} ({outer}) has no taps')
    if go_backwards:
        outer = outer[::-1]
    row = TensorType(outer.type.dtype, outer.type.shape[1:])
    base = outer.name or f'seq{k}'
    phs = [row(base if t == 0 else f'{base}[t{t:+d}]') for t in taps]
    return _Sequence(outer, taps, phs)


def _output(item, k):
    """None for an output that is not fed back, else its initial buffer and taps."""
    if item is None:
        return None
    if isinstance(item, dict):
        if item.get('initial') is None:
            return None
        taps = item.get('taps', [-1])
        initial = as_tensor_variable(item['initial'])
        taps = tuple(sorted({int(t) for t in (taps or [-1])}))
        if any(t >= 0 for t in taps):
            raise ValueError(f'scan: outputs_info[{k}] has taps {list(taps)}; an output can only '
                             'read its past values (negative taps)')
        if taps == (-1,):  # Theano: the initial value then has the shape of one output
            return _state(k, shape_padleft(initial), taps, initial.name)
        window = -taps[0]
        if initial.ndim == 0:
            raise TypeError(f'scan: outputs_info[{k}] has taps {list(taps)}, so its initial value '
                            f'needs a leading axis of at least {window} past values; got a scalar')
        length = initial.type.shape[0]
        if length is not None and length < window:
            raise ValueError(f'scan: outputs_info[{k}] has taps {list(taps)}: its initial value '
                             f'needs at least {window} rows, {initial} has {length}')
        if length != window:
            initial = initial[:window]
        return _state(k, initial, taps, initial.name)
    initial = as_tensor_variable(item)
    return _state(k, shape_padleft(initial), (-1,), item.name if isinstance(item, Variable) else None)


def _state(k, buffer, taps, name):
    row = TensorType(buffer.type.dtype, buffer.type.shape[1:])
    base = name or f'out{k}'
    phs = [row(f'{base}[t{t:+d}]') for t in taps]
    return _Output(k, buffer, taps, phs)


def _non_sequence(v):
    if isinstance(v, Variable):
        return v
    return as_tensor_variable(v)


# -- reading what fn returned -------------------------------------------------------
def _parse_result(result):
    """fn may return outputs, an updates dict, and until(...), in any order in a tuple."""
    outputs, updates, condition = [], {}, None
    items = list(result) if isinstance(result, tuple) else [result]
    if isinstance(result, list) and not any(isinstance(i, (dict, Until)) for i in result):
        items = [result]
    for item in items:
        if isinstance(item, Until):
            condition = item.condition
        elif isinstance(item, dict):
            updates.update(item)
        elif isinstance(item, (list, tuple)):
            if all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], SharedVariable) for p in item) and item:
                updates.update(dict(item))
            else:
                outputs.extend(item)
        elif item is not None:
            outputs.append(item)
    for target in updates:
        if not isinstance(target, SharedVariable):
            raise TypeError(f'scan: fn returned an update of {target}, which is not a shared variable')
    return [_as_output(o, k) for k, o in enumerate(outputs)], updates, condition


def _as_output(o, k):
    try:
        return as_tensor_variable(o)
    except TypeError as exc:
        raise TypeError(f'scan: output {k} returned by fn ({o!r}) is not a tensor: {exc}') from None


def _match_outputs(outputs, outs_info, name):
    if outs_info and len(outs_info) != len(outputs):
        raise ValueError(f'scan{_label(name)}: fn returned {len(outputs)} output(s) but outputs_info '
                         f'describes {len(outs_info)}; give one entry per output (None for an '
                         'output that is not fed back)')
    return outputs


def _label(name):
    return f' {name!r}' if name else ''


def _check_states(outputs, states, name):
    """The pitfall: a fed-back output must have its initial value's dtype and shape."""
    checked = []
    for o in states:
        out = outputs[o.position]
        row = o.placeholders[0].type
        weak = getattr(out, 'weak', None)
        if weak is not None and out.ndim == 0 and out.dtype != row.dtype:
            from ..tensor.elemwise import _adopt
            out = _adopt(out, row.dtype)
        if out.dtype != row.dtype or out.ndim != row.ndim or _conflict(out.type.shape, row.shape):
            raise TypeError(
                f'scan{_label(name)}: output {o.position} ({out}) is fed back, but fn returns '
                f'{out.type} while its initial value in outputs_info is {row}. They must have the '
                f'same dtype and shape (scan never downcasts silently): give an initial value of '
                f'dtype {out.dtype}, e.g. T.as_tensor_variable(numpy.asarray(0, dtype='
                f'{out.dtype!r})), or cast the output in fn.')
        checked.append(out)
    return checked


def _conflict(a, b):
    return any(x is not None and y is not None and x != y for x, y in zip(a, b))


def _with_default_updates(roots, updates, made_outside):
    """Shared variables read inside fn with a `default_update` (random streams) get it,
    so the loop advances them and scan returns their final value as an update."""
    updates = dict(updates)
    frontier = list(roots)
    while frontier:
        found = []
        for v in _outer_reads(frontier, set(), made_outside):
            if isinstance(v, SharedVariable) and v.default_update is not None and v not in updates:
                updates[v] = v.default_update
                found.append(v.default_update)
        frontier = found
    return updates


def _outer_reads(roots, placeholders, made_outside):
    """The outer variables the step reads, in the order first met.

    A variable built before fn ran is read as it is, computed once outside, not
    rebuilt inside each step, except a random draw, which is redrawn at every step
    unless it is listed in non_sequences (see outer_draws.py).
    """
    seen, found, stack = set(), [], list(reversed(roots))
    while stack:
        v = stack.pop()
        if v in seen or v in placeholders or isinstance(v, Constant):
            continue
        seen.add(v)
        if v.owner is None or made_outside(v):
            found.append(v)
        else:
            stack.extend(reversed(v.owner.inputs))
    return found


def _made_before(marker):
    """A test for variables created before `marker` (variable ids only grow)."""
    limit = int(marker.auto_name[1:])
    return lambda v: int(v.auto_name[1:]) < limit


def _unique(variables):
    seen, out = set(), []
    for v in variables:
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


def _check_strict(free, non_seqs):
    missing = [v for v in free if v not in set(non_seqs)]
    if missing:
        raise ValueError('scan(strict=True): fn reads ' + ', '.join(str(v) for v in missing)
                         + ' without it being listed in non_sequences')


# -- the outer side -------------------------------------------------------------------
def _tap_slice(outer, taps, tap):
    """Rows of `outer` that tap `tap` reads, one per step: x[t + tap - min(taps, 0)]."""
    lo, hi = min(taps[0], 0), max(taps[-1], 0)
    start, stop = tap - lo, tap - hi
    if start == 0 and stop == 0:
        return outer
    return outer[start:stop if stop != 0 else None]


def _n_steps(n_steps, outer_seqs):
    from ..tensor import math as tm
    if n_steps is not None:
        n = as_tensor_variable(n_steps)
        if n.ndim != 0 or n.dtype[:3] not in ('int', 'uin'):
            raise TypeError(f'scan: n_steps must be an integer scalar, got {n_steps!r}')
        return n if n.dtype == 'int64' else tm.cast(n, 'int64')
    if not outer_seqs:
        raise ValueError('scan: no sequences and no n_steps, so the number of steps is unknown; '
                         'pass n_steps=... (with until(...) it is the maximum)')
    known = [s.type.shape[0] for s in outer_seqs if s.type.shape[0] is not None]
    if len(known) == len(outer_seqs):
        return constant(np.asarray(min(known), dtype='int64'))
    lengths = [tm.shape(s)[0] for s in outer_seqs if s.type.shape[0] is None]
    if known:
        lengths.append(constant(np.asarray(min(known), dtype='int64')))
    n = lengths[0]
    for other in lengths[1:]:
        n = tm.minimum(n, other)
    return n


def _user_results(results, states, nit_positions, finals, n_outputs, return_list):
    by_position = {}
    for o, r in zip(states, results):
        by_position[o.position] = r
    for k, r in zip(nit_positions, results[len(states):]):
        by_position[k] = r
    outputs = [by_position[k] for k in range(n_outputs)]
    updates = dict(zip(finals, results[len(states) + len(nit_positions):]))
    if len(outputs) == 1 and not return_list:
        return outputs[0], updates
    return outputs, updates
