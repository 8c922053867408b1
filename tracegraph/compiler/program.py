"""A FunctionGraph laid out for code generation: one step per node, readable names,
and the point after which each value is no longer needed.

Backends that generate source (NumPy, Numba) share this plan so their code reads
the same way: one assignment per node, values freed after their last use.
"""
from __future__ import annotations

import builtins
import keyword
import re
from dataclasses import dataclass, field

from ..ir import Constant


@dataclass
class Step:
    node: object
    inputs: list
    outputs: list
    free: list = field(default_factory=list)


@dataclass
class Program:
    inputs: list            # names of the function's arguments, in fgraph.inputs order
    steps: list             # Step per Apply node, in execution order
    outputs: list           # names returned, in fgraph.outputs order
    constants: dict         # name -> Constant
    names: dict             # Variable -> name


_IDENT = re.compile(r'[^0-9a-zA-Z_]')


class Namer:
    """Unique, readable identifiers that never shadow a keyword or a builtin."""

    def __init__(self, reserved=()):
        self.used = set(reserved) | set(dir(builtins)) | set(keyword.kwlist)
        self.next_suffix = {}

    def __call__(self, hint):
        base = _IDENT.sub('_', hint or 'v').strip('_') or 'v'
        if base[0].isdigit():
            base = 'v' + base
        name, k = base, self.next_suffix.get(base, 0)
        while name in self.used:
            k += 1
            name = f'{base}_{k}'
        self.next_suffix[base] = k
        self.used.add(name)
        return name


def op_hint(node):
    op = node.op
    scalar = getattr(op, 'scalar_op', None)
    if scalar is not None:
        return str(getattr(scalar, 'name', 'elemwise')).replace('cast', f'as_{getattr(scalar, "dtype", "")}')
    return type(op).__name__.lower()


def plan(fgraph, reserved=(), order=None):
    """The Program of `fgraph`, running its nodes in `order` (default: its toposort)."""
    namer = Namer(reserved)
    names = {}
    inputs = [names.setdefault(v, namer(v.name or 'arg')) for v in fgraph.inputs]
    constants = {}
    nodes = fgraph.toposort() if order is None else order
    steps = []
    for node in nodes:
        for v in node.inputs:
            if v not in names and isinstance(v, Constant):
                names[v] = namer('c')
                constants[names[v]] = v
        outs = [names.setdefault(o, namer(op_hint(node))) for o in node.outputs]
        steps.append(Step(node, [names[v] for v in node.inputs], outs))
    outputs = []
    for v in fgraph.outputs:
        if v not in names and isinstance(v, Constant):
            names[v] = namer('c')
            constants[names[v]] = v
        outputs.append(names[v])
    _mark_frees(steps, set(outputs), set(constants))
    return Program(inputs, steps, outputs, constants, names)


def _mark_frees(steps, keep, constants):
    last_use = {}
    for k, step in enumerate(steps):
        for name in step.inputs:
            last_use[name] = k
        for name in step.outputs:
            last_use.setdefault(name, k)
    for name, k in last_use.items():
        if name not in keep and name not in constants:
            steps[k].free.append(name)
