"""The Scan op: one node of the outer graph that runs an inner FunctionGraph in a loop.

`tracegraph.scan.scan` builds it; backends lower it through the hook
`tracegraph_lower_scan`.  Everything a backend needs is plain data on the op,
described in the class docstring below.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..ir import Apply, FunctionGraph, Op
from ..tensor.basic import as_tensor_variable
from ..tensor.type import TensorType
from .grad import scan_grad


@dataclass(frozen=True)
class Scan(Op):
    """Run `inner` once per step, feeding some of its outputs back as inputs.

    Four kinds of loop-carried values, always in this order:

    * sequences (`n_seqs`): step t reads row t of an outer array.  Taps on
      sequences are resolved by `scan()` into shifted outer slices, so each inner
      sequence input is exactly "row t".
    * states (`state_taps`, one tuple of negative ints per state, sorted): step t
      reads rows t+k (k in taps) of the state's history and writes row t.  The
      outer input is an initial buffer whose first L = -min(taps) rows are the
      values before step 0 (row L-1 is "step -1").  The outer output holds the
      rows the loop wrote (n_steps of them, or only the last `keep[i]`).
    * nit outputs (`n_nit`): computed at each step, not fed back; the outer
      output stacks them (or only the last `keep[n_states + j]`).
    * finals (`n_finals`): values carried from step to step of which only the
      last is returned (shared variables updated inside the loop, e.g. random
      generator states or counters).  Their type need not be a tensor.

    Outer inputs:  n_steps (int64 scalar), sequences, state initial buffers,
                   final initial values, non-sequences (`n_non_seqs`).
    Inner inputs:  one per sequence, one per (state, tap) in `state_taps` order,
                   one per final, one per non-sequence.
    Inner outputs: new state values, nit values, new final values, and, when
                   `as_while`, a boolean scalar: stop after this step when true
                   (the outputs then hold only the steps actually run).
    Outer outputs: one per state, one per nit output, one per final.

    `steps_from_user` is True when n_steps came from the user while there are
    sequences: the loop must then check that each sequence has n_steps rows
    (otherwise n_steps is the shortest sequence's length by construction).
    `keep[i]` is None (every step kept) or k (only the last min(k, steps run)
    rows; the memory-saving rewrite sets it).  `truncate_gradient` (-1: all)
    bounds backpropagation through time.  `checkpoint` (see checkpoint.py) is
    read by the gradient only: a `Checkpoint` makes it store every K-th state and
    recompute the rest, a `Segments` marks the segmented loop that gradient runs;
    a backend runs the loop the same either way.  `name` is for printing only.

    A backend lowers the node by rewriting a private copy of `inner` for itself
    (`rewrite_graph(FunctionGraph(inner.inputs, inner.outputs), extra=...)`),
    linking it as the loop body, and running n_steps steps (fewer with `until`).
    The NumPy backend's `tracegraph_numpy.scan` is the reference lowering.
    """

    inner: FunctionGraph
    n_seqs: int
    state_taps: tuple
    n_nit: int
    n_finals: int
    n_non_seqs: int
    as_while: bool = False
    keep: tuple = ()
    truncate_gradient: int = -1
    steps_from_user: bool = False
    name: str | None = None
    checkpoint: object = None

    lowering_hook = 'tracegraph_lower_scan'

    def __post_init__(self):
        if not self.keep:
            object.__setattr__(self, 'keep', (None,) * (self.n_states + self.n_nit))
        expected = self.n_seqs + self.n_tap_inputs + self.n_finals + self.n_non_seqs
        if len(self.inner.inputs) != expected:
            raise ValueError(f'Scan: the inner graph has {len(self.inner.inputs)} inputs, '
                             f'its description needs {expected}')
        outs = self.n_states + self.n_nit + self.n_finals + int(self.as_while)
        if len(self.inner.outputs) != outs:
            raise ValueError(f'Scan: the inner graph has {len(self.inner.outputs)} outputs, '
                             f'its description needs {outs}')

    # -- sizes ------------------------------------------------------------------
    @property
    def n_states(self):
        return len(self.state_taps)

    @property
    def n_tap_inputs(self):
        return sum(len(t) for t in self.state_taps)

    @property
    def windows(self):
        """L per state: how many rows before step 0 its taps reach."""
        return tuple(-min(t) for t in self.state_taps)

    @property
    def n_outer_outputs(self):
        return self.n_states + self.n_nit + self.n_finals

    def state_storage(self, i):
        """How a loop keeps state i's rows: 'full' (every step), 'carry' (read at tap -1
        only and just its last value kept: one value, no buffer) or 'ring' (the last
        `ring_size(i)` rows, reused in turn)."""
        keep = self.keep[i]
        if keep is None:
            return 'full'
        if self.state_taps[i] == (-1,) and keep == 1:
            return 'carry'
        return 'ring'

    def ring_size(self, i):
        """Rows of state i's ring: enough for its taps and for the rows kept."""
        return max(self.windows[i], self.keep[i])

    def inner_slices(self):
        """(sequences, state taps, finals, non-sequences) as slices of inner.inputs."""
        a = self.n_seqs
        b = a + self.n_tap_inputs
        c = b + self.n_finals
        return slice(0, a), slice(a, b), slice(b, c), slice(c, c + self.n_non_seqs)

    def outer_slices(self):
        """(sequences, state buffers, finals, non-sequences) as slices of node.inputs."""
        a = 1 + self.n_seqs
        b = a + self.n_states
        c = b + self.n_finals
        return slice(1, a), slice(a, b), slice(b, c), slice(c, c + self.n_non_seqs)

    def with_changes(self, **changes):
        return replace(self, **changes)

    # -- building ---------------------------------------------------------------
    def make_node(self, n_steps, *inputs):
        n_steps = as_tensor_variable(n_steps)
        if n_steps.ndim != 0 or n_steps.dtype[:3] not in ('int', 'uin'):
            raise TypeError(f'Scan: n_steps must be an integer scalar, got {n_steps.type}')
        if len(inputs) != self.n_seqs + self.n_states + self.n_finals + self.n_non_seqs:
            raise TypeError(f'Scan: wrong number of outer inputs ({len(inputs)})')
        inputs = [n_steps] + list(inputs)
        self._check_outer_types(inputs)
        return Apply(self, inputs, self._output_types(inputs))

    def _check_outer_types(self, inputs):
        seqs, states, finals, non_seqs = (inputs[s] for s in self.outer_slices())
        inner = self.inner.inputs
        i_seqs, i_taps, i_finals, i_non = (inner[s] for s in self.inner_slices())
        for outer, placeholder in zip(seqs, i_seqs):
            _check_row_type(outer, placeholder.type, 'sequence')
        for outer, placeholder in zip(states, _first_taps(i_taps, self.state_taps)):
            _check_row_type(outer, placeholder.type, 'initial state')
        for outer, placeholder in list(zip(finals, i_finals)) + list(zip(non_seqs, i_non)):
            if outer.type != placeholder.type and not _fits(placeholder.type, outer.type):
                raise TypeError(f'Scan: outer input {outer} ({outer.type}) does not fit the inner '
                                f'input {placeholder} ({placeholder.type})')

    def _output_types(self, inputs):
        outs = self.inner.outputs
        made = []
        # The number of rows stays unknown: rewrites (constant folding of n_steps, keeping
        # fewer rows) must be able to rebuild the node with the very same output types.
        for out in outs[:self.n_states + self.n_nit]:
            made.append(TensorType(out.type.dtype, (None,) + out.type.shape)())
        finals_in = inputs[self.outer_slices()[2]]
        made += [v.type() for v in finals_in]
        return made

    # -- printing and inner graphs ---------------------------------------------
    def inner_graphs(self):
        return [self.inner]

    def __str__(self):
        parts = [self.name or 'scan_fn']
        if self.as_while:
            parts.append('while')
        if any(k is not None for k in self.keep):
            parts.append('keep=' + ','.join('all' if k is None else str(k) for k in self.keep))
        if self.checkpoint is not None:
            parts.append(str(self.checkpoint))
        return 'Scan{' + ', '.join(parts) + '}'

    # -- gradient ----------------------------------------------------------------
    def L_op(self, inputs, outputs, output_grads):
        return scan_grad(self, inputs, outputs, output_grads)

    def grad(self, inputs, output_grads):
        outputs = self.make_node(*inputs).outputs
        return self.L_op(inputs, outputs, output_grads)


def _first_taps(tap_inputs, state_taps):
    pos = 0
    for taps in state_taps:
        yield tap_inputs[pos]
        pos += len(taps)


def _fits(want, got):
    is_super = getattr(want, 'is_super', None)
    return is_super is not None and is_super(got)


def _check_row_type(outer, row_type, what):
    if not isinstance(outer.type, TensorType) or outer.type.ndim != row_type.ndim + 1:
        raise TypeError(f'Scan: {what} {outer} ({outer.type}) must have one more dimension '
                        f'than its rows ({row_type})')
    if outer.type.dtype != row_type.dtype:
        raise TypeError(f'Scan: {what} {outer} is {outer.type.dtype}, its rows are {row_type.dtype}')
