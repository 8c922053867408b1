"""The Numba backend's Scan lowering: the loop written inside the graph's @njit function.

No Python runs per step: the inner graph is lowered with this backend's rules, and a
child of the graph's Generator writes its lines inside the loop that
`tracegraph.compiler.scan_loop` writes (buffers, checks, results).  What is this
backend's own: a state computed by an elementwise node is written straight into its
row (or the spare of two arrays that swap each step), so A**k never touches the
allocator; swapping is safe only when no carried value is a view of another
(`_swap_is_safe`).
"""
from __future__ import annotations

from tracegraph import backends
from tracegraph.compiler.scan_loop import ScanLoopWriter
from tracegraph.ir import FunctionGraph
from tracegraph.rewrite.destroy import memory_sources
from tracegraph.tensor.elemwise import Elemwise

from .lowered import Lowered

BACKEND = 'numba'


def lower_scan(node):
    from tracegraph.rewrite import rewrite_graph

    inner = FunctionGraph(node.op.inner.inputs, node.op.inner.outputs, clone=True)
    rewrite_graph(inner, 'default', extra=backends.extra_rewrites(BACKEND))
    lowerings = backends.lower_graph(BACKEND, inner)
    return Lowered('', emit=lambda generator, step, depth: LoopWriter(node.op, inner, lowerings,
                                                                       generator, step, depth).write())


class LoopWriter(ScanLoopWriter):
    """Writes one Scan node's loop into the graph function."""

    def __init__(self, op, inner, lowerings, generator, step, depth):
        self.parent, self.node = generator, step.node
        self.child = generator.nested(inner, lowerings)
        super().__init__(op, inner, self.child.program.inputs, step.inputs, step.outputs, depth)
        self.into = self._written_in_place()
        self.spare = {}

    def add(self, line):
        self.parent.emit(line, self.node)

    def temp(self, hint):
        return self.parent.temp(hint)

    def wrong_shape(self, value, want, what):
        # Numba formats no tuple into a string, so the message names the output only.
        return f'a step returned the wrong shape for {what}'

    def write_step(self):
        self._give_destinations()
        self.child.emit_block(self.child.tree, self.depth)
        return self.child.program.outputs

    # -- states written in place ---------------------------------------------------------
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
            mode = op.state_storage(i)
            if mode == 'full' or (mode == 'ring' and op.ring_size(i) > -op.state_taps[i][0]):
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
        swapping = {self.first_tap(i) for i in swapped} | {outputs[i] for i in swapped}
        carried = [k for k in range(op.n_states) if op.state_storage(k) == 'carry']
        carried += range(op.n_states + op.n_nit, op.n_states + op.n_nit + op.n_finals)
        own = {k: {outputs[k]} if k in swapped else set() for k in carried}
        return not any(memory_sources(outputs[k]) & (swapping - own[k]) for k in carried)

    def start_carry(self, i):
        if self.into.get(i) != 'swap':
            return super().start_carry(i)
        # Both arrays are the loop's own: the caller's initial value is never written.
        self.spare[i] = self.temp('spare')
        self.emit(f'{self.tap_names[i][0]} = {self.inits[i]}[0].copy()')
        self.emit(f'{self.spare[i]} = {self.empty(self.shapes[i], self.inner.outputs[i])}')

    def _give_destinations(self):
        for i, how in self.into.items():
            if how == 'swap':
                target = self.spare[i]
            else:
                target = self.temp('row')
                self.emit(f'{target} = {self.buffers[i]}[{self.row(i, -self.op.state_taps[i][0])}]')
            out = self.inner.outputs[i]
            given = {'d0': target, 'wrong_shape': self.raising(self.wrong_shape(None, None, f'state {i}'))}
            if all(client == 'output' for client, _ in self.inner.clients.get(out, ())):
                given['o0'] = target    # nothing else reads it under its own name
            self.child.into[out.owner] = given

    def end_state(self, i, carried):
        how = self.into.get(i)
        if how == 'swap':
            name = self.tap_names[i][0]
            carried += [(name, self.spare[i]), (self.spare[i], name)]
        elif how is None:
            super().end_state(i, carried)
        # 'row': the node wrote it into its row and checked its shape
