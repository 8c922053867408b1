"""The NumPy backend's Scan lowering: one generated Python loop per Scan node.

The inner graph is rewritten and lowered with this backend's own rules
(`tracegraph.backends.lower_graph`), and the linker's own code for it (`linker.generate`) is
written *inside* the loop that `tracegraph.compiler.scan_loop` writes (buffers, checks,
results), so a step costs only its NumPy calls: no inner function call, no tuple packing.
What is this backend's own: the loop walks its sequences with `zip`, and a step that
raises is explained (`_step_explainer`: the inner op that failed, the line that built it).

The loop's own source goes through exec_with_source (a traceback shows its lines),
is kept on the kernel as `.source`, and `f.source` lists it after the outer graph.
"""
from __future__ import annotations

import numpy as np

from tracegraph import backends
from tracegraph.compiler.scan_loop import ScanLoopWriter, field
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


class _LoopWriter(ScanLoopWriter):
    """Writes the source of `def scan(...)`: the shared loop around the step.

    The step's body is the NumPy linker's own code for the inner graph (lazy ifelse
    and in-place ordering included), re-indented into the loop without its `del`
    lines of the step's inputs.  The loop's own names all start with `_`, which the
    linker's names never do.
    """

    np = '_np'

    def __init__(self, op, inner, lowerings):
        source, env, line_nodes = linker.generate(inner, lowerings)
        lines = source.splitlines()
        self.env = dict(env, _np=np)
        in_names = _arguments(lines[0])
        self.out_exprs = _returned(lines[-1])
        self.step_lines = [(text, line_nodes.get(k + 2)) for k, ln in enumerate(lines[1:-1])
                           for text in [_loop_line(ln[4:], in_names)] if text]
        i_finals, i_non = (inner.inputs[s] for s in op.inner_slices()[2:])
        self.args = (['_n_steps'] + [f'_seq{j}' for j in range(op.n_seqs)]
                     + [f'_init{i}' for i in range(op.n_states)]
                     + [in_names[inner.inputs.index(v)] for v in i_finals + i_non])
        results = [f'_res{k}' for k in range(op.n_states + op.n_nit + op.n_finals)]
        super().__init__(op, inner, in_names, self.args, results, depth=1)
        self.lines = [f'def scan({", ".join(self.args)}):']
        self.line_nodes = {}

    def add(self, line):
        self.lines.append(line)

    def source(self):
        self.write()
        returned = self.results[0] if len(self.results) == 1 else f'({", ".join(self.results)},)'
        self.emit(f'return {returned}')
        return '\n'.join(self.lines) + '\n'

    def start_loop(self):
        if not self.i_seqs:
            return super().start_loop()
        rows = ', '.join(self.names[v] for v in self.i_seqs)
        comma = ',' if len(self.i_seqs) == 1 else ''
        self.emit(f'for {self.t}, {rows}{comma} in zip(range({self.steps}), {", ".join(self.seqs)}):')

    def write_loop(self):
        """The loop inside `try`: a failing step names the inner op and the line of fn that built it."""
        self.emit(f'{self.t} = 0')
        self.emit('try:')
        self.depth += 1
        super().write_loop()
        self.depth -= 1
        self.emit('except Exception as _exc:')
        self.emit(f'    _new = _explain_step(_exc, {self.t})')
        self.emit('    if _new is None: raise')
        self.emit('    raise _new from _exc')

    def write_step(self):
        for text, node in self.step_lines:
            self.emit(text)
            if node is not None:
                self.line_nodes[len(self.lines)] = node
        outs = []
        for expr in self.out_exprs:   # each expression named once (`array(x)` copies must not run twice)
            if not expr.isidentifier():
                name = self.temp('out')
                self.emit(f'{name} = {expr}')
                expr = name
            outs.append(expr)
        return outs

    def wrong_shape(self, value, want, what):
        shape = field(value + '.shape')
        return f'step {field(self.t)} returned shape {shape} for {what}, expected {field(want)}'


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
