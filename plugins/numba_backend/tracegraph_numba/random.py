"""Random draws in the Numba backend: the reference transforms, called back from compiled code.

A stream's state crosses into compiled code as three uint64 words (key0, key1,
draw count); the wrapper around the graph function converts `RandomState`
values to words and back.  Each draw calls, through `numba.objmode`, the very
functions of ``tracegraph.random.distributions`` that define the numbers, in the
NumPy backend's chunks on threads (`tracegraph.kernels.draws`), so the values are
bit-identical to its own, and a draw inside a Scan loop advances the stream exactly as
there.  The cost is one call into Python per draw (a microsecond plus the draw).
"""
from __future__ import annotations

import numpy as np

from tracegraph.kernels import draws
from tracegraph.random.state import RandomState, RandomStateType

from . import callbacks

def is_state(variable):
    return isinstance(variable.type, RandomStateType)


def to_words(state):
    return np.array([state.key[0], state.key[1], state.draw], dtype=np.uint64)


def from_words(words):
    return RandomState.from_words((int(words[0]), int(words[1])), int(words[2]))


def lower_random(node):
    return callbacks.objmode_call(node, 'call_random')


def call_random(key, words, *inputs):
    node = callbacks.node_of(key)
    values = callbacks.as_declared(node.inputs[1:], inputs)
    state, out = draws.draw(node.op, from_words(words), values)
    return to_words(state), callbacks.as_returned(node.outputs[1], out)
