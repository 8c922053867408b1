"""The Numba backend's Scan lowering: the loop written inside the graph's @njit function.

No Python runs per step: the inner graph is lowered with this backend's rules and a
child of the graph's Generator writes its lines inside a `for` loop.  Buffers are
allocated once, as in the NumPy backend's scan: a state keeps its whole history
(`L + n` rows), a ring of max(L, keep) rows when the memory rewrite set `keep`, or a
local variable when only its last value at tap -1 is read (A**k); a nit output's
buffer is allocated at step 0; finals are local variables.  A state computed by an
elementwise node is written straight into its row (or the spare of two arrays that
swap each step), so A**k never touches the allocator; swapping is safe only when no
carried value is a view of another (`_swap_is_safe`).
"""
from __future__ import annotations

from tracegraph import backends
from tracegraph.ir import FunctionGraph
from tracegraph.rewrite.destroy import memory_sources
from tracegraph.tensor.elemwise import Elemwise

from .lowered import Lowered
from .scalar_source import np_type

BACKEND = 'numba'


def lower_scan(node):
    from tracegraph.rewrite import rewrite_graph

    inner = FunctionGraph(node.op.inner.inputs, node.op.inner.outputs, clone=True)
    rewrite_graph(inner, 'default', extra=backends.extra_rewrites(BACKEND))
    lowerings = backends.lower_graph(BACKEND, inner)
    return Lowered('', emit=lambda generator, step, depth: LoopWriter(node.op, inner, lowerings,
                                                                       generator, step, depth).write())


