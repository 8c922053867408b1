"""Random draws in the Numba backend: the reference transforms, called back from compiled code.

A stream's state crosses into compiled code as three uint64 words (key0, key1,
draw count); the wrapper around the graph function converts `RandomState`
values to words and back.  Each draw calls, through `numba.objmode`, the very
functions of ``tracegraph.random.distributions`` that define the numbers, so the
values are bit-identical to the NumPy backend's whatever the seed, and a draw
inside a Scan loop advances the stream exactly as there.  The cost is one call
into Python per draw (about a microsecond plus the draw itself).
"""
from __future__ import annotations

import numpy as np

from tracegraph.hookspecs import hookimpl
from tracegraph.random.op import RandomVariable
from tracegraph.random.state import RandomState, RandomStateType

from . import callbacks

BACKEND = 'numba'


def is_state(variable):
    return isinstance(variable.type, RandomStateType)


def to_words(state):
    return np.array([state.key[0], state.key[1], state.draw], dtype=np.uint64)


def from_words(words):
    return RandomState.from_words((int(words[0]), int(words[1])), int(words[2]))


@hookimpl
def tracegraph_lower_random(backend, node):
    if backend != BACKEND or not isinstance(node.op, RandomVariable):
        return None
    return callbacks.lower_callback(node, 'call_random')


def call_random(key, words, *inputs):
    node = callbacks.node_of(key)
    op = node.op
    dist = op.distribution
    state = from_words(words)
    values = callbacks.as_declared(node.inputs[1:], inputs)
    size, params = (values[0], values[1:]) if op.has_size else (None, values)
    dtype = np.dtype(op.dtype)
    if size is not None:
        size = tuple(int(s) for s in size)
        if any(s < 0 for s in size):
            raise ValueError(f'{dist.name}: size {size} has a negative entry')
    if dist.elementwise:
        shape = size if size is not None else np.broadcast_shapes(*(np.shape(p) for p in params))
        flat = [_flat(p, shape, dist, name) for p, name in zip(params, dist.params)]
        out = np.empty(shape, dtype)
        dist.fill(state.key, state.draw, 0, out.size, out.reshape(-1), *flat)
    else:
        if dist.shape_rule == 'pvals':
            shape = np.shape(params[-1])
        elif dist.shape_rule == 'size+n':
            shape = size + (int(params[0]),)
        else:
            shape = size
        out = np.asarray(dist.draw(state.key, state.draw, shape, *params)).astype(dtype, copy=False)
    return to_words(state.advanced()), callbacks.as_returned(node.outputs[1], out)


def _flat(param, shape, dist, name):
    """A scalar stays a scalar; an array is broadcast to the draw and flattened."""
    param = np.asarray(param)
    if param.size == 1 and param.ndim <= len(shape):
        return param.reshape(())
    try:
        return np.ascontiguousarray(np.broadcast_to(param, shape)).reshape(-1)
    except ValueError:
        raise ValueError(f'{dist.name}: parameter {name} of shape {param.shape} does not '
                         f'broadcast to the size {shape}') from None
