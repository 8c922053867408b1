"""The NumPy backend's Scan lowering: one generated Python loop per Scan node.

The inner graph is rewritten and lowered with this backend's own rules
(`tracegraph.backends.lower_graph`), and the linker's own code for it (`linker.generate`) is
written *inside* the loop body, so a step costs only its NumPy calls: no inner
function call, no tuple packing.  Outputs go into buffers allocated once before the loop:

* a state keeps its whole history (`L + n` rows, the first L the initial
  values), or, when the memory-saving rewrite set `keep`, a ring of
  max(L, keep) rows; a state read only at tap -1 whose last value alone is
  kept is carried in a local variable with no buffer at all (A**k);
* a nit output's buffer is allocated at step 0, once its row shape is known;
* finals (shared-variable updates) are carried in local variables.

The loop's own source goes through exec_with_source (a traceback shows its lines),
is kept on the kernel as `.source`, and `f.source` lists it after the outer graph.
"""
from __future__ import annotations


import numpy as np

from tracegraph import backends
from tracegraph.compiler.source import exec_with_source
from tracegraph.ir import FunctionGraph

from . import linker



def lower_scan(node):
    return scan_kernel(node.op)


def scan_kernel(op):
    """A Python function (n_steps, *outer inputs) -> the Scan node's outputs."""
    inner = prepared_inner(op)
    writer = _LoopWriter(op, inner, backends.lower_graph(linker.BACKEND, inner))
    source = writer.source()
    env = writer.env
    filename = exec_with_source(source, f'numpy scan {op.name or "fn"}', env)
    env['_explain_step'] = _step_explainer(op, filename, writer.line_nodes)  # read per call
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
    """A private copy of the inner graph, rewritten for this backend.

    Every rewrite runs except elementwise fusion: a step works on one row, and a
    fused kernel only pays off on large arrays (one blocked pass over memory); on
    a row it interprets its composite op by op, slower than one ufunc call per
    line (measured: an RNN step of 64 values, 2x slower fused).
    """
    from tracegraph.rewrite import rewrite_graph, select
    extra = backends.extra_rewrites(linker.BACKEND)
    chosen = [r.name for r in select('default', extra) if r.phase != 'fuse']
    inner = FunctionGraph(op.inner.inputs, op.inner.outputs, clone=True)
    rewrite_graph(inner, chosen, extra=extra)
    return inner


