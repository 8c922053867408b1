"""x[index] and x[index] = y / += y with the index checked first, for array libraries
whose own indexing does not check (CuPy wraps an out-of-bounds index around) and for
index patterns the Numba backend calls back into NumPy for.

Every check (`tracegraph.tensor.index_check`, NumPy's errors in NumPy's order) comes
before the first write, so a failing call leaves x as it was, even in place.
"""
from __future__ import annotations

import numpy as np

from tracegraph.tensor.index_check import check_assignment, selection_shape
from tracegraph.tensor.subtensor import index_tuple


def checked_subtensor(x, *parts, entries, label=''):
    """x[index], `index` being what `entries` stand for with the symbolic `parts`."""
    index = index_tuple(entries, parts)
    selection_shape(x.shape, index, label)
    return x[index]


def checked_inc_subtensor(x, y, *parts, entries, set_instead_of_inc, inplace, label='',
                          add_at=np.add.at):
    """x (or a copy) with x[index] set to y or increased by y; repeated integer indices
    accumulate through `add_at(out, index, y)` (numpy.add.at's contract)."""
    index = index_tuple(entries, parts)
    check_assignment(x.shape, index, np.shape(y), label, set_instead_of_inc)
    out = x if inplace else x.copy()
    if set_instead_of_inc:
        out[index] = y
    elif any(e[0] == 'array' for e in entries):
        add_at(out, index, y)
    else:
        out[index] += y
    return out
