"""How the NumPy backend draws: the reference transforms of
``tracegraph.random.distributions``, split across threads for large draws.

A kernel takes the stream's state, the size (when the node has one) and the
parameters, and returns the advanced state and the values.  Because every value
is defined by its position in the counter space, the slices that threads fill
give exactly the numbers of one sequential draw.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from tracegraph.hookspecs import hookimpl

CHUNK = 1 << 17          # values per task: big enough to hide the task overhead,
PARALLEL_FROM = 1 << 18  # small enough to keep Box-Muller's temporaries in cache
_pool = None


@hookimpl
def tracegraph_lower_random(backend, node):
    if backend != 'numpy':
        return None
    return lower_random(node)


def lower_random(node):
    op = node.op
    dist = op.distribution
    make = _elementwise_kernel if dist.elementwise else _whole_kernel
    kernel = make(dist, np.dtype(op.dtype), op.has_size)
    kernel.__name__ = f'draw_{dist.name}'
    return kernel


def _elementwise_kernel(dist, dtype, has_size):
    def draw(state, *inputs):
        size, params = _split(dist, has_size, inputs)
        shape = size if has_size else np.broadcast_shapes(*(np.shape(p) for p in params))
        flat = [_flat(p, shape, dist, name) for p, name in zip(params, dist.params)]
        out = np.empty(shape, dtype)
        fill_parallel(dist.fill, state.key, state.draw, out.reshape(-1), flat)
        return state.advanced(), out
    return draw


def _whole_kernel(dist, dtype, has_size):
    def draw(state, *inputs):
        size, params = _split(dist, has_size, inputs)
        if dist.shape_rule == 'pvals':
            shape = np.shape(params[-1])
        elif dist.shape_rule == 'size+n':
            shape = size + (int(params[0]),)
        else:
            shape = size
        out = dist.draw(state.key, state.draw, shape, *params)
        return state.advanced(), np.asarray(out).astype(dtype, copy=False)
    return draw


def _split(dist, has_size, inputs):
    if not has_size:
        return None, inputs
    size = tuple(int(s) for s in inputs[0])
    if any(s < 0 for s in size):
        raise ValueError(f'{dist.name}: size {size} has a negative entry')
    return size, inputs[1:]


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


def fill_parallel(fill, key, draw, out, params):
    """fill(key, draw, start, stop, out[start:stop], *params sliced) over chunks."""
    n = out.size
    if n < PARALLEL_FROM or (os.cpu_count() or 1) == 1:
        fill(key, draw, 0, n, out, *params)
        return

    def task(start):
        stop = min(start + CHUNK, n)
        sliced = [p[start:stop] if p.ndim else p for p in params]
        fill(key, draw, start, stop, out[start:stop], *sliced)
    for _ in _executor().map(task, range(0, n, CHUNK)):
        pass


def _executor():
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=os.cpu_count(), thread_name_prefix='tracegraph-rng')
    return _pool
