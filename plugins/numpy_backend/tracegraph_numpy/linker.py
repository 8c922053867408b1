"""The NumPy backend's code generator: one Python function for the whole graph.

Each Apply node becomes one line (`t = kernel(a, b)` or an inlined expression
such as `x[1:n]`), values are deleted after their last use, and the source is
registered with linecache so tracebacks show the generated line.
"""
from __future__ import annotations

import itertools
import linecache

import numpy as np

from tracegraph import backends
from tracegraph.backends import Executable
from tracegraph.compile.program import Namer, plan
from tracegraph.tensor.elemwise import DimShuffle
from tracegraph.tensor.shape_ops import Reshape
from tracegraph.tensor.subtensor import Subtensor

from .lowering import Inline

BACKEND = 'numpy'
_ids = itertools.count()


def lower_graph(fgraph, backend=BACKEND):
    """Ask the plugins for every node's lowering (so a plugin may override any one)."""
    lowerings = {}
    for node in fgraph.toposort():
        hook = getattr(node.op, 'lowering_hook', 'tracegraph_lower_op')
        lowerings[node] = backends.lower(backend, node, hook)
    return lowerings


def generate(fgraph, lowerings, name='f'):
    """Python source for `run(*inputs)` and the globals it needs."""
    env = {'array': np.array}
    for lowering in lowerings.values():
        if isinstance(lowering, Inline):
            env.update(lowering.globals)
    program = plan(fgraph, reserved=env)
    kernel_names = Namer(reserved=set(env) | set(program.names.values()))
    for cname, const in program.constants.items():
        env[cname] = const.data
    lines = [f'def run({", ".join(program.inputs)}):']
    line_nodes = {}
    for step in program.steps:
        lowering = lowerings[step.node]
        if isinstance(lowering, Inline):
            expr = lowering.template.format(*step.inputs)
        else:
            prefix = 'np_' if isinstance(lowering, np.ufunc) else 'k_'
            kname = kernel_names(prefix + getattr(lowering, '__name__', 'kernel'))
            env[kname] = lowering
            expr = f'{kname}({", ".join(step.inputs)})'
        target = ', '.join(step.outputs) + (',' if len(step.outputs) > 1 else '')
        lines.append(f'    {target} = {expr}')
        line_nodes[len(lines)] = step.node
        if step.free:
            lines.append(f'    del {", ".join(step.free)}')
    views = _input_views(fgraph)
    returned = [f'array({n})' if v in views else n for n, v in zip(program.outputs, fgraph.outputs)]
    lines.append(f'    return ({", ".join(returned)}{"," if returned else ""})')
    return '\n'.join(lines) + '\n', env, line_nodes


def _input_views(fgraph):
    """Outputs that may be views of an input's memory (they are copied on return)."""
    inputs = set(fgraph.inputs)
    views = set()
    for out in fgraph.outputs:
        v = out
        while v.owner is not None and _is_view(v.owner):
            v = v.owner.inputs[0]
        if v in inputs and v is not out:
            views.add(out)
    return views


def _is_view(node):
    op = node.op
    return isinstance(op, (DimShuffle, Reshape)) or (isinstance(op, Subtensor) and op.is_basic)


def compile_source(source, env, label):
    filename = f'<tracegraph-{BACKEND} {label} #{next(_ids)}>'
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, 'exec'), env)
    return env['run'], filename


def link(fgraph, options):
    lowerings = lower_graph(fgraph)
    source, env, line_nodes = generate(fgraph, lowerings)
    run, filename = compile_source(source, env, options.get('name') or 'f')

    def node_at(file, lineno):
        return line_nodes.get(lineno) if file == filename else None
    return Executable(run=run, source=source, node_at=node_at)
