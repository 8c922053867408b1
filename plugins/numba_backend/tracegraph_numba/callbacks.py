"""Calls from compiled code back into Python, through `numba.objmode`.

Decided when the graph is compiled, never as a silent fallback at run time, for:
ops that bring their own Python `perform` (Numba cannot compile arbitrary Python);
HostOps (sort, unique...), convolutions and the linear algebra Numba does not
compile, where NumPy's own code runs (`lower_host`, `lower_numpy`); and index
patterns Numba's indexing cannot express (indexing.py).

The generated source names a node by a key derived from its op and types, so it
stays the same from one process to the next (and the disk cache keeps working);
`register` maps the key to the node in this process before the function runs.
"""
from __future__ import annotations

import hashlib

import numpy as np

from tracegraph import backends
from tracegraph.backends import warn_python_perform
from tracegraph.compiler.errors import rebuilt
from tracegraph.kernels.checked_index import checked_inc_subtensor, checked_subtensor
from tracegraph.tensor.index_check import node_label
from tracegraph.tensor.subtensor import IncSubtensor

from .lowered import kernel, kernel_call, params

_NODES = {}
_NUMPY_KERNELS = {}   # key -> the NumPy backend's kernel of that node


def register(node):
    text = '|'.join([type(node.op).__module__, type(node.op).__qualname__, repr(node.op),
                     ';'.join(str(v.type) for v in node.inputs),
                     ';'.join(str(v.type) for v in node.outputs)])
    key = hashlib.sha1(text.encode()).hexdigest()[:16]
    _NODES[key] = node
    return key


def node_of(key):
    return _NODES[key]


def objmode_type(variable):
    """The Numba type string an objmode block declares for a value of this variable."""
    if not hasattr(variable.type, 'dtype'):
        return 'uint64[::1]'     # a random stream's state, as words (random.py)
    dtype = np.dtype(variable.dtype)
    name = 'boolean' if dtype == np.bool_ else dtype.name
    if variable.ndim == 0:
        return name
    return f'{name}[{", ".join([":"] * (variable.ndim - 1) + ["::1"])}]'


def objmode_call(node, function, preamble=''):
    """A kernel whose body is the objmode block that calls `function(key, *inputs)` in
    Python, returning a tuple of the outputs.  The node's key is an argument, not part of
    the source, so every node of the same arity and types shares one kernel (each new
    kernel source costs a compile)."""
    key = register(node)
    types = ', '.join(f'r{j}="{objmode_type(o)}"' for j, o in enumerate(node.outputs))
    outs = ', '.join(f'r{j}' for j in range(len(node.outputs)))
    args = ['key'] + params(node)
    source = kernel(args, [f'with objmode({types}):', f'    {outs}, = {function}({", ".join(args)})',
                           f'return {outs},'], preamble)
    return kernel_call(node, source, first=[repr(key)])


def lower_perform(node):
    warn_python_perform('numba', node.op)
    return objmode_call(node, 'call_perform')


def lower_host(node):
    """A HostOp (sort, unique, repeat...): its NumPy meaning, `op.compute`, run by NumPy.
    Chosen, not a fallback: NumPy's SIMD sorts and its unique/repeat ran 2-17x faster
    than Numba's compiled ones from 1,000 elements up (a sort of 10^5 float64: 0.5 ms
    against 8.8), which outweighs the crossing (a few microseconds) on small arrays."""
    return objmode_call(node, 'call_host')


def lower_numpy(node):
    """The NumPy backend's kernel of `node`.  Convolutions: one im2col copy and one BLAS
    product per group, at memory/BLAS speed from NumPy (an `@njit` im2col loop feeding
    np.dot took 673 ms against this route's 457, bench/conv.py's forward shape); and the
    linear algebra Numba does not compile (linalg.py)."""
    return objmode_call(node, 'call_numpy')


def as_declared(variables, args):
    """Scalars cross objmode as Python numbers: give them back their dtype."""
    return [np.asarray(a, dtype=v.dtype) if getattr(v.type, 'ndim', 1) == 0 else a
            for a, v in zip(args, variables)]


def as_returned(variable, value):
    if variable.ndim == 0:
        return np.asarray(value, dtype=variable.dtype)[()]
    if type(value) is not np.ndarray or value.dtype != variable.dtype or not value.flags.c_contiguous:
        value = np.ascontiguousarray(value, dtype=variable.dtype)
    return value


def _outputs(node, values):
    return tuple(as_returned(v, value) for value, v in zip(values, node.outputs))


def call_perform(key, *args):
    node = _NODES[key]
    storage = [[None] for _ in node.outputs]
    try:
        node.op.perform(node, as_declared(node.inputs, args), storage)
    except Exception as exc:  # a user's op (as_op, perform): name it and the line
        raise located(exc, node) from exc
    return _outputs(node, [s[0] for s in storage])


def call_host(key, *args):
    """A HostOp's `compute` without `perform`'s output lists: a sort of 100 float64 took
    7.8 µs a call through `call_perform`, the NumPy backend's code 4.9."""
    node = _NODES[key]
    try:
        values = node.op.compute(*as_declared(node.inputs, args))
    except Exception as exc:  # the objmode boundary hides the generated line: name the node's
        raise located(exc, node) from exc
    return _outputs(node, values if len(node.outputs) > 1 else (values,))


def call_numpy(key, *args):
    node = _NODES[key]
    run = _NUMPY_KERNELS.get(key)
    if run is None:
        run = _NUMPY_KERNELS[key] = backends.lower('numpy', node)
    try:
        values = run(*as_declared(node.inputs, args))
    except Exception as exc:  # the objmode boundary hides the generated line: name the node's
        raise located(exc, node) from exc
    return _outputs(node, values if isinstance(values, tuple) else (values,))


_NUMPY_REDUCTIONS = {'maximum': np.max, 'minimum': np.min}


def call_reduce(key, x):
    """NumPy's max or min, walking any layout in memory order (lowering.py's large
    reductions)."""
    op = _NODES[key].op
    return _outputs(_NODES[key], [_NUMPY_REDUCTIONS[op.reducer](x, axis=op.axes)])


def located(exc, node):
    """`exc` again (its type where it can be rebuilt from a message), saying which
    node raised it and the user's line that built the node."""
    return rebuilt(type(exc), f'{node_label(node)} raised {type(exc).__name__}: {exc}')


def call_numpy_indexing(key, *args):
    """NumPy's indexing, every check first (errors name the op; an in-place failure
    leaves x as it was)."""
    node = _NODES[key]
    op, values = node.op, as_declared(node.inputs, args)
    if isinstance(op, IncSubtensor):
        out = checked_inc_subtensor(*values, entries=op.entries, inplace=op.inplace,
                                    set_instead_of_inc=op.set_instead_of_inc, label=node_label(node))
    else:
        out = checked_subtensor(*values, entries=op.entries, label=node_label(node))
    return _outputs(node, [out])
