"""The Dask backend's code generator: one Python function that builds the Dask graph
of the whole program, then computes every result in one `dask.compute`.

The function reads like the NumPy backend's (one line per node, `f.source` shows
it), but each line adds tasks instead of computing: NumPy inputs are cut into
chunks on entry, shared variables stay NumPy values, and nothing runs until the
last line, which computes the outputs and the updates together (on the threaded
scheduler, or on the cluster of the active `distributed.Client`).
"""
from __future__ import annotations

import itertools
import linecache
from functools import partial

import dask
import dask.array as da
import numpy as np

from tracegraph import backends
from tracegraph.backends import Executable
from tracegraph.compile.program import Namer, plan
from tracegraph.compile.shared import SharedVariable

from .lowering import Lowering
from .options import resolve, to_dask

BACKEND = 'dask'
_ids = itertools.count()


def link(fgraph, options):
    settings = resolve(options.get('backend_options'))
    kernels = {node: _kernel(node, settings) for node in fgraph.toposort()}
    n_outputs = len(fgraph.outputs) - len(getattr(fgraph, 'update_targets', ()))
    source, env, line_nodes = generate(fgraph, kernels, settings, n_outputs)
    filename = f'<tracegraph-{BACKEND} {options.get("name") or "f"} #{next(_ids)}>'
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, 'exec'), env)

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
    env = {'chunked': partial(to_dask, chunks=settings.chunks),
           'finish': partial(finish, n_outputs=n_outputs, lazy=settings.lazy)}
    program = plan(fgraph, reserved=env)
    kernel_names = Namer(reserved=set(env) | set(program.names.values()))
    for cname, const in program.constants.items():
        env[cname] = const.data
    lines = [f'def run({", ".join(program.inputs)}):']
    for name, var in zip(program.inputs, fgraph.inputs):
        if not isinstance(var, SharedVariable):  # shared parameters stay NumPy values
            lines.append(f'    {name} = chunked({name})')
    line_nodes = {}
    for step in program.steps:
        kname = kernel_names('k_' + getattr(kernels[step.node], '__name__', 'kernel'))
        env[kname] = kernels[step.node]
        target = ', '.join(step.outputs) + (',' if len(step.outputs) > 1 else '')
        lines.append(f'    {target} = {kname}({", ".join(step.inputs)})')
        line_nodes[len(lines)] = step.node
    lines.append(f'    return finish(({", ".join(program.outputs)}{"," if program.outputs else ""}))')
    return '\n'.join(lines) + '\n', env, line_nodes


def finish(values, n_outputs, lazy):
    """Compute what must be computed, all in one pass over the data.

    Updates are always computed (shared variables hold NumPy values); outputs too,
    unless the function was compiled with lazy=True, when they come back as Dask
    arrays that the caller computes or stores chunk by chunk (`to_zarr`, `store`).
    """
    values = list(values)
    if lazy:
        for k in range(n_outputs):
            values[k] = values[k] if isinstance(values[k], da.Array) else da.from_array(np.asarray(values[k]))
        wanted = range(n_outputs, len(values))
    else:
        wanted = range(len(values))
    pending = [k for k in wanted if isinstance(values[k], da.Array)]
    for k, value in zip(pending, dask.compute(*(values[k] for k in pending))):
        values[k] = value
    for k in wanted:
        values[k] = _own(values[k])
    return tuple(values)


def _own(value):
    """A result that owns its memory: a view (of an input chunk, a shared value or a
    broadcast) is copied, so that no caller ever sees aliased buffers."""
    if isinstance(value, np.ndarray) and (value.base is not None or not value.flags.writeable):
        return value.copy()
    return value  # a fresh array, a NumPy scalar, or a non-array value (a random state)
