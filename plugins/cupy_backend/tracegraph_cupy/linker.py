"""The CuPy backend's code generator: one Python function per graph, values on the GPU.

Each Apply node becomes one line (a kernel launch, a CuPy call or a view), as in
the NumPy backend.  What is new is *placement*: every value lives on the host or
on the device, and the linker writes a transfer only where a lowering reads a
value on the other side (see `lowering.py`).  Explicit inputs arrive on the host
and go to the device once, when first read there; shared variables are moved to
the device on their first call and stay there (their containers then hold device
arrays, which `get_value` copies back); constants are uploaded once, at link time.
The function's outputs come back to the host; the new values of updated shared
variables stay on the device.

    def run(x, W, b):
        if W.__class__ is not device_array: W = box1.value = to_device(W)
        x_d = to_device(x)
        dot = cupy.dot(x_d, W)
        add = k_tg_add(dot, b)
        ...
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from tracegraph import backends
from tracegraph.backends import Executable
from tracegraph.compiler.branches import Branches, nest, walk
from tracegraph.compiler.program import Namer, plan
from tracegraph.compiler.source import exec_with_source
from tracegraph.rewrite.destroy import schedule
from tracegraph.tensor.shared import SharedVariable
from tracegraph.tensor.type import TensorType

from . import runtime
from .blocks import number
from .device import cuda_device
from .elemwise_kernel import ElementwiseSpec
from .lowering import DEVICE, HOST, SAME, Call, Kernel, Template

BACKEND = 'cupy'
_LITERALS = (int, float, str, bool, type(None))


class _Writer:
    """Accumulates the lines of `run`, the names they need, and transfers made."""

    def __init__(self, fgraph, program, env, device, inner=False):
        self.program, self.env, self.device = program, env, device
        self.names = Namer(reserved=set(env) | set(program.names.values()))
        self.lines, self.line_nodes = [], {}
        self.depth = 1
        self.where = {}
        self.moved = {}       # (name, side) -> name of the value on that side
        self.derived = {}     # name -> names of its transferred copies
        self.keep = set(program.outputs) | set(program.constants)
        self.position, self.last_use = {}, {}
        for v, name in zip(fgraph.inputs, program.inputs):
            on_device = isinstance(v.type, TensorType) if inner else _device_resident(v)
            self.where[name] = DEVICE if on_device else HOST

    def emit(self, line, node=None):
        self.lines.append('    ' * self.depth + line)
        if node is not None:
            self.line_nodes[len(self.lines) + 1] = node  # +1: the `def` line comes first

    def scope(self):
        """The transfers known here; a branch restores them on exit (its own are local)."""
        return dict(self.moved), {k: list(v) for k, v in self.derived.items()}

    def restore(self, saved):
        self.moved, self.derived = saved

    def bind(self, hint, value):
        name = self.names(hint)
        self.env[name] = value
        return name

    def placed(self, name, side):
        """`name`'s value as read on `side`, writing a transfer the first time."""
        if name in self.program.constants:
            return self._constant(name, side)
        if self.where[name] == side or (name, side) in self.moved:
            return self.moved.get((name, side), name)
        moved = self.names(name + ('_d' if side == DEVICE else '_h'))
        mover = 'to_device' if side == DEVICE else 'to_host'
        self.emit(f'{moved} = {mover}({name})')
        self.moved[(name, side)] = moved
        self.derived.setdefault(name, []).append(moved)
        return moved

    def on_host(self, name):
        return name in self.program.constants or self.where[name] == HOST

    def host_scalar(self, name, var):
        """A host value of one element as a NumPy scalar."""
        if name in self.program.constants:
            return self.bind(name + '_s', np.asarray(self.env[name]).reshape(())[()])
        return f'{name}[()]' if var.type.ndim == 0 else f'{name}.reshape(())[()]'

    def _constant(self, name, side):
        if side == HOST:
            return name
        if (name, DEVICE) not in self.moved:
            self.moved[(name, DEVICE)] = self.bind(name + '_d', self.device.to_device(self.env[name]))
        return self.moved[(name, DEVICE)]

    def free(self, step, skip=()):
        """Delete the names whose last reader is `step` (and their transferred copies)."""
        k = self.position[step.node]
        names = [n for n in dict.fromkeys(step.inputs + step.outputs)
                 if self.last_use.get(n) == k and n not in self.keep and n not in skip]
        gone = [m for n in names for m in [n, *self.derived.pop(n, ())]]
        if gone:
            self.emit(f'del {", ".join(gone)}')


