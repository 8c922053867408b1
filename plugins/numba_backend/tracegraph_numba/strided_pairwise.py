"""NumPy's pairwise sum of a row that is not contiguous, without copying the array.

A broadcast or strided row used to be copied whole (8 GB for np.broadcast_to(x,
(10**9,))).  Here each leaf block of NumPy's recursion is copied into a 128-element
scratch buffer and summed by `pairwise_sum`: the bits of the contiguous copy's sum.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .pairwise import BLOCK, LANES, pairwise_sum


@njit(cache=True, error_model='numpy')
def pairwise_sum_strided(a, zero):
    """sum(a) for a 1-D float array of any layout, in NumPy's order: its recursion on
    explicit stacks (Numba cannot cache a recursive function); a frame is a part of the
    row, visited left, right, then combined; parts of at most BLOCK elements are leaves."""
    scratch = np.empty(BLOCK, dtype=a.dtype)
    starts = np.empty(64, dtype=np.int64)
    lengths = np.empty(64, dtype=np.int64)
    phases = np.empty(64, dtype=np.int64)
    values = np.full(64, zero)
    depth, filled = 0, 0
    starts[0], lengths[0], phases[0] = 0, a.shape[0], 0
    while depth >= 0:
        start, n = starts[depth], lengths[depth]
        if n <= BLOCK:
            for i in range(n):
                scratch[i] = a[start + i]
            values[filled] = pairwise_sum(scratch[:n], zero)
            filled += 1
            depth -= 1
            continue
        half = n // 2
        half -= half % LANES
        phase = phases[depth]
        phases[depth] = phase + 1
        if phase == 0:
            depth += 1
            starts[depth], lengths[depth], phases[depth] = start, half, 0
        elif phase == 1:
            depth += 1
            starts[depth], lengths[depth], phases[depth] = start + half, n - half, 0
        else:
            values[filled - 2] = values[filled - 2] + values[filled - 1]
            filled -= 1
            depth -= 1
    return values[0]
