"""The Dask backend's code generator: one Python function that builds the Dask graph
of the whole program, then computes every result in one `dask.compute`.

The function reads like the NumPy backend's (one line per node, `f.source` shows
it), but each line adds tasks instead of computing: NumPy inputs are cut into
chunks on entry, shared variables stay NumPy values, and nothing runs until the
last line, which computes the outputs and the updates together (on the threaded
scheduler, or on the cluster of the active `distributed.Client`).
"""
from __future__ import annotations

from functools import partial

import dask
import dask.array as da
import numpy as np

from tracegraph import backends
from tracegraph.backends import Executable
from tracegraph.compiler.program import Namer, plan
from tracegraph.compiler.source import exec_with_source
from tracegraph.tensor.shared import SharedVariable

from tracegraph_numpy.linker import Branches, nest

from .chunkwise import concrete
from .lowering import Lowering
from .options import resolve, to_dask
from .shape_checks import check_fits

BACKEND = 'dask'


def link(fgraph, options):
    settings = resolve(options.get('backend_options'))
    kernels = {node: _kernel(node, settings) for node in fgraph.toposort()}
    n_outputs = len(fgraph.outputs) - len(getattr(fgraph, 'update_targets', ()))
    source, env, line_nodes = generate(fgraph, kernels, settings, n_outputs)
    filename = exec_with_source(source, f'{BACKEND} {options.get("name") or "f"}', env)

    def node_at(file, lineno):
        return line_nodes.get(lineno) if file == filename else None
    return Executable(run=env['run'], source=source, node_at=node_at, extra={'options': settings})


def _kernel(node, settings):
    hook = getattr(node.op, 'lowering_hook', 'tracegraph_lower_op')
    lowering = backends.lower(BACKEND, node, hook)  # a clear error when Dask has none
    # A third-party plugin may answer with a plain callable over the input values.
    return lowering.kernel(settings) if isinstance(lowering, Lowering) else lowering


def generate(fgraph, kernels, settings, n_outputs):
    """Source of `run(*inputs, *shared_values)`, its globals, and line -> node."""
    env = {'chunked': partial(to_dask, chunks=settings.chunks), 'truth': truth,
           'finish': partial(finish, n_outputs=n_outputs, lazy=settings.lazy,
                             producers=[v.owner for v in fgraph.outputs])}
    program = plan(fgraph, reserved=set(env) | {'given'})
    taken = set(env) | {'given'} | set(program.names.values())
    writer = _Writer(env, kernels, Namer(reserved=taken))
    for cname, const in program.constants.items():
        env[cname] = const.data
    writer.lines.append(f'def run({", ".join(program.inputs)}):')
    writer.lines.append(f'    given = ({", ".join(program.inputs)}{"," if program.inputs else ""})')
    for name, var in zip(program.inputs, fgraph.inputs):
        if not isinstance(var, SharedVariable):  # shared parameters stay NumPy values
            writer.lines.append(f'    {name} = chunked({name})')
    # As on the NumPy backend, what only one branch of an ifelse needs is built inside
    # that branch, so the other branch's NumPy-side work (perform ops) never runs.
    writer.emit(nest(fgraph, program.steps), 1)
    outputs = ', '.join(program.outputs) + (',' if program.outputs else '')
    writer.lines.append(f'    return finish(({outputs}), given)')
    return '\n'.join(writer.lines) + '\n', env, writer.line_nodes


class _Writer:
    def __init__(self, env, kernels, kernel_names):
        self.env, self.kernels, self.kernel_names = env, kernels, kernel_names
        self.lines, self.line_nodes = [], {}

    def emit(self, items, indent):
        pad = '    ' * indent
        for item in items:
            if isinstance(item, Branches):
                self.emit_branches(item, indent)
                continue
            kernel = self.kernels[item.node]
            kname = self.kernel_names('k_' + getattr(kernel, '__name__', 'kernel'))
            self.env[kname] = kernel
            target = ', '.join(item.outputs) + (',' if len(item.outputs) > 1 else '')
            self.add(f'{pad}{target} = {kname}({", ".join(item.inputs)})', item.node)

    def emit_branches(self, item, indent):
        pad, step = '    ' * indent, item.step
        n = step.node.op.n_outs
        target = ', '.join(step.outputs) + ','
        self.add(f'{pad}if truth({step.inputs[0]}):', step.node)
        branches = ((item.then, step.inputs[1:1 + n]), (item.orelse, step.inputs[1 + n:]))
        for block, values in branches:
            self.emit(block, indent + 1)
            self.add(f'{pad}    {target} = {", ".join(values)},', step.node)
            if block is item.then:
                self.add(f'{pad}else:', step.node)

    def add(self, line, node):
        self.lines.append(line)
        self.line_nodes[len(self.lines)] = node


def truth(condition):
    """An ifelse condition as a Python bool (computed now if it is lazy)."""
    return bool(concrete(condition))


def finish(values, given, n_outputs, lazy, producers=()):
    """Compute what must be computed, all in one pass over the data.

    Updates are always computed (shared variables hold NumPy values); outputs too,
    unless the function was compiled with lazy=True, when they come back as Dask
    arrays that the caller computes or stores chunk by chunk (`to_zarr`, `store`).
    """
    values = list(values)
    if lazy:
        for k in range(n_outputs):
            if not isinstance(values[k], da.Array):
                values[k] = da.from_array(np.asarray(values[k]))
        wanted = range(n_outputs, len(values))
    else:
        wanted = range(len(values))
    pending = [k for k in wanted if isinstance(values[k], da.Array)]
    check_fits([(k, values[k]) for k in pending], producers)  # a MemoryError, not the OOM killer
    for k, value in zip(pending, dask.compute(*(values[k] for k in pending))):
        values[k] = value
    for k in wanted:
        values[k] = _own(values[k], given)
    return tuple(values)


def _own(value, given):
    """A result that owns its memory: an input itself or a view (of an input chunk, a
    shared value or a broadcast) is copied, so that no caller ever sees aliased buffers."""
    if isinstance(value, np.ndarray) and (value.base is not None or not value.flags.writeable
                                          or any(value is g for g in given)):
        return value.copy()
    return value  # a fresh array, a NumPy scalar, or a non-array value (a random state)
