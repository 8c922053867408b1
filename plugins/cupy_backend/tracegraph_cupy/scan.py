"""Scan on the GPU: the loop runs on the host, every value it carries stays on the device.

The inner graph is rewritten for this backend and linked like any graph, but as
a loop *body* (`linker.generate(..., inner=True)`): it reads and returns device
arrays, so a step launches its kernels and nothing comes back to the host (except
an `until` condition, one scalar per step, and integer scalars the body uses as
indices).  Buffers are allocated once before the loop:

* a state keeps its whole history (L + n rows, the first L its initial values)
  or, when the memory-saving rewrite set `keep`, a ring of max(L, keep) rows;
* a nit output's buffer is allocated at step 0, once its row shape is known;
* finals (values carried to the end, such as random states) are local variables.

The lowering is data, `Call('runtime.scan', (('loop', ScanLoop(op)),))`; the
linker turns the `ScanLoop` into a Python function for its device.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracegraph import backends
from tracegraph.ir import FunctionGraph
from tracegraph.tensor.type import TensorType

from .lowering import DEVICE, HOST, Call


@dataclass(frozen=True)
class ScanLoop:
    """One Scan node's loop; `link(device)` makes it runnable there."""

    op: object

    def inner_graph(self):
        """A private copy of the inner graph, rewritten for this backend."""
        from tracegraph.rewrite import rewrite_graph
        inner = FunctionGraph(self.op.inner.inputs, self.op.inner.outputs, clone=True)
        rewrite_graph(inner, 'default', extra=backends.extra_rewrites('cupy'))
        return inner

    def link(self, device):
        from . import linker
        inner = self.inner_graph()
        source, env, _ = linker.generate(inner, backends.lower_graph(linker.BACKEND, inner), device, inner=True)
        body, _ = linker.compile_source(source, env, f'scan {self.op.name or "fn"}')
        loop = Loop(self.op, inner, body, device.xp)
        loop.source = source
        return loop


def lower_scan(node):
    op = node.op
    host = tuple(k for k, v in enumerate(node.inputs) if k == 0 or not isinstance(v.type, TensorType))
    sides = tuple(DEVICE if isinstance(o.type, TensorType) else HOST for o in node.outputs)
    return Call('runtime.scan', (('loop', ScanLoop(op)),), host_inputs=host, output_on=sides)


class Loop:
    """Runs a Scan node: `loop(n_steps, *sequences, *initial states, *finals, *non_sequences)`."""

    def __init__(self, op, inner, body, xp):
        self.op, self.inner, self.body, self.xp = op, inner, body, xp
        self.label = f' {op.name!r}' if op.name else ''

    def __call__(self, n_steps, *outer):
        op = self.op
        steps = int(n_steps)
        if steps < 0:
            raise ValueError(f'scan{self.label}: n_steps is {steps}; it must be >= 0')
        seqs, inits, finals, non_seqs = (list(outer[s.start - 1:s.stop - 1]) for s in op.outer_slices())
        self._check_sequences(seqs, steps)
        states = [_State(self, i, init, steps) for i, init in enumerate(inits)]
        nits = [_Nit(self, j, steps) for j in range(op.n_nit)]
        steps_run = steps
        for t in range(steps):
            taps = [value for state in states for value in state.read(t)]
            results = self.body(*(seq[t] for seq in seqs), *taps, *finals, *non_seqs)
            for state, value in zip(states, results):
                state.write(t, value)
            for nit, value in zip(nits, results[op.n_states:]):
                nit.write(t, value)
            start = op.n_states + op.n_nit
            finals = list(results[start:start + op.n_finals])
            if op.as_while and bool(results[-1]):
                steps_run = t + 1
                break
        outputs = [s.result(steps_run) for s in states] + [n.result(steps_run) for n in nits] + finals
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def _check_sequences(self, seqs, steps):
        if not self.op.steps_from_user:
            return  # n_steps is the shortest sequence's length by construction
        for j, seq in enumerate(seqs):
            if len(seq) < steps:
                raise ValueError(f'scan{self.label}: sequence {j} has {len(seq)} rows but the '
                                 f'loop runs {steps} steps')

    def check_row(self, t, value, row, what):
        if tuple(value.shape) != tuple(row):
            raise ValueError(f'scan{self.label}: step {t} returned shape {tuple(value.shape)} for '
                             f'{what}, expected {tuple(row)}')


class _State:
    """One state's buffer on the device: full history, or a ring of the last rows."""

    def __init__(self, loop, i, init, steps):
        taps = loop.op.state_taps[i]
        self.loop, self.i, self.taps, self.window = loop, i, taps, -taps[0]
        keep = loop.op.keep[i]
        if init.shape[0] < self.window:
            raise ValueError(f'scan{loop.label}: the initial value of state {i} has {init.shape[0]} '
                             f'rows; its taps {list(taps)} need {self.window}')
        self.keep = keep
        self.size = self.window + steps if keep is None else max(self.window, keep)
        dtype = loop.inner.outputs[i].type.dtype
        self.row = tuple(init.shape[1:])
        self.buffer = loop.xp.empty((self.size,) + self.row, dtype=dtype)
        self.buffer[:self.window] = init[:self.window]

    def _position(self, step):
        """Where step `step` (from -window) lives in the buffer."""
        return (self.window + step) % self.size

    def read(self, t):
        return [self.buffer[self._position(t + k)] for k in self.taps]

    def write(self, t, value):
        self.loop.check_row(t, value, self.row, f'state {self.i}')
        self.buffer[self._position(t)] = value

    def result(self, steps_run):
        if self.keep is None:
            return self.buffer[self.window:self.window + steps_run]
        first = max(0, steps_run - self.keep)
        rows = [self._position(s) for s in range(first, steps_run)]
        return self.buffer[self.loop.xp.asarray(np.array(rows, dtype=np.int64))]


class _Nit:
    """A per-step output that is not fed back: stacked (or its last `keep` rows)."""

    def __init__(self, loop, j, steps):
        k = loop.op.n_states + j
        self.loop, self.j, self.steps = loop, j, steps
        self.keep = loop.op.keep[k]
        self.type = loop.inner.outputs[k].type
        self.buffer = None

    def write(self, t, value):
        if self.buffer is None:
            self.row = tuple(value.shape)
            size = self.steps if self.keep is None else min(self.steps, self.keep)
            self.buffer = self.loop.xp.empty((size,) + self.row, dtype=self.type.dtype)
        self.loop.check_row(t, value, self.row, f'output {self.loop.op.n_states + self.j}')
        self.buffer[t if self.keep is None else t % self.keep] = value

    def result(self, steps_run):
        if self.buffer is None:
            row = tuple(s or 0 for s in self.type.shape)
            return self.loop.xp.empty((0,) + row, dtype=self.type.dtype)
        if self.keep is None:
            return self.buffer[:steps_run]
        rows = [s % self.keep for s in range(max(0, steps_run - self.keep), steps_run)]
        return self.buffer[self.loop.xp.asarray(np.array(rows, dtype=np.int64))]
