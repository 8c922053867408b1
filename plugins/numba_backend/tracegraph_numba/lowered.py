"""What the Numba backend's lowering of one node is: templates of Numba source.

`template` holds lines of the graph's one `@njit` function, with `${i0}`.. for the
node's inputs, `${o0}`.. for its outputs, `${t}` prefixing its temporaries and
`${k0}`.. for its kernels.  A kernel is the source of an `@njit` function `kernel`
doing the node's loops; it depends only on the op and the input types, so each is
compiled once per machine and shared by every graph (Numba's compile time grows
faster than linearly with a function's length).  0-d values are plain scalars.
Checks that can fail at run time stay in the graph function, so their message can
name the op and the user's line.
"""
from __future__ import annotations

from dataclasses import dataclass

KERNEL_HEADER = '''import math

import numpy as np
from numba import njit, objmode

from tracegraph.kernels.blocked import evaluate as blocked_evaluate
from tracegraph_numba.callbacks import call_host, call_numpy, call_numpy_indexing, call_perform
from tracegraph_numba.random import call_random
from tracegraph_numba.helpers import *  # noqa: F401,F403
from tracegraph_numba.small_dot import nb_dot  # noqa: F401
from tracegraph_numba.vector_math import nb_exp, nb_sigmoid, nb_tanh  # noqa: F401
'''
JIT = "@njit(cache=True, error_model='numpy')"

# SciPy's C functions must be registered before a kernel using one links (special.py).
SPECIAL_IMPORT = 'from tracegraph_numba.special import *  # noqa: F401,F403\n'


def header(source):
    """KERNEL_HEADER, with the special functions' import when `source` calls one."""
    return KERNEL_HEADER + (SPECIAL_IMPORT if 'nb_sp_' in source else '')


@dataclass(frozen=True)
class Lowered:
    template: str
    kernels: tuple = ()
    # A node that writes its own lines (Scan): emit(generator, step, depth).
    emit: object = None
    # The same node writing its one output into a given array (`${d0}`), or None.
    into: 'Lowered | None' = None


def kernel(params, body, preamble='', jit=JIT):
    """The source of a kernel module: `def kernel(params):` with `body` lines."""
    text = preamble + f'\n\n{jit}\ndef kernel({", ".join(params)}):\n'
    text += ''.join(f'    {line}\n' for line in body)
    return header(text) + text


def indent(lines, depth=1):
    """`lines` of source, `depth` levels (four spaces each) further in."""
    return ['    ' * depth + line for line in lines]


def loop_nest(ranges, body):
    """`body` inside one `for` loop per (index, length) of `ranges`, the first outermost."""
    heads = ['    ' * depth + f'for {index} in range({length}):'
             for depth, (index, length) in enumerate(ranges)]
    return heads + indent(body, len(ranges))


def if_else(condition, then, otherwise):
    """Lines running `then` when `condition` holds, else `otherwise`."""
    return [f'if {condition}:', *indent(then), 'else:', *indent(otherwise)]


def error_message(node, what):
    """`<op>: <what> (built at <the user's line>)`, the line as a marker (located.py)."""
    where = f' (built at {location_marker(node)})' if getattr(node, 'source', None) else ''
    return f'{node.op}: {what}{where}'


def location_marker(node):
    """Stands for `node.source` in generated text until the linker numbers it."""
    return f'<tg-node {id(node)}>'


def params(node):
    """A kernel's parameter names for the node's inputs: a0, a1..."""
    return [f'a{k}' for k in range(len(node.inputs))]


def kernel_call(node, source, first=(), last=()):
    """The node as one call of its kernel `source` with `first`, the node's inputs and
    `last` (source texts); the kernel returns a tuple with one value per output."""
    targets = ', '.join(f'${{o{k}}}' for k in range(len(node.outputs)))
    args = ', '.join([*first, *(f'${{i{k}}}' for k in range(len(node.inputs))), *last])
    return Lowered(f'{targets}, = ${{k0}}({args})', kernels=(source,))
