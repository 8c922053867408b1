"""The NumPy backend's code generator: one Python function for the whole graph.

Each Apply node becomes one line (`t = kernel(a, b)` or an inlined expression
such as `x[1:n]`), values are deleted after their last use, and the source is
registered with linecache so tracebacks show the generated line.  Two things
shape the order of the lines:

* `ifelse` is lazy: the nodes only one branch needs are written inside that
  branch's `if`/`else` block, so the branch not taken is never computed;
* nodes that write in place (shared-variable updates) come last, after every
  node that can fail or still needs the old value (tracegraph.rewrite.destroy).
"""
from __future__ import annotations

import itertools
import os
import time

import numpy as np

from tracegraph import backends
from tracegraph.backends import Executable
from tracegraph.compiler.branches import Branches, nest
from tracegraph.compiler.program import Namer, plan
from tracegraph.compiler.source import exec_with_source
from tracegraph.rewrite.destroy import outputs_to_copy, schedule

from .lowering import Inline

BACKEND = 'numpy'


# -- writing the source ---------------------------------------------------------------
class _Writer:
    def __init__(self, lowerings, env, kernel_names, keep, profile=None):
        self.lowerings, self.env, self.kernel_names, self.keep = lowerings, env, kernel_names, keep
        self.lines, self.line_nodes = [], {}
        self.last_use = {}
        self.profile = profile  # a ProfileStats: each step's seconds are added to it
        if profile is not None:
            env['clock'], env['profile_add'] = time.perf_counter, profile.add

    def number(self, items, counter=None):
        """Number the steps in execution order and note each name's last reader."""
        counter = counter if counter is not None else itertools.count()
        for item in items:
            if isinstance(item, Branches):
                self.number(item.then, counter)
                self.number(item.orelse, counter)
                step = item.step
            else:
                step = item
            k = next(counter)
            step.seq = k
            for name in step.inputs:
                self.last_use[name] = k
            for name in step.outputs:
                self.last_use.setdefault(name, k)

    def emit(self, items, indent, local=frozenset()):
        pad = '    ' * indent
        for item in items:
            if isinstance(item, Branches):
                self.emit_branches(item, indent, local)
                continue
            if self.profile is not None:
                self.profile.label(item.seq, _describe(item.node))
                self.lines.append(f'{pad}started = clock()')
            self.add(f'{pad}{self.assignment(item)}', item.node)
            if self.profile is not None:
                self.lines.append(f'{pad}profile_add({item.seq}, clock() - started)')
            self.free(item, pad, local)
            local = local | set(item.outputs)

    def emit_branches(self, item, indent, local):
        pad = '    ' * indent
        step = item.step
        n = step.node.op.n_outs
        target = ', '.join(step.outputs) + (',' if n == 1 else '')
        self.add(f'{pad}if {step.inputs[0]}:', step.node)
        for block, values in ((item.then, step.inputs[1:1 + n]), (item.orelse, step.inputs[1 + n:])):
            self.emit(block, indent + 1, frozenset())
            self.add(f'{pad}    {target} = {", ".join(values)}{"," if n == 1 else ""}', step.node)
            if block is item.then:
                self.add(f'{pad}else:', step.node)
        inner = {name for block in (item.then, item.orelse) for s in _steps(block) for name in s.outputs}
        self.free(step, pad, local, skip=inner)

    def assignment(self, step):
        lowering = self.lowerings[step.node]
        if isinstance(lowering, Inline):
            expr = lowering.template.format(*step.inputs)
        else:
            prefix = 'np_' if isinstance(lowering, np.ufunc) else 'k_'
            kname = self.kernel_names(prefix + getattr(lowering, '__name__', 'kernel'))
            self.env[kname] = lowering
            expr = f'{kname}({", ".join(step.inputs)})'
        target = ', '.join(step.outputs) + (',' if len(step.outputs) > 1 else '')
        return f'{target} = {expr}'

    def free(self, step, pad, local, skip=()):
        names = [n for n in dict.fromkeys(step.inputs + step.outputs)
                 if self.last_use.get(n) == step.seq and n not in self.keep and n not in skip]
        if names:
            self.lines.append(f'{pad}del {", ".join(names)}')

    def add(self, line, node):
        self.lines.append(line)
        self.line_nodes[len(self.lines) + 1] = node  # +1: the `def` line comes first


def _steps(items):
    for item in items:
        if isinstance(item, Branches):
            yield item.step
            yield from _steps(item.then)
            yield from _steps(item.orelse)
        else:
            yield item


def _describe(node):
    where = f'  ({os.path.basename(node.source.filename)}:{node.source.lineno})' if node.source else ''
    return f'{node.op}{where}'


def generate(fgraph, lowerings, name='f', profile=None):
    """Python source for `run(*inputs)`, the globals it needs, and line -> node."""
    env = {'array': np.array}
    for lowering in lowerings.values():
        if isinstance(lowering, Inline):
            env.update(lowering.globals)
    program = plan(fgraph, reserved=env)
    kernel_names = Namer(reserved=set(env) | set(program.names.values()))
    for cname, const in program.constants.items():
        env[cname] = const.data
    by_node = {s.node: s for s in program.steps}
    order = [by_node[n] for n in schedule([s.node for s in program.steps])]
    tree = nest(fgraph, order)
    writer = _Writer(lowerings, env, kernel_names, set(program.outputs) | set(program.constants),
                     profile)
    writer.number(tree)
    writer.emit(tree, 1)
    views = outputs_to_copy(fgraph)
    returned = [f'array({n})' if v in views else n for n, v in zip(program.outputs, fgraph.outputs)]
    lines = [f'def run({", ".join(program.inputs)}):'] + writer.lines
    lines.append(f'    return ({", ".join(returned)}{"," if returned else ""})')
    return '\n'.join(lines) + '\n', env, writer.line_nodes


def compile_source(source, env, label):
    filename = exec_with_source(source, f'{BACKEND} {label}', env)
    return env['run'], filename


def link(fgraph, options):
    lowerings = backends.lower_graph(BACKEND, fgraph)
    source, env, line_nodes = generate(fgraph, lowerings, profile=options.get('profile'))
    run, filename = compile_source(source, env, options.get('name') or 'f')

    def node_at(file, lineno):
        return line_nodes.get(lineno) if file == filename else None
    return Executable(run=run, source=source, node_at=node_at)
