"""How the NumPy backend draws: the reference transforms of
``tracegraph.random.distributions``, split across threads for large draws.

A kernel takes the stream's state, the size (when the node has one) and the
parameters, and returns the advanced state and the values.  Because every value
is defined by its position in the counter space, the slices that threads fill
give exactly the numbers of one sequential draw.
"""
from __future__ import annotations

from tracegraph.kernels.threads import n_threads, run_split
from tracegraph.random import reference_draw

CHUNK = 1 << 17          # values per task: big enough to hide the task overhead,
PARALLEL_FROM = 1 << 18  # small enough to keep Box-Muller's temporaries in cache


def lower_random(node):
    op = node.op

    def draw(state, *inputs):
        return reference_draw.draw(op, state, inputs, fill=fill_parallel)
    draw.__name__ = f'draw_{op.distribution.name}'
    return draw


def fill_parallel(fill, key, draw, out, params):
    """fill(key, draw, start, stop, out[start:stop], *params sliced), over chunks on threads."""
    n = out.size
    if n < PARALLEL_FROM:
        fill(key, draw, 0, n, out, *params)
        return

    def task(start):
        stop = min(start + CHUNK, n)
        sliced = [p[start:stop] if p.ndim else p for p in params]
        fill(key, draw, start, stop, out[start:stop], *sliced)
    run_split(task, [(start,) for start in range(0, n, CHUNK)], n_threads())