class _LoopWriter:
    """Writes the source of one loop; each `_emit_*` method handles one kind of value.

    The step's body is the NumPy linker's own code for the inner graph (lazy ifelse
    and in-place ordering included), re-indented into the loop without its `del`
    lines.  The loop's own names all start with `_`, which the linker's names never do.
    """

    def __init__(self, op, inner, lowerings):
        self.op, self.inner = op, inner
        source, env, line_nodes = linker.generate(inner, lowerings)
        lines = source.splitlines()
        self.env = dict(env)
        self.env.update({'_empty': np.empty, '_array': np.array, '_take': np.take,
                         '_shape': np.shape, '_arange': np.arange})
        self.in_names = _arguments(lines[0])
        self.out_exprs = _returned(lines[-1])
        self.step = [(text, line_nodes.get(k + 2)) for k, ln in enumerate(lines[1:-1])
                     for text in [_loop_line(ln[4:], self.in_names)] if text]
        self.pre, self.head, self.body, self.post = [], [], [], []

    def _name(self, variable):
        return self.in_names[self.inner.inputs.index(variable)]

    # -- the whole function ----------------------------------------------------------
    def source(self):
        op = self.op
        i_seqs, i_taps, i_finals, i_non = (self.inner.inputs[s] for s in op.inner_slices())
        final_names = [self._name(v) for v in i_finals]
        args = ['_n_steps'] + [f'_seq{j}' for j in range(op.n_seqs)] + \
               [f'_init{i}' for i in range(op.n_states)] + final_names + [self._name(v) for v in i_non]
        self.pre.append('_steps = int(_n_steps)')
        self.pre.append('if _steps < 0: raise ValueError(f"scan: n_steps is {_steps}; it must be >= 0")')
        self._emit_sequences(i_seqs)
        self._emit_states(i_taps)
        self._emit_outputs()
        self._emit_state_writes()
        self._emit_nit_writes()
        self._emit_final_writes(final_names)
        self._emit_until()
        returned = self._emit_results(final_names)
        lines = [f'def scan({", ".join(args)}):']
        lines += ['    ' + ln for ln in self.pre + ['_steps_run = _steps', '_t = 0', 'try:']]
        lines.append('        ' + self._loop_header(i_seqs))
        lines += ['            ' + ln for ln in self.head]
        self.line_nodes = {}
        for text, node in self.step:
            lines.append('            ' + text)
            if node is not None:
                self.line_nodes[len(lines)] = node
        lines += ['            ' + ln for ln in self.body]
        if not (self.head or self.step or self.body):
            lines.append('            pass')
        # A failing step names the inner op and the line of fn that built it.
        lines += ['    except Exception as _exc:', '        _new = _explain_step(_exc, _t)',
                  '        if _new is None: raise', '        raise _new from _exc']
        lines += ['    ' + ln for ln in self.post]
        single = len(returned) == 1
        lines.append(f'    return {returned[0]}' if single else f'    return ({", ".join(returned)},)')
        return '\n'.join(lines) + '\n'

    def _loop_header(self, i_seqs):
        if not i_seqs:
            return 'for _t in range(_steps):'
        rows = ', '.join(self._name(v) for v in i_seqs)
        seqs = ', '.join(f'_seq{j}' for j in range(len(i_seqs)))
        return f'for _t, {rows}{"," if len(i_seqs) == 1 else ""} in zip(range(_steps), {seqs}):'

    # -- sequences ---------------------------------------------------------------------
    def _emit_sequences(self, i_seqs):
        if not self.op.steps_from_user:
            return  # n_steps is the shortest sequence's length
        for j in range(len(i_seqs)):
            self.pre.append(f'if len(_seq{j}) < _steps: raise ValueError(f"scan{self._label()}: '
                            f'sequence {j} has {{len(_seq{j})}} rows but the loop runs {{_steps}} steps")')

    def _label(self):
        return f' {self.op.name!r}' if self.op.name else ''

    # -- states: carried, full history, or ring -----------------------------------------
    def _emit_states(self, i_taps):
        pos = 0
        for i, taps in enumerate(self.op.state_taps):
            window = -taps[0]
            mode = self.op.state_storage(i)
            self.pre.append(f'if _init{i}.shape[0] < {window}: raise ValueError(f"scan{self._label()}: '
                            f'the initial value of state {i} has {{_init{i}.shape[0]}} rows; its taps '
                            f'{list(taps)} need {window}")')
            self.pre.append(f'_row{i} = _init{i}.shape[1:]')
            names = [self._name(v) for v in i_taps[pos:pos + len(taps)]]
            pos += len(taps)
            if mode == 'carry':
                self.pre.append(f'{names[0]} = _init{i}[0]')
                continue
            dtype = self._dtype(self.inner.outputs[i])
            size = f'{window} + _steps' if mode == 'full' else f'{self.op.ring_size(i)}'
            self.pre.append(f'_buf{i} = _empty(({size},) + _row{i}, dtype={dtype})')
            self.pre.append(f'_buf{i}[:{window}] = _init{i}[:{window}]')
            for tap, name in zip(taps, names):
                self.head.append(f'{name} = _buf{i}[{self._row(i, window + tap, mode)}]')

    def _row(self, i, offset, mode):
        index = '_t' if offset == 0 else f'_t + {offset}'
        if mode == 'ring':
            size = self.op.ring_size(i)
            return f'({index}) % {size}'
        return index

    def _dtype(self, variable):
        name = f'_dt_{variable.type.dtype}'
        self.env[name] = np.dtype(variable.type.dtype)
        return name

    # -- the step's outputs ---------------------------------------------------------------
    def _emit_outputs(self):
        """Name each output expression once (`array(x)` copies must not run twice)."""
        self.outs = []
        for k, expr in enumerate(self.out_exprs):
            if expr.isidentifier():
                self.outs.append(expr)
            else:
                self.body.append(f'_out{k} = {expr}')
                self.outs.append(f'_out{k}')

    def _shape_check(self, k, want, what):
        """Broadcasting would hide a wrong row shape; check unless the types prove it."""
        out = self.inner.outputs[k]
        known = all(s is not None for s in out.type.shape)
        if known and (k >= self.op.n_states or self._first_tap(k).type.shape == out.type.shape):
            return
        value = self.outs[k]
        self.body.append(f'if {value}.shape != {want}: raise ValueError(f"scan{self._label()}: '
                         f'step {{_t}} returned shape {{{value}.shape}} for {what}, expected {{{want}}}")')

    def _first_tap(self, i):
        """The inner input of state i's first (oldest) tap."""
        return self.inner.inputs[self.op.n_seqs + sum(len(t) for t in self.op.state_taps[:i])]

    def _emit_state_writes(self):
        carried = []
        for i, taps in enumerate(self.op.state_taps):
            mode = self.op.state_storage(i)
            self._shape_check(i, f'_row{i}', f'state {i}')
            if mode == 'carry':
                carried.append((self._name(self._first_tap(i)), self.outs[i]))
            else:
                self.body.append(f'_buf{i}[{self._row(i, -taps[0], mode)}] = {self.outs[i]}')
        if len(carried) == 1:
            self.body.append(f'{carried[0][0]} = {carried[0][1]}')
        elif carried:  # one simultaneous assignment: a step may swap its states
            self.body.append(', '.join(a for a, _ in carried) + ', = ' + ', '.join(b for _, b in carried) + ',')

    def _emit_nit_writes(self):
        for j in range(self.op.n_nit):
            k = self.op.n_states + j
            keep = self.op.keep[k]
            size = '_steps' if keep is None else f'min(_steps, {keep})'
            dtype = self._dtype(self.inner.outputs[k])
            self.body.append(f'if _t == 0: _nrow{j} = _shape({self.outs[k]}); '
                             f'_nbuf{j} = _empty(({size},) + _nrow{j}, dtype={dtype})')
            self._shape_check(k, f'_nrow{j}', f'output {k}')
            index = '_t' if keep is None else f'_t % {keep}'
            self.body.append(f'_nbuf{j}[{index}] = {self.outs[k]}')

    def _emit_final_writes(self, final_names):
        if not final_names:
            return
        start = self.op.n_states + self.op.n_nit
        values = [self.outs[start + m] for m in range(len(final_names))]
        self.body.append(', '.join(final_names) + ', = ' + ', '.join(values) + ',')

    def _emit_until(self):
        if self.op.as_while:
            self.body.append(f'if {self.outs[-1]}: _steps_run = _t + 1; break')

    # -- after the loop -------------------------------------------------------------------
    def _emit_results(self, final_names):
        returned = []
        for i, taps in enumerate(self.op.state_taps):
            window, mode = -taps[0], self.op.state_storage(i)
            if mode == 'full':
                returned.append(f'_buf{i}[{window}:{window} + _steps_run]')
            elif mode == 'carry':
                first = self._name(self._first_tap(i))
                self.post.append(f'_res{i} = _array({first})[None] if _steps_run else _init{i}[:0]')
                returned.append(f'_res{i}')
            else:
                size, keep = self.op.ring_size(i), self.op.keep[i]
                self.post.append(f'_idx{i} = (_arange(max(0, _steps_run - {keep}), _steps_run) + {window}) % {size}')
                returned.append(f'_take(_buf{i}, _idx{i}, axis=0)')
        for j in range(self.op.n_nit):
            k = self.op.n_states + j
            keep = self.op.keep[k]
            empty_row = tuple(s or 0 for s in self.inner.outputs[k].type.shape)
            dtype = self._dtype(self.inner.outputs[k])
            self.post.append(f'if _steps_run == 0: _nbuf{j} = _empty((0,) + {empty_row!r}, dtype={dtype})')
            if keep is None:
                returned.append(f'_nbuf{j}[:_steps_run]')
            else:
                self.post.append(f'_nidx{j} = _arange(max(0, _steps_run - {keep}), _steps_run) % {keep}')
                returned.append(f'_take(_nbuf{j}, _nidx{j}, axis=0)')
        returned += final_names
        return returned


def _loop_line(line, inputs):
    """A line of the step in the loop: a `del` keeps only the step's own temporaries.

    The inputs are bound again by the next step (or are the loop's arguments), but a
    temporary left bound would live on through the next step (the recomputed segment of a
    checkpointed gradient, a batched value: rows per step, held twice)."""
    text = line.lstrip()
    if not text.startswith('del '):
        return line
    names = [n.strip() for n in text[4:].split(',') if n.strip() not in inputs]
    return f'{line[:len(line) - len(text)]}del {", ".join(names)}' if names else None


def _arguments(def_line):
    """The parameter names of `def run(a, b):`."""
    inside = def_line[def_line.index('(') + 1:def_line.rindex(')')]
    return [a.strip() for a in inside.split(',') if a.strip()]


def _returned(return_line):
    """The expressions of `    return (a, array(b),)`."""
    text = return_line.strip()
    assert text.startswith('return (') and text.endswith(')'), text
    return [e.strip() for e in text[len('return ('):-1].split(',') if e.strip()]
