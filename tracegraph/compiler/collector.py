"""Fewer cyclic garbage collections while a function compiles.

Compiling allocates a great many objects that live on: a backend's first use
imports its compiler (Numba's typing and lowering registries, SciPy), rewrites
build graphs.  At CPython's default threshold the collector runs every 700 new
container objects, and as the heap grows its full collections walk all of it
again and again: about a tenth of a warm `function()` on the Numba backend.
Collecting less often still collects every cycle, and the garbage waiting in
between stays small.
"""
from __future__ import annotations

import contextlib
import gc
import threading

COMPILE_THRESHOLD = 10_000      # new container objects between two young collections

_lock = threading.Lock()
_depth = 0
_saved = None


@contextlib.contextmanager
def fewer_collections():
    """Raise the collector's first threshold for the duration of the block.

    Compilations may nest or run in several threads: the first to enter saves
    the thresholds and the last to leave puts them back.  A higher threshold set
    by the user is kept.
    """
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(max(_saved[0], COMPILE_THRESHOLD), *_saved[1:])
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.set_threshold(*_saved)
