"""The loop around a Scan node's inner graph, written as Python source.

The NumPy backend runs this loop as plain Python (exec'd); the Numba backend writes it
inside its graph function, compiled with @njit.  Both write the same lines from here;
a backend's subclass says only what differs: how a line is emitted, how the step's own
code is spliced in, and how it reports a step output of the wrong shape.

Buffers are allocated once, before the loop:

* a state keeps its whole history (`L + n` rows, the first L its initial value), or,
  when the memory rewrite set `keep`, a ring of `ring_size` rows, indexed modulo its
  size; a state read only at tap -1 whose last value alone is kept is carried in a
  local variable, with no buffer at all (A**k);
* a nit output (one not fed back) gets its buffer at step 0, once its row shape is
  known; until then an empty placeholder stands in, which is what zero steps return;
* finals (shared-variable updates) are carried in local variables.

After the loop a result is a slice of its buffer (a full history), its ring's rows
gathered in step order (`arange % size`), or the carried value.
"""
from __future__ import annotations

import numpy as np


def field(expr):
    """`expr` as a replacement field of a message (messages are f-strings' text)."""
    return '{' + expr + '}'


class ScanLoopWriter:
    """Writes one Scan node's loop, line by line, through `add`.

    A subclass defines `add`, `write_step` and `wrong_shape`, and overrides a step of
    `write` where its backend does it differently (e.g. the NumPy backend's loop header).
    """

    np = 'np'   # the NumPy module's name in the generated code

    def __init__(self, op, inner, names, outer, results, depth=0):
        """`names`: the step code's name of each inner input; `outer`: the loop's name of
        each input of the node (n_steps first); `results`: the names its outputs get."""
        self.op, self.inner, self.results, self.depth = op, inner, results, depth
        self.names = dict(zip(inner.inputs, names))
        self.steps_in = outer[0]
        self.seqs, self.inits, self.finals, self.non_seqs = (outer[s] for s in op.outer_slices())
        self.i_seqs, i_taps, self.i_finals, self.i_non = (inner.inputs[s] for s in op.inner_slices())
        self.tap_names, pos = [], 0
        for taps in op.state_taps:
            self.tap_names.append([self.names[v] for v in i_taps[pos:pos + len(taps)]])
            pos += len(taps)
        self.label = f'scan {op.name!r}' if op.name else 'scan'
        self.counts = {}

    # -- what a backend provides ---------------------------------------------------------
    def add(self, line):
        """Append one line, indented already, to the generated code."""
        raise NotImplementedError

    def write_step(self):
        """Write the step's own code at `self.depth`; return the names of its outputs."""
        raise NotImplementedError

    def wrong_shape(self, value, want, what):
        """The message (an f-string's text) when step output `value` has not the shape `want`."""
        raise NotImplementedError

    def temp(self, hint):
        """A fresh name for the loop's own use (the step's names never start with `_`)."""
        k = self.counts[hint] = self.counts.get(hint, -1) + 1
        return f'_{hint}{k}'

    # -- helpers -------------------------------------------------------------------------
    def emit(self, text):
        self.add('    ' * self.depth + text)

    def raising(self, message):
        """The statement raising ValueError(f'<label>: message').  repr() quotes the text
        whatever the scan's name holds; the `f` in front makes its fields live."""
        label = self.label.replace('{', '{{').replace('}', '}}')
        return f'raise ValueError(f{label + ": " + message!r})'

    def fail(self, condition, message):
        self.emit(f'if {condition}:')
        self.emit('    ' + self.raising(message))

    def empty(self, shape, variable):
        """An uninitialized array of `shape` (source text) and `variable`'s dtype."""
        return f'{self.np}.empty({shape}, dtype={self.np}.{np.dtype(variable.type.dtype).name})'

    def storage(self, i):
        return self.op.state_storage(i)

    def row(self, i, offset):
        """The row of state i's buffer `offset` rows past step t (a ring wraps around)."""
        index = self.t if offset == 0 else f'{self.t} + {offset}'
        return f'({index}) % {self.op.ring_size(i)}' if self.storage(i) == 'ring' else index

    def first_tap(self, i):
        """The inner input of state i's first (oldest) tap."""
        return self.inner.inputs[self.op.n_seqs + sum(len(t) for t in self.op.state_taps[:i])]

    def nit_indices(self):
        return range(self.op.n_states, self.op.n_states + self.op.n_nit)

    # -- the whole loop ------------------------------------------------------------------
    def write(self):
        self.steps, self.run, self.t = self.temp('steps'), self.temp('run'), self.temp('t')
        self.emit(f'{self.steps} = {self.np}.int64({self.steps_in})')
        self.fail(f'{self.steps} < 0', f'n_steps is {field(self.steps)}; it must be >= 0')
        self.bind_inputs()
        self.check_sequences()
        self.shapes, self.buffers = {}, {}
        for i in range(self.op.n_states):
            self.start_state(i)
        self.nits = {k: self.start_nit(k) for k in self.nit_indices()}
        self.emit(f'{self.run} = {self.steps}')
        self.write_loop()
        self.write_results()

    def bind_inputs(self):
        """Non-sequences and the finals' first values under the step's names (where the
        loop does not receive them under those names already)."""
        for v, outer in zip(self.i_non + self.i_finals, self.non_seqs + self.finals):
            if self.names[v] != outer:
                self.emit(f'{self.names[v]} = {outer}')

    def check_sequences(self):
        if not self.op.steps_from_user:
            return  # n_steps is the shortest sequence's length by construction
        for j, seq in enumerate(self.seqs):
            self.fail(f'{seq}.shape[0] < {self.steps}',
                      f'sequence {j} has {field(seq + ".shape[0]")} rows but the loop runs '
                      f'{field(self.steps)} steps')

    def write_loop(self):
        self.start_loop()
        self.depth += 1
        self.read_taps()
        self.outs = self.write_step()
        self.end_step()
        self.depth -= 1

    def start_loop(self):
        self.emit(f'for {self.t} in range({self.steps}):')
        for v, seq in zip(self.i_seqs, self.seqs):
            self.emit(f'    {self.names[v]} = {seq}[{self.t}]')

    def end_step(self):
        """After the step's own code: its outputs stored, the finals carried, the until test."""
        carried = []
        for i in range(self.op.n_states):
            self.end_state(i, carried)
        if carried:     # one simultaneous assignment: a step may swap its states
            self.emit(', '.join(a for a, _ in carried) + ', = ' + ', '.join(b for _, b in carried) + ',')
        for k in self.nit_indices():
            self.end_nit(k)
        start = self.op.n_states + self.op.n_nit
        if self.i_finals:
            names = [self.names[v] for v in self.i_finals]
            self.emit(', '.join(names) + ', = ' + ', '.join(self.outs[start:start + len(names)]) + ',')
        if self.op.as_while:
            self.emit(f'if {self.outs[-1]}:')
            self.emit(f'    {self.run} = {self.t} + 1')
            self.emit('    break')

    # -- states: carried, full history, or ring --------------------------------------------
    def start_state(self, i):
        """Check state i's initial value, then give it a buffer or a carried variable."""
        taps, init = self.op.state_taps[i], self.inits[i]
        window = -taps[0]
        self.fail(f'{init}.shape[0] < {window}',
                  f'the initial value of state {i} has {field(init + ".shape[0]")} rows; '
                  f'its taps {list(taps)} need {window}')
        shape = self.shapes[i] = self.temp('shape')
        self.emit(f'{shape} = {init}.shape[1:]')
        if self.storage(i) == 'carry':
            self.start_carry(i)
            return
        buf = self.buffers[i] = self.temp('buf')
        size = f'{window} + {self.steps}' if self.storage(i) == 'full' else str(self.op.ring_size(i))
        self.emit(f'{buf} = {self.empty(f"({size},) + {shape}", self.inner.outputs[i])}')
        self.emit(f'{buf}[:{window}] = {init}[:{window}]')

    def start_carry(self, i):
        self.emit(f'{self.tap_names[i][0]} = {self.inits[i]}[0]')

    def read_taps(self):
        """At the top of a step, each tap's row of its state's buffer."""
        for i, buf in self.buffers.items():
            taps = self.op.state_taps[i]
            for tap, name in zip(taps, self.tap_names[i]):
                self.emit(f'{name} = {buf}[{self.row(i, tap - taps[0])}]')

    def needs_shape_check(self, k):
        """Broadcasting would hide a wrong row shape: check unless the types prove it."""
        out = self.inner.outputs[k]
        if None in out.type.shape:
            return True
        return k < self.op.n_states and self.first_tap(k).type.shape != out.type.shape

    def end_state(self, i, carried):
        """Check state i's new value, then write it into its buffer or carry it on."""
        value = self.outs[i]
        if self.needs_shape_check(i):
            want = self.shapes[i]
            self.fail(f'{value}.shape != {want}', self.wrong_shape(value, want, f'state {i}'))
        if self.storage(i) == 'carry':
            carried.append((self.tap_names[i][0], value))
        else:
            self.emit(f'{self.buffers[i]}[{self.row(i, -self.op.state_taps[i][0])}] = {value}')

    # -- outputs that are not fed back -----------------------------------------------------
    def start_nit(self, k):
        """The placeholder of output k's buffer: what zero steps return (an unknown length
        is 0), and for Numba a value of the buffer's type on every path."""
        buf = self.temp('nit')
        out = self.inner.outputs[k]
        empty_row = tuple(s or 0 for s in out.type.shape)
        self.emit(f'{buf} = {self.empty(repr((0,) + empty_row), out)}')
        return buf

    def end_nit(self, k):
        out, value, buf, keep = self.inner.outputs[k], self.outs[k], self.nits[k], self.op.keep[k]
        size = self.steps if keep is None else f'min({self.steps}, {keep})'
        shape = f'({size},) + {value}.shape' if out.ndim else f'({size},)'
        self.emit(f'if {self.t} == 0:')
        self.emit(f'    {buf} = {self.empty(shape, out)}')
        if self.needs_shape_check(k):
            want = f'{buf}.shape[1:]'
            self.fail(f'{value}.shape != {want}', self.wrong_shape(value, want, f'output {k}'))
        index = self.t if keep is None else f'{self.t} % {keep}'
        self.emit(f'{buf}[{index}] = {value}')

    # -- after the loop ----------------------------------------------------------------------
    def write_results(self):
        run = self.run
        for i, taps in enumerate(self.op.state_taps):
            window, res = -taps[0], self.results[i]
            if self.storage(i) == 'full':
                self.emit(f'{res} = {self.buffers[i]}[{window}:{window} + {run}]')
            elif self.storage(i) == 'carry':
                shape = f'(1 if {run} else 0,) + {self.shapes[i]}'
                self.emit(f'{res} = {self.empty(shape, self.inner.outputs[i])}')
                self.emit(f'if {run}:')
                self.emit(f'    {res}[0] = {self.tap_names[i][0]}')
            else:
                rows = f'{self.np}.arange(max(0, {run} - {self.op.keep[i]}), {run})'
                self.emit(f'{res} = {self.buffers[i]}[({rows} + {window}) % {self.op.ring_size(i)}]')
        for k in self.nit_indices():
            keep, res = self.op.keep[k], self.results[k]
            if keep is None:
                self.emit(f'{res} = {self.nits[k]}[:{run}]')
            else:
                self.emit(f'{res} = {self.nits[k]}[{self.np}.arange(max(0, {run} - {keep}), {run}) % {keep}]')
        start = self.op.n_states + self.op.n_nit
        for v, res in zip(self.i_finals, self.results[start:]):
            self.emit(f'{res} = {self.names[v]}')