def generate(fgraph, lowerings, device, inner=False):
    """Python source for `run(*inputs)`, its globals, and line -> node.

    A function's graph reads its inputs on the host and returns its outputs there
    (updates stay on the device); an `inner` graph (a loop body) reads and returns
    tensors on the device, so a loop never leaves it.
    """
    env = {'cupy': device.xp, 'numpy': np, 'runtime': runtime, 'to_device': device.to_device,
           'to_host': device.to_host, 'device_array': device.array_type}
    # In-place nodes run last, after every reader of the buffers they overwrite.
    program = plan(fgraph, reserved=env, order=schedule(fgraph.toposort()))
    for cname, const in program.constants.items():
        env[cname] = const.data
    device.prepare(_specs(lowerings.values()))
    w = _Writer(fgraph, program, env, device, inner)
    if not inner:
        _stash_shared(w, fgraph)
    tree = nest(fgraph, program.steps)
    w.position, w.last_use = number(tree)
    _emit_block(w, tree, lowerings)
    n_host = 0 if inner else len(fgraph.outputs) - len(getattr(fgraph, 'update_targets', None) or ())
    returned = _returned(w, fgraph, program, n_host)
    w.emit(f'return ({", ".join(returned)},)' if returned else 'return ()')
    source = f'def run({", ".join(program.inputs)}):\n' + '\n'.join(w.lines) + '\n'
    return source, env, w.line_nodes


def _emit_block(w, items, lowerings):
    for item in items:
        if isinstance(item, Branches):
            _emit_branches(w, item, lowerings)
        else:
            _emit_step(w, item, lowerings[item.node])


def _emit_step(w, step, lowering):
    if lowering.output_on == SAME:  # a view of a host value stays on the host
        side = HOST if w.on_host(step.inputs[0]) else DEVICE
        lowering = replace(lowering, output_on=side, host_inputs=(0,) if side == HOST else ())
    if isinstance(lowering, Kernel):
        args = _kernel_args(w, step, lowering)
    else:
        host = set(lowering.host_inputs)
        args = [w.placed(name, HOST if pos in host else DEVICE) for pos, name in enumerate(step.inputs)]
    target = ', '.join(step.outputs) + (',' if len(step.outputs) > 1 else '')
    w.emit(f'{target} = {_expression(w, step, lowering, args)}', step.node)
    sides = lowering.output_on
    sides = (sides,) * len(step.outputs) if isinstance(sides, str) else sides
    for name, side in zip(step.outputs, sides):
        w.where[name] = side
    w.free(step)


def _emit_branches(w, item, lowerings):
    """`if cond:` then-block `else:` else-block; each block ends choosing its values."""
    step = item.step
    n = step.node.op.n_outs
    target = ', '.join(step.outputs) + ','
    w.emit(f'if {w.placed(step.inputs[0], HOST)}:', step.node)
    for block, values in ((item.then, step.inputs[1:1 + n]), (item.orelse, step.inputs[1 + n:])):
        saved = w.scope()
        w.depth += 1
        _emit_block(w, block, lowerings)
        chosen = [w.placed(v, DEVICE) for v in values]
        w.emit(f'{target} = {", ".join(chosen)},', step.node)
        w.depth -= 1
        w.restore(saved)
        if block is item.then:
            w.emit('else:', step.node)
    for name in step.outputs:
        w.where[name] = DEVICE
    inner = {name for s in walk(item.then + item.orelse) for name in s.outputs}
    w.free(step, skip=inner)


def _stash_shared(w, fgraph):
    """Shared values move to the device on first use and stay there."""
    for v, name in zip(fgraph.inputs, w.program.inputs):
        if _device_resident(v):
            box = w.bind(f'box_{name}', v.container)
            w.emit(f'if {name}.__class__ is not device_array: {name} = {box}.value = to_device({name})')


