"""Random draws on the host, split into chunks on threads (the NumPy backend's draws,
and the Numba backend's through objmode).

Every value is defined by its position in the counter space, so the slices that
threads fill give exactly the numbers of one sequential draw.  Chunks also keep
Box-Muller's temporaries in cache: one normal draw of 10^7 float64 values took 197 ms
of CPU as one slice against 113 ms in chunks.
"""
from __future__ import annotations

from tracegraph.random import reference_draw

from .threads import n_threads, run_split

CHUNK = 1 << 17          # values per task: big enough to hide the task overhead,
PARALLEL_FROM = 1 << 18  # small enough to keep Box-Muller's temporaries in cache


def draw(op, state, inputs):
    """(the advanced state, the values) of `op` drawing from `state` with `inputs`."""
    return reference_draw.draw(op, state, inputs, fill=fill_parallel)


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