class LoopWriter:
    """Writes one Scan node's loop into the graph function."""

    def __init__(self, op, inner, lowerings, generator, step, depth):
        self.op, self.inner, self.step = op, inner, step
        self.parent = generator
        self.child = generator.nested(inner, lowerings)
        self.names = dict(zip(inner.inputs, self.child.program.inputs))
        self.depth = depth
        self.label = f'scan {op.name!r}' if op.name else 'scan'

    def line(self, text, extra=0):
        self.parent.emit('    ' * (self.depth + extra) + text, self.step.node)

    def t(self, hint):
        return self.parent.temp(hint)

    def write(self):
        op = self.op
        outer = self.step.inputs
        seqs, inits, finals, _ = (outer[s] for s in op.outer_slices())
        i_seqs, i_taps, i_finals, i_non = (self.inner.inputs[s] for s in op.inner_slices())
        self.steps, self.run, self.tv = self.t('steps'), self.t('run'), self.t('t')
        self.line(f'{self.steps} = np.int64({outer[0]})')
        self.line(f'if {self.steps} < 0:')
        self.line(f'    raise ValueError("{self.label}: n_steps is " + str({self.steps}) + "; it must be >= 0")')
        for v, name in zip(i_non, outer[op.outer_slices()[3]]):
            self.line(f'{self.names[v]} = {name}')
        for v, name in zip(i_finals, finals):
            self.line(f'{self.names[v]} = {name}')
        if op.steps_from_user:
            for j, seq in enumerate(seqs):
                self.line(f'if {seq}.shape[0] < {self.steps}:')
                self.line(f'    raise ValueError("{self.label}: sequence {j} has " + str({seq}.shape[0]) + '
                          f'" rows but the loop runs " + str({self.steps}) + " steps")')
        self.into = self._written_in_place()
        reads = self._states_before(inits, i_taps)
        nits = self._nits_before()
        self.line(f'{self.run} = {self.steps}')
        self.line(f'for {self.tv} in range({self.steps}):')
        for v, seq in zip(i_seqs, seqs):
            self.line(f'{self.names[v]} = {seq}[{self.tv}]', 1)
        for text in reads:
            self.line(text, 1)
        self._give_destinations()
        self.child.emit_block(self.child.tree, self.depth + 1)
        outs = self.child.program.outputs
        self._states_after(outs)
        self._nits_after(outs, nits)
        start = op.n_states + op.n_nit
        if op.n_finals:
            names = [self.names[v] for v in i_finals]
            self.line(', '.join(names) + ', = ' + ', '.join(outs[start:start + op.n_finals]) + ',', 1)
        if op.as_while:
            self.line(f'if {outs[-1]}:', 1)
            self.line(f'    {self.run} = {self.tv} + 1', 1)
            self.line('    break', 1)
        self._results(inits, nits, [self.names[v] for v in i_finals])

    # -- states ----------------------------------------------------------------------
    def _written_in_place(self):
        """{state index: 'row' | 'swap'} for states an elementwise node can write in place."""
        op, outputs = self.op, self.inner.outputs
        into = {}
        for i in range(op.n_states):
            out = outputs[i]
            node = out.owner
            lowered = self.child.lowerings.get(node) if node is not None else None
            if (lowered is None or lowered.into is None or not isinstance(node.op, Elemwise)
                    or outputs.count(out) != 1 or node in self.child.in_branches):
                continue
            mode = self.op.state_storage(i)
            if mode == 'full' or (mode == 'ring' and self.op.ring_size(i) > -op.state_taps[i][0]):
                into[i] = 'row'     # the row written is never one this step reads
            elif mode == 'carry':
                into[i] = 'swap'
        swapped = [i for i, how in into.items() if how == 'swap']
        if swapped and not self._swap_is_safe(swapped):
            into = {i: how for i, how in into.items() if how != 'swap'}
        return into

    def _swap_is_safe(self, swapped):
        """No value carried to the next step may be (a view of) an array that swaps: it
        would change under it when the spare is written two steps on."""
        op, outputs = self.op, self.inner.outputs
        tap_inputs = self.inner.inputs[op.inner_slices()[1]]
        firsts = [tap_inputs[sum(len(t) for t in op.state_taps[:i])] for i in range(op.n_states)]
        swapping = {firsts[i] for i in swapped} | {outputs[i] for i in swapped}
        carried = [k for k in range(op.n_states) if self.op.state_storage(k) == 'carry']
        carried += range(op.n_states + op.n_nit, op.n_states + op.n_nit + op.n_finals)
        own = {k: {outputs[k]} if k in swapped else set() for k in carried}
        return not any(memory_sources(outputs[k]) & (swapping - own[k]) for k in carried)

    def _give_destinations(self):
        for i, how in self.into.items():
            taps = self.op.state_taps[i]
            if how == 'swap':
                target = self.spare[i]
            else:
                target = self.t('row')
                self.line(f'{target} = {self.buffers[i]}[{self._row(i, -taps[0])}]', 1)
            out = self.inner.outputs[i]
            given = {'d0': target,
                     'wrong_shape': f'raise ValueError("{self.label}: a step returned the wrong shape for state {i}")'}
            if all(client == 'output' for client, _ in self.inner.clients.get(out, ())):
                given['o0'] = target    # nothing else reads it under its own name
            self.child.into[out.owner] = given

    def _first_tap_names(self, i_taps):
        pos, names = 0, []
        for taps in self.op.state_taps:
            names.append([self.names[v] for v in i_taps[pos:pos + len(taps)]])
            pos += len(taps)
        return names

    def _states_before(self, inits, i_taps):
        self.buffers, reads, self.spare = [], [], {}
        self.tap_names = self._first_tap_names(i_taps)
        for i, taps in enumerate(self.op.state_taps):
            window, init = -taps[0], inits[i]
            self.line(f'if {init}.shape[0] < {window}:')
            self.line(f'    raise ValueError("{self.label}: the initial value of state {i} has " + '
                      f'str({init}.shape[0]) + " rows; its taps {list(taps)} need {window}")')
            if self.op.state_storage(i) == 'carry':
                if self.into.get(i) == 'swap':
                    # Both arrays are the loop's own: the caller's initial value is never written.
                    self.spare[i] = self.t('spare')
                    dtype = np_type(self.inner.outputs[i].type.dtype)
                    self.line(f'{self.tap_names[i][0]} = {init}[0].copy()')
                    self.line(f'{self.spare[i]} = np.empty({init}.shape[1:], dtype={dtype})')
                else:
                    self.line(f'{self.tap_names[i][0]} = {init}[0]')
                self.buffers.append(None)
                continue
            buf = self.t('buf')
            dtype = np_type(self.inner.outputs[i].type.dtype)
            size = f'{window} + {self.steps}' if self.op.state_storage(i) == 'full' else str(self.op.ring_size(i))
            self.line(f'{buf} = np.empty(({size},) + {init}.shape[1:], dtype={dtype})')
            self.line(f'{buf}[:{window}] = {init}[:{window}]')
            self.buffers.append(buf)
            for tap, name in zip(taps, self.tap_names[i]):
                reads.append(f'{name} = {buf}[{self._row(i, window + tap)}]')
        return reads

    def _row(self, i, offset):
        index = self.tv if offset == 0 else f'{self.tv} + {offset}'
        return f'({index}) % {self.op.ring_size(i)}' if self.op.state_storage(i) == 'ring' else index

    def _states_after(self, outs):
        carried = []
        for i, taps in enumerate(self.op.state_taps):
            out = self.inner.outputs[i]
            if self.into.get(i) == 'swap':
                name = self.tap_names[i][0]
                carried += [(name, self.spare[i]), (self.spare[i], name)]
                continue
            if self.into.get(i) == 'row':
                continue    # already in its row, shape checked by the node
            if out.ndim:
                first = self.inner.inputs[self.op.n_seqs + sum(len(t) for t in self.op.state_taps[:i])]
                if first.type.shape != out.type.shape or None in out.type.shape:
                    row = f'{self.step.inputs[self.op.outer_slices()[1]][i]}.shape[1:]'
                    self.line(f'if {outs[i]}.shape != {row}:', 1)
                    self.line(f'    raise ValueError("{self.label}: a step returned the wrong shape '
                              f'for state {i}")', 1)
            if self.op.state_storage(i) == 'carry':
                carried.append((self.tap_names[i][0], outs[i]))
            else:
                self.line(f'{self.buffers[i]}[{self._row(i, -taps[0])}] = {outs[i]}', 1)
        if carried:  # one simultaneous assignment: a step may swap its states
            self.line(', '.join(a for a, _ in carried) + ', = ' + ', '.join(b for _, b in carried) + ',', 1)

    # -- outputs that are not fed back ------------------------------------------------
    def _nits_before(self):
        nits = []
        for j in range(self.op.n_nit):
            out = self.inner.outputs[self.op.n_states + j]
            buf = self.t('nit')
            shape = '(0,)' + ' + (0,)' * out.ndim
            self.line(f'{buf} = np.empty({shape}, dtype={np_type(out.type.dtype)})')
            nits.append(buf)
        return nits

    def _nits_after(self, outs, nits):
        for j, buf in enumerate(nits):
            k = self.op.n_states + j
            out, keep = self.inner.outputs[k], self.op.keep[k]
            size = self.steps if keep is None else f'min({self.steps}, {keep})'
            shape = f'({size},) + {outs[k]}.shape' if out.ndim else f'({size},)'
            self.line(f'if {self.tv} == 0:', 1)
            self.line(f'    {buf} = np.empty({shape}, dtype={np_type(out.type.dtype)})', 1)
            if out.ndim and None in out.type.shape:
                self.line(f'if {outs[k]}.shape != {buf}.shape[1:]:', 1)
                self.line(f'    raise ValueError("{self.label}: a step returned the wrong shape '
                          f'for output {k}")', 1)
            index = self.tv if keep is None else f'{self.tv} % {keep}'
            self.line(f'{buf}[{index}] = {outs[k]}', 1)

    # -- after the loop ----------------------------------------------------------------
    def _results(self, inits, nits, final_names):
        results = self.step.outputs
        op = self.op
        for i, taps in enumerate(op.state_taps):
            window, mode, res = -taps[0], self.op.state_storage(i), results[i]
            if mode == 'full':
                self.line(f'{res} = {self.buffers[i]}[{window}:{window} + {self.run}]')
            elif mode == 'carry':
                dtype = np_type(self.inner.outputs[i].type.dtype)
                self.line(f'{res} = np.empty((1 if {self.run} else 0,) + {inits[i]}.shape[1:], dtype={dtype})')
                self.line(f'if {self.run}:')
                self.line(f'    {res}[0] = {self.tap_names[i][0]}')
            else:
                keep = op.keep[i]
                index = f'(np.arange(max(0, {self.run} - {keep}), {self.run}) + {window}) % {self.op.ring_size(i)}'
                self.line(f'{res} = {self.buffers[i]}[{index}]')
        for j, buf in enumerate(nits):
            k = op.n_states + j
            keep, res = op.keep[k], results[k]
            if keep is None:
                self.line(f'{res} = {buf}[:{self.run}]')
            else:
                self.line(f'{res} = {buf}[np.arange(max(0, {self.run} - {keep}), {self.run}) % {keep}]')
        start = op.n_states + op.n_nit
        for name, res in zip(final_names, results[start:]):
            self.line(f'{res} = {name}')