def _device_resident(v):
    """Shared tensors live on the device; other shared values (random states) on the host."""
    return isinstance(v, SharedVariable) and isinstance(v.type, TensorType)


def _expression(w, step, lowering, args):
    return _EXPRESSIONS[type(lowering)](w, step, lowering, args)


def _kernel_args(w, step, lowering):
    """A scalar held on the host goes to a kernel as a NumPy scalar, by value: no
    upload, and no stall of the device behind a synchronous copy."""
    args = []
    for pos, (name, var) in enumerate(zip(step.inputs, step.node.inputs)):
        if _one_value(var) and pos != lowering.inplace and w.on_host(name):
            args.append(w.host_scalar(name, var))
        else:
            args.append(w.placed(name, DEVICE))
    return args


def _one_value(var):
    """A value of static shape (1, ..., 1): it broadcasts like a scalar."""
    return all(s == 1 for s in var.type.shape)


def _kernel_expression(w, step, lowering, args):
    kernel = w.bind('k_' + lowering.spec.name, w.device.elementwise(lowering.spec))
    target = lowering.inplace
    if target is not None and step.inputs[target] not in w.program.constants:
        args = args + [args[target]]   # the output is written over that input
    elif all(w.on_host(name) and _one_value(var) for name, var in zip(step.inputs, step.node.inputs)):
        # Only scalars in: the kernel learns its size from the outputs.
        args = args + [f"cupy.empty({out.type.shape}, dtype='{out.dtype}')" for out in step.node.outputs]
    return f'{kernel}({", ".join(args)})'


def _call_expression(w, step, lowering, args):
    function = lowering.function
    if function.startswith('runtime.'):
        args = ['cupy'] + args
    kwargs = [f'{key}={_literal(w, key, value)}' for key, value in lowering.kwargs]
    return f'{function}({", ".join(args + kwargs)})'


def _literal(w, key, value):
    if isinstance(value, ElementwiseSpec):
        return w.bind('k_' + value.name, w.device.elementwise(value))
    if callable(getattr(value, 'link', None)):   # a loop: its body is linked for this device
        return w.bind(key, value.link(w.device))
    if isinstance(value, _LITERALS) or (isinstance(value, tuple) and _is_literal(value)):
        return repr(value)
    return w.bind(key, value)


def _specs(lowerings):
    """Every kernel a graph needs (so a device can build them together)."""
    specs = []
    for lowering in lowerings:
        if isinstance(lowering, Kernel):
            specs.append(lowering.spec)
        elif isinstance(lowering, Call):
            specs.extend(v for _, v in lowering.kwargs if isinstance(v, ElementwiseSpec))
    return specs


def _is_literal(value):
    if isinstance(value, tuple):
        return all(_is_literal(v) for v in value)
    return isinstance(value, _LITERALS)


def _template_expression(w, step, lowering, args):
    return lowering.text.format(*args, xp='numpy' if lowering.output_on == HOST else 'cupy')


_EXPRESSIONS = {Kernel: _kernel_expression, Call: _call_expression, Template: _template_expression}


def _returned(w, fgraph, program, n_host):
    """The first `n_host` outputs come back to the host; the other tensors (updated
    shared values, a loop body's results) stay on the device."""
    out = []
    for k, (name, var) in enumerate(zip(program.outputs, fgraph.outputs)):
        on_host = name in program.constants or w.where.get(name) == HOST
        if k < n_host:
            out.append(f'numpy.array({name})' if on_host else f'to_host({name})')
        elif not isinstance(var.type, TensorType):
            out.append(name)
        elif on_host:
            out.append(f'to_device({name})')
        else:
            out.append(name)
    return out


def compile_source(source, env, label):
    filename = exec_with_source(source, f'{BACKEND} {label}', env)
    return env['run'], filename


def link(fgraph, options, device=None):
    device = device or cuda_device()
    lowerings = backends.lower_graph(BACKEND, fgraph)
    source, env, line_nodes = generate(fgraph, lowerings, device)
    run, filename = compile_source(source, env, options.get('name') or 'f')

    def node_at(file, lineno):
        return line_nodes.get(lineno) if file == filename else None
    return Executable(run=run, source=source, node_at=node_at)
