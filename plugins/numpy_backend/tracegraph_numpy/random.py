"""How the NumPy backend draws: the reference transforms of
``tracegraph.random.distributions``, in chunks on threads for large draws
(`tracegraph.kernels.draws`).

A kernel takes the stream's state, the size (when the node has one) and the
parameters, and returns the advanced state and the values.
"""
from __future__ import annotations

from tracegraph.kernels import draws


def lower_random(node):
    op = node.op

    def draw(state, *inputs):
        return draws.draw(op, state, inputs)
    draw.__name__ = f'draw_{op.distribution.name}'
    return draw
