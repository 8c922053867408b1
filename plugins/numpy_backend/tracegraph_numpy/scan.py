"""The NumPy backend's Scan lowering: one generated Python loop per Scan node.

The inner graph is rewritten and lowered with this backend's own rules
(`linker.lower_graph`), then written out *inside* the loop body, one line per
node, so a step costs only its NumPy calls: no inner function call, no tuple
packing.  Outputs go into buffers allocated once before the loop:

* a state keeps its whole history (`L + n` rows, the first L the initial
  values), or, when the memory-saving rewrite set `keep`, a ring of
  max(L, keep) rows; a state read only at tap -1 whose last value alone is
  kept is carried in a local variable with no buffer at all (A**k);
* a nit output's buffer is allocated at step 0, once its row shape is known;
* finals (shared-variable updates) are carried in local variables.

`f.source` shows the outer graph; the loop's own source is registered with
linecache (a traceback shows its lines) and kept on the kernel as `.source`.
"""
from __future__ import annotations

import itertools
import linecache

import numpy as np

from tracegraph.compile.program import plan
from tracegraph.hookspecs import hookimpl
from tracegraph.ir import FunctionGraph
from tracegraph.scan import Scan

from . import linker
from .lowering import Inline

_ids = itertools.count()


@hookimpl
def tracegraph_lower_scan(backend, node):
    if backend != linker.BACKEND or not isinstance(node.op, Scan):
        return None
    return scan_kernel(node.op)


def scan_kernel(op):
    """A Python function (n_steps, *outer inputs) -> the Scan node's outputs."""
    inner = prepared_inner(op)
    writer = _LoopWriter(op, inner, linker.lower_graph(inner))
    source = writer.source()
    filename = f'<tracegraph-numpy scan {op.name or "fn"} #{next(_ids)}>'
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    env = writer.env
    env['explain_step'] = _step_explainer(op, filename, writer.line_nodes)
    exec(compile(source, filename, 'exec'), env)
    kernel = env['scan']
    kernel.source = source
    return kernel


def _step_explainer(op, filename, line_nodes):
    """explain_step(exc, t): a copy of `exc` naming the inner op that failed, or None."""
    label = f'{op.name!r}' if op.name else 'scan'

    def explain_step(exc, t):
        node, tb = None, exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == filename:
                node = line_nodes.get(tb.tb_lineno, node)
            tb = tb.tb_next
        if node is None:
            return None
        where = f' (built at {node.source})' if node.source else ''
        message = f'{exc}\n  at step {t} of {label}, while running {node.op}{where}'
        try:
            return type(exc)(message)
        except Exception:
            return None
    return explain_step


def prepared_inner(op):
    """A private copy of the inner graph, rewritten for this backend."""
    from tracegraph.rewrite import rewrite_graph
    inner = FunctionGraph(op.inner.inputs, op.inner.outputs, clone=True)
    rewrite_graph(inner, linker.BACKEND, 'default')
    return inner


