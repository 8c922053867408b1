"""x[index] on a Dask array with NumPy's meaning.

Dask slices, takes one integer array, and masks with one boolean array natively.
Several advanced indices go through `vindex`, which always puts the broadcast
index axes first; NumPy keeps them in place when they are adjacent, so the axes
are moved back.  Forms left (a new axis among several advanced indices, integer
arrays of 2+ dimensions) run NumPy's indexing in one task.
"""
from __future__ import annotations

import dask.array as da
import numpy as np

from tracegraph.tensor.subtensor import index_tuple

from .chunkwise import concrete, is_lazy, single_task


def index_values(entries, parts):
    """The Python index of a Subtensor/IncSubtensor, from its entries and the values
    of its symbolic parts (slice bounds and integers computed, as Python ints)."""
    return index_tuple(entries, parts, as_int=lambda part: int(concrete(part)))


def take(x, index):
    """x[index], NumPy semantics, lazily."""
    advanced = [k for k, i in enumerate(index) if _is_advanced(i, index)]
    if any(np.ndim(index[k]) > 1 and not _is_bool(index[k]) for k in advanced):
        # Dask's getitem takes 1-d integer arrays only; vindex would move the axes.
        return _numpy_indexing(x, index)
    if len(advanced) <= 1:
        return x[index]
    if any(i is None for i in index) or any(_is_bool(i) for i in index):
        return _numpy_indexing(x, index)
    # vindex takes arrays only: integers join the index arrays, broadcast as NumPy does.
    arrays = np.broadcast_arrays(*(np.asarray(concrete(index[k])) for k in advanced))
    full = list(index)
    for k, array in zip(advanced, arrays):
        full[k] = array
    out = x.vindex[tuple(full)]
    adjacent = advanced == list(range(advanced[0], advanced[-1] + 1))
    if adjacent and advanced[0] > 0:
        n_broadcast = out.ndim - sum(isinstance(i, slice) for i in index)
        out = da.moveaxis(out, list(range(n_broadcast)),
                          list(range(advanced[0], advanced[0] + n_broadcast)))
    return out


def _is_advanced(item, index):
    if isinstance(item, (slice, type(None))):
        return False
    if isinstance(item, int):
        # NumPy counts an integer among arrays as one more advanced index.
        return any(not isinstance(i, (slice, int, type(None))) for i in index)
    return True


def _is_bool(item):
    return getattr(item, 'dtype', None) is not None and item.dtype == bool


def _numpy_indexing(x, index):
    values = [concrete(i) if is_lazy(i) else i for i in index]
    shape = np.broadcast_to(np.empty((), x.dtype), x.shape)[tuple(values)].shape

    def getitem(array):
        return array[tuple(values)]
    return single_task(getitem, [x], shape, x.dtype)
