"""Clear errors for Alloc, Join and results too large to hold, on the Dask backend.

Dask's own messages name neither the op nor the user's line (`('Shapes do not align:
%s', ...)`), and a result larger than the machine's memory is not an error at all
until computing it gets the process killed.  These checks raise first, naming the
node and the line that built it.
"""
from __future__ import annotations

import os


def where(node):
    source = getattr(node, 'source', None)
    return f' (built at {source})' if source else ''


def check_alloc_shape(node, shape):
    if any(d < 0 for d in shape):
        raise ValueError(f'{node.op}{where(node)}: negative dimensions are not allowed, got '
                         f'shape {tuple(shape)}')


def check_join_shapes(node, tensors):
    """NumPy's rule: every input's shape equals the first one's, except on the axis."""
    shapes = [tuple(t.shape) for t in tensors]
    if not shapes:
        return
    axis = node.op.axis % len(shapes[0])
    rest = [s[:axis] + s[axis + 1:] for s in shapes]
    if any(r != rest[0] for r in rest):
        raise ValueError(f'{node.op}{where(node)}: all the input shapes must match except on '
                         f'axis {axis}; got {shapes}')


def physical_memory():
    try:
        return os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES')
    except (ValueError, OSError, AttributeError):
        return None


def check_fits(arrays, producers):
    """MemoryError before computing results (`(position, dask array)`) that together
    exceed this machine's memory; `producers[k]` is the node that computes result k."""
    total = sum(a.nbytes for _, a in arrays if a.nbytes == a.nbytes)  # NaN: unknown chunks
    limit = physical_memory()
    if limit is None or total <= limit:
        return
    k, big = max(arrays, key=lambda item: item[1].nbytes)
    node = producers[k] if k < len(producers) else None
    what = f'{node.op}{where(node)}' if node is not None else f'result {k}'
    raise MemoryError(f'{what}: the result of shape {big.shape} ({big.dtype}) needs '
                      f'{big.nbytes / 2**30:.1f} GiB, more than this machine\'s memory '
                      f'({limit / 2**30:.1f} GiB); reduce it inside the function, or compile '
                      'with lazy=True to get Dask arrays back')
