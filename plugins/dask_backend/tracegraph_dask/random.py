"""Random draws on the Dask backend, chunk by chunk, equal to the NumPy backend's.

Value i of a draw is defined by its position i in the stream's counter space
(``tracegraph.random.philox``), so a chunk holding flat positions [start, stop)
fills them on its own with the distribution's reference ``fill``.  Draws are cut
along their leading axis only (a chunk of whole rows is one contiguous run of
positions); how many rows a chunk holds changes nothing in the numbers.

Distributions that need all their values at once (permutation, choice,
multinomial) are drawn whole by the NumPy backend where the function is called.
"""
from __future__ import annotations

import math

import dask
import dask.array as da
import numpy as np
from dask.array.core import normalize_chunks
from dask.utils import parse_bytes

from tracegraph import backends

from .chunkwise import as_dask, computed, concrete, is_lazy
from .lowering import Lowering
from .options import chunk_shape


def lower_random(node):
    """The Lowering of a random-variable node (what `tracegraph_lower_random` answers)."""
    return Lowering(node, _random_rule, eager=False)


def _random_rule(node, options):
    op = node.op
    dist = op.distribution
    if not dist.elementwise:
        whole = backends.lower('numpy', node, 'tracegraph_lower_random')

        def draw_whole(state, *inputs):
            return whole(*computed([state, *inputs]))
        draw_whole.__name__ = f'draw_{dist.name}'
        return draw_whole
    dtype = np.dtype(op.dtype)

    def draw(state, *inputs):
        size, params = _split(op.has_size, inputs)
        shape = size if size is not None else np.broadcast_shapes(*(np.shape(p) for p in params))
        params = [_broadcast(p, shape, name, dist.name) for p, name in zip(params, dist.params)]
        values = _chunked_draw(dist.fill, state.key, state.draw, shape, dtype, params,
                               options.chunks)
        return state.advanced(), values
    draw.__name__ = f'draw_{dist.name}'
    return draw


def _split(has_size, inputs):
    if not has_size:
        return None, list(inputs)
    size = tuple(int(s) for s in concrete(inputs[0]))
    if any(s < 0 for s in size):
        raise ValueError(f'size {size} has a negative entry')
    return size, list(inputs[1:])


def _broadcast(param, shape, name, dist):
    """A one-value parameter stays a NumPy scalar; any other is broadcast to the draw."""
    if not is_lazy(param) and np.size(param) == 1 and np.ndim(param) <= len(shape):
        return np.asarray(param).reshape(())
    try:
        np.broadcast_shapes(np.shape(param), shape)
        return da.broadcast_to(as_dask(param), shape)
    except ValueError:
        raise ValueError(f'{dist}: parameter {name} of shape {np.shape(param)} does not '
                         f'broadcast to the size {shape}') from None


def _chunked_draw(fill, key, draw, shape, dtype, params, chunks):
    if not shape:
        out = np.empty((), dtype)
        fill(key, draw, 0, 1, out.reshape(-1), *computed(params))
        return out
    row = math.prod(shape[1:])
    blocks, start = [], 0
    for rows in leading_chunks(shape, dtype, chunks):
        stop = start + rows
        sliced = [p if p.ndim == 0 else p[start:stop] for p in params]
        block = dask.delayed(fill_block, pure=False)(fill, key, draw, start * row, stop * row,
                                                   (rows,) + tuple(shape[1:]), dtype, *sliced)
        blocks.append(da.from_delayed(block, shape=(rows,) + tuple(shape[1:]), dtype=dtype))
        start = stop
    return da.concatenate(blocks, axis=0) if len(blocks) > 1 else blocks[0]


def leading_chunks(shape, dtype, chunks):
    """Rows per chunk of a draw of `shape`: the option's rule on the leading axis, the
    other axes whole (so each chunk is one contiguous run of positions)."""
    if chunks == 'auto' or (isinstance(chunks, str) and not chunks.startswith('split:')):
        limit = None if chunks == 'auto' else parse_bytes(chunks)
        spec = ('auto',) + tuple(shape[1:])
        return normalize_chunks(spec, shape, limit=limit, dtype=dtype)[0] or (0,)
    return normalize_chunks(chunk_shape(shape, chunks), shape, dtype=dtype)[0] or (0,)


def fill_block(fill, key, draw, start, stop, shape, dtype, *params):
    """Values [start, stop) of a draw, as one chunk of `shape`."""
    out = np.empty(shape, dtype)
    flat = [p.reshape(-1) if np.ndim(p) else p for p in params]
    fill(key, draw, start, stop, out.reshape(-1), *flat)
    return out
