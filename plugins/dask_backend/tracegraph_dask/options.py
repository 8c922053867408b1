"""The Dask backend's two settings: how NumPy inputs are chunked, and whether
results come back computed.

Each is fixed when a function is compiled, from the first of:

1. ``tg.function(..., backend="dask", backend_options={"chunks": ..., "lazy": ...})``;
2. Dask's configuration: ``dask.config.set({"tracegraph.chunks": ...})``, or the
   environment variables ``DASK_TRACEGRAPH__CHUNKS`` / ``DASK_TRACEGRAPH__LAZY``
   (Dask reads those itself when it is imported);
3. the defaults: ``chunks="auto"``, ``lazy=False``.

``chunks`` takes what ``dask.array.from_array`` takes (``"auto"``: Dask picks
blocks of about ``array.chunk-size`` bytes, 128 MiB by default; an int: that many
elements per axis; a byte size such as ``"64MiB"``; a tuple of sizes per axis, whose
trailing entries apply to inputs of fewer axes), or
``"split:N"``: every axis of length n cut into min(n, N) near-equal pieces (the test
runs use ``"split:3"`` so that even a 2x2 input is several chunks).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import dask
import dask.array as da
import numpy as np

DEFAULT_CHUNKS = 'auto'
_KNOWN = ('chunks', 'lazy')


@dataclass(frozen=True)
class DaskOptions:
    chunks: object = DEFAULT_CHUNKS
    lazy: bool = False


def resolve(backend_options):
    """The options of one compiled function (see the module docstring for the order)."""
    given = dict(backend_options or {})
    unknown = sorted(set(given) - set(_KNOWN))
    if unknown:
        raise TypeError(f'backend_options for the dask backend: unknown option(s) {unknown}; '
                        f'known: {list(_KNOWN)}')
    chunks = given.get('chunks', dask.config.get('tracegraph.chunks', DEFAULT_CHUNKS))
    lazy = given.get('lazy', dask.config.get('tracegraph.lazy', False))
    _check_chunks(chunks)
    return DaskOptions(chunks=chunks, lazy=bool(lazy))


def _check_chunks(chunks):
    if isinstance(chunks, str) and chunks.startswith('split:'):
        pieces = chunks.split(':', 1)[1]
        if not pieces.isdigit() or int(pieces) < 1:
            raise ValueError(f'chunks={chunks!r}: "split:N" needs a positive integer N')


def chunk_shape(shape, chunks):
    """What `chunks` means for an array of `shape`, in a form Dask accepts."""
    if isinstance(chunks, str) and chunks.startswith('split:'):
        pieces = int(chunks.split(':', 1)[1])
        return tuple(max(1, math.ceil(n / pieces)) for n in shape)
    if isinstance(chunks, tuple):
        # Per-axis sizes; an array of fewer axes takes the trailing ones (as it would
        # broadcast against the others), and an array of more axes keeps its leading axes whole.
        sizes = chunks[len(chunks) - len(shape):] if len(shape) <= len(chunks) else \
            tuple(shape[:len(shape) - len(chunks)]) + chunks
        return sizes
    return chunks


def to_dask(value, chunks):
    """A NumPy input as a Dask array chunked by the rule.  Scalars stay NumPy: a 0-d
    value has nothing to split, and concrete scalars keep slicing and shapes exact."""
    if isinstance(value, da.Array):
        return value  # the caller's own chunks
    value = np.asarray(value)
    if value.ndim == 0:
        return value
    # name=False: a random graph key instead of hashing every byte of the input.
    return da.from_array(value, chunks=chunk_shape(value.shape, chunks), name=False)