class _LoopWriter:
    """Writes the source of one loop; each `_emit_*` method handles one kind of value."""

    def __init__(self, op, inner, lowerings):
        self.op, self.inner, self.lowerings = op, inner, lowerings
        self.env = {'empty': np.empty, 'array': np.array, 'take': np.take, 'shape_of': np.shape,
                    'arange': np.arange}
        for lowering in lowerings.values():
            if isinstance(lowering, Inline):
                self.env.update(lowering.globals)
        reserved = set(self.env) | {'scan', 'n_steps', 'exc', 'new', 'explain_step', 'steps', 't', 'steps_run', 'ring'}
        for k in range(len(op.inner.inputs) + len(op.inner.outputs) + 1):
            reserved |= {f'seq{k}', f'init{k}', f'buf{k}', f'cur{k}', f'nbuf{k}', f'row{k}',
                         f'nrow{k}', f'idx{k}', f'idx{k}n', f'res{k}'}
        self.program = plan(inner, reserved=reserved)
        self.names = self.program.names
        for cname, const in self.program.constants.items():
            self.env[cname] = const.data
        self.pre, self.head, self.body, self.post = [], [], [], []
        self.body_nodes = {}  # index in self.body -> the inner node that line runs

    # -- the whole function ----------------------------------------------------------
    def source(self):
        op = self.op
        i_seqs, i_taps, i_finals, i_non = (self.inner.inputs[s] for s in op.inner_slices())
        final_names = [self.names[v] for v in i_finals]
        non_names = [self.names[v] for v in i_non]
        args = ['n_steps'] + [f'seq{j}' for j in range(op.n_seqs)] + \
               [f'init{i}' for i in range(op.n_states)] + final_names + non_names
        self.pre.append('steps = int(n_steps)')
        self.pre.append('if steps < 0: raise ValueError(f"scan: n_steps is {steps}; it must be >= 0")')
        self._emit_sequences(i_seqs)
        self._emit_states(i_taps)
        self._emit_body()
        self._emit_state_writes()
        self._emit_nit_writes()
        self._emit_final_writes(final_names)
        self._emit_until()
        returned = self._emit_results(final_names)
        lines = [f'def scan({", ".join(args)}):']
        lines += ['    ' + ln for ln in self.pre + ['steps_run = steps', 't = 0', 'try:']]
        lines.append('        ' + self._loop_header(i_seqs))
        first_body_line = len(lines) + len(self.head) + 1
        self.line_nodes = {first_body_line + k: node for k, node in self.body_nodes.items()}
        lines += ['            ' + ln for ln in self.head + self.body] or ['            pass']
        # A failing step names the inner op and the line of fn that built it.
        lines += ['    except Exception as exc:', '        new = explain_step(exc, t)',
                  '        if new is None: raise', '        raise new from exc']
        lines += ['    ' + ln for ln in self.post]
        single = len(returned) == 1
        lines.append(f'    return {returned[0]}' if single else f'    return ({", ".join(returned)},)')
        return '\n'.join(lines) + '\n'

    def _loop_header(self, i_seqs):
        if not i_seqs:
            return 'for t in range(steps):'
        rows = ', '.join(self.names[v] for v in i_seqs)
        seqs = ', '.join(f'seq{j}' for j in range(len(i_seqs)))
        return f'for t, {rows}{"," if len(i_seqs) == 1 else ""} in zip(range(steps), {seqs}):'

    # -- sequences ---------------------------------------------------------------------
    def _emit_sequences(self, i_seqs):
        if not self.op.steps_from_user:
            return  # n_steps is the shortest sequence's length
        for j in range(len(i_seqs)):
            self.pre.append(f'if len(seq{j}) < steps: raise ValueError(f"scan{self._label()}: '
                            f'sequence {j} has {{len(seq{j})}} rows but the loop runs {{steps}} steps")')

    def _label(self):
        return f' {self.op.name!r}' if self.op.name else ''

    # -- states: carried, full history, or ring -----------------------------------------
    def _state_mode(self, i):
        keep = self.op.keep[i]
        if keep is None:
            return 'full'
        if self.op.state_taps[i] == (-1,) and keep == 1:
            return 'carry'
        return 'ring'

    def _emit_states(self, i_taps):
        pos = 0
        for i, taps in enumerate(self.op.state_taps):
            window = -taps[0]
            mode = self._state_mode(i)
            self.pre.append(f'if init{i}.shape[0] < {window}: raise ValueError(f"scan{self._label()}: '
                            f'the initial value of state {i} has {{init{i}.shape[0]}} rows; its taps '
                            f'{list(taps)} need {window}")')
            self.pre.append(f'row{i} = init{i}.shape[1:]')
            names = [self.names[v] for v in i_taps[pos:pos + len(taps)]]
            pos += len(taps)
            if mode == 'carry':
                self.pre.append(f'{names[0]} = init{i}[0]')
                continue
            dtype = self._dtype(self.inner.outputs[i])
            size = f'{window} + steps' if mode == 'full' else f'{max(window, self.op.keep[i])}'
            self.pre.append(f'buf{i} = empty(({size},) + row{i}, dtype={dtype})')
            self.pre.append(f'buf{i}[:{window}] = init{i}[:{window}]')
            for tap, name in zip(taps, names):
                self.head.append(f'{name} = buf{i}[{self._row(i, window + tap, mode)}]')

    def _row(self, i, offset, mode):
        index = 't' if offset == 0 else f't + {offset}'
        if mode == 'ring':
            size = max(-self.op.state_taps[i][0], self.op.keep[i])
            return f'({index}) % {size}'
        return index

    def _dtype(self, variable):
        name = f'dt_{variable.type.dtype}'
        self.env[name] = np.dtype(variable.type.dtype)
        return name

    # -- the step itself -----------------------------------------------------------------
    def _emit_body(self):
        for step in self.program.steps:
            lowering = self.lowerings[step.node]
            if isinstance(lowering, Inline):
                self.env.update(lowering.globals)
                expr = lowering.template.format(*step.inputs)
            else:
                kname = f'k{len(self.env)}_{getattr(lowering, "__name__", "kernel")}'
                self.env[kname] = lowering
                expr = f'{kname}({", ".join(step.inputs)})'
            target = ', '.join(step.outputs) + (',' if len(step.outputs) > 1 else '')
            self.body_nodes[len(self.body)] = step.node
            self.body.append(f'{target} = {expr}')

    def _out(self, k):
        v = self.inner.outputs[k]
        return self.names[v] if v in self.names else repr(v)

    def _shape_check(self, k, want, what):
        """Broadcasting would hide a wrong row shape; check unless the types prove it."""
        out = self.inner.outputs[k]
        known = all(s is not None for s in out.type.shape)
        if known and (k >= self.op.n_states or self._static_row(k) == out.type.shape):
            return
        value = self._out(k)
        self.body.append(f'if {value}.shape != {want}: raise ValueError(f"scan{self._label()}: '
                         f'step {{t}} returned shape {{{value}.shape}} for {what}, expected {{{want}}}")')

    def _static_row(self, k):
        return self._first_tap(k).type.shape

    def _first_tap(self, i):
        """The inner input of state i's first (oldest) tap."""
        return self.inner.inputs[self.op.n_seqs + sum(len(t) for t in self.op.state_taps[:i])]

    def _emit_state_writes(self):
        carried = []
        for i, taps in enumerate(self.op.state_taps):
            mode = self._state_mode(i)
            self._shape_check(i, f'row{i}', f'state {i}')
            if mode == 'carry':
                carried.append((self.names[self._first_tap(i)], self._out(i)))
            else:
                self.body.append(f'buf{i}[{self._row(i, -taps[0], mode)}] = {self._out(i)}')
        if carried:  # one simultaneous assignment: a step may swap its states
            self.body.append(', '.join(a for a, _ in carried) + ', = ' + ', '.join(b for _, b in carried) + ',')

    def _emit_nit_writes(self):
        for j in range(self.op.n_nit):
            k = self.op.n_states + j
            keep = self.op.keep[k]
            size = 'steps' if keep is None else f'min(steps, {keep})'
            dtype = self._dtype(self.inner.outputs[k])
            self.body.append(f'if t == 0: nrow{j} = shape_of({self._out(k)}); '
                             f'nbuf{j} = empty(({size},) + nrow{j}, dtype={dtype})')
            self._shape_check(k, f'nrow{j}', f'output {k}')
            index = 't' if keep is None else f't % {keep}'
            self.body.append(f'nbuf{j}[{index}] = {self._out(k)}')

    def _emit_final_writes(self, final_names):
        if not final_names:
            return
        start = self.op.n_states + self.op.n_nit
        values = [self._out(start + m) for m in range(len(final_names))]
        self.body.append(', '.join(final_names) + ', = ' + ', '.join(values) + ',')

    def _emit_until(self):
        if self.op.as_while:
            cond = self._out(len(self.inner.outputs) - 1)
            self.body.append(f'if {cond}: steps_run = t + 1; break')

    # -- after the loop -------------------------------------------------------------------
    def _emit_results(self, final_names):
        returned = []
        for i, taps in enumerate(self.op.state_taps):
            window, mode = -taps[0], self._state_mode(i)
            if mode == 'full':
                returned.append(f'buf{i}[{window}:{window} + steps_run]')
            elif mode == 'carry':
                first = self.names[self._first_tap(i)]
                self.post.append(f'res{i} = array({first})[None] if steps_run else init{i}[:0]')
                returned.append(f'res{i}')
            else:
                size = max(window, self.op.keep[i])
                keep = self.op.keep[i]
                self.post.append(f'idx{i} = (arange(max(0, steps_run - {keep}), steps_run) + {window}) % {size}')
                returned.append(f'take(buf{i}, idx{i}, axis=0)')
        for j in range(self.op.n_nit):
            k = self.op.n_states + j
            keep = self.op.keep[k]
            empty_row = tuple(s or 0 for s in self.inner.outputs[k].type.shape)
            dtype = self._dtype(self.inner.outputs[k])
            self.post.append(f'if steps_run == 0: nbuf{j} = empty((0,) + {empty_row!r}, dtype={dtype})')
            if keep is None:
                returned.append(f'nbuf{j}[:steps_run]')
            else:
                self.post.append(f'idx{j}n = arange(max(0, steps_run - {keep}), steps_run) % {keep}')
                returned.append(f'take(nbuf{j}, idx{j}n, axis=0)')
        returned += final_names
        return returned
