"""Run-time checks of an index against concrete shapes, raising NumPy's errors.

Backends whose own indexing does not check (Dask takes an out-of-bounds index
silently, CuPy wraps it around, Numba reads past the end) call these on the
concrete index *before* reading or writing anything, so a bad index is the same
`IndexError`/`ValueError` NumPy raises, and a failing call writes nothing.  The
checks cost one min/max per index array and a shape comparison; no data moves.

`label` (see `node_label`) prefixes every message with the op and the user's line
that built it, for backends whose errors surface far from the generated code.

The order of the checks follows NumPy's: the index's own structure first (integer
bounds of a basic index, boolean shapes, zero steps, the broadcast of the index
arrays), then, for an advanced assignment, the value's shape before the index
arrays' bounds (`x[idx] = y`), or the bounds before the value (`numpy.add.at`).
"""
from __future__ import annotations

import numpy as np


def node_label(node):
    """`Op (built at file:line: text)`: what an error says it came from."""
    where = f' (built at {node.source})' if getattr(node, 'source', None) else ''
    return f'{node.op}{where}'


def _raise(cls, message, label):
    raise cls(f'{label}: {message}' if label else message)


def _is_array(item):
    return item is not None and not isinstance(item, (slice, int, np.integer))


def _check_bounds(value, axis, size, label):
    if not -size <= value < size:
        _raise(IndexError, f'index {value} is out of bounds for axis {axis} with size {size}', label)


def _check_array_bounds(array, axis, size, label):
    if array.size == 0:
        return
    low, high = int(array.min()), int(array.max())
    _check_bounds(low if low < -size else high, axis, size, label)


def _check_bool(array, axis, shape, label):
    for k, n in enumerate(array.shape):
        if axis + k >= len(shape):
            _raise(IndexError, f'too many indices for array: array is {len(shape)}-dimensional', label)
        if n != shape[axis + k]:
            _raise(IndexError, f'boolean index did not match indexed array along axis {axis + k}; '
                   f'size of axis is {shape[axis + k]} but size of corresponding boolean axis is {n}',
                   label)


def selection_shape(shape, index, label='', check_bounds=True):
    """The shape of x[index] for x of `shape`, raising NumPy's error for a bad index.

    `index` is a tuple of None, ints, slices and integer/boolean arrays (NumPy or any
    array with shape, dtype, min and max), Ellipsis already expanded.  With
    `check_bounds=False` the index arrays' bounds are left to `check_array_bounds`
    (an assignment checks its value first, as NumPy does)."""
    shape = tuple(int(n) for n in shape)
    advanced = any(_is_array(i) for i in index)
    parts, adv_shapes, adv_at, axis = [], [], [], 0
    for pos, item in enumerate(index):
        if item is None:
            parts.append((1,))
            continue
        if axis >= len(shape) and not (_is_array(item) and item.dtype == bool and item.ndim == 0):
            _raise(IndexError, f'too many indices for array: array is {len(shape)}-dimensional', label)
        if isinstance(item, slice):
            if item.step == 0:
                _raise(ValueError, 'slice step cannot be zero', label)
            parts.append((len(range(*item.indices(shape[axis]))),))
            axis += 1
        elif not _is_array(item):
            if not advanced:
                _check_bounds(int(item), axis, shape[axis], label)
            else:
                adv_shapes.append(())
                adv_at.append(pos)
                parts.append(None)
            axis += 1
        elif item.dtype == bool:
            _check_bool(item, axis, shape, label)
            adv_shapes.append((int(item.sum()),) if item.ndim else ())
            adv_at.append(pos)
            parts.append(None)
            axis += item.ndim
        else:
            adv_shapes.append(tuple(item.shape))
            adv_at.append(pos)
            parts.append(None)
            axis += 1
    parts.extend((n,) for n in shape[axis:])
    if not adv_shapes:
        return tuple(n for p in parts for n in p)
    try:
        broadcast = np.broadcast_shapes(*adv_shapes)
    except ValueError:
        text = ' '.join(str(s) for s in adv_shapes)
        _raise(IndexError, f'shape mismatch: indexing arrays could not be broadcast together '
               f'with shapes {text}', label)
    if check_bounds:
        check_array_bounds(shape, index, label)
    adjacent = adv_at == list(range(adv_at[0], adv_at[-1] + 1))
    basic = [n for p in parts if p is not None for n in p]
    if adjacent:
        first = parts.index(None)
        before = [n for p in parts[:first] for n in p]
        return tuple(before) + broadcast + tuple(basic[len(before):])
    return broadcast + tuple(basic)


def check_array_bounds(shape, index, label=''):
    """The bounds of every integer index array (and integer among arrays) in `index`.

    NumPy reads the arrays only where their broadcast has elements: when it is empty
    the arrays' values are never checked (the integers among them still are)."""
    advanced = any(_is_array(i) for i in index)
    arrays = [i for i in index if _is_array(i) and i.dtype != bool]
    try:
        empty = bool(arrays) and 0 in np.broadcast_shapes(
            *(tuple(i.shape) for i in arrays),
            *((int(i.sum()),) for i in index if _is_array(i) and i.dtype == bool and i.ndim))
    except ValueError:   # not broadcastable: selection_shape says so
        empty = False
    axis = 0
    for item in index:
        if item is None:
            continue
        if isinstance(item, slice):
            axis += 1
        elif not _is_array(item):
            if advanced:
                _check_bounds(int(item), axis, int(shape[axis]), label)
            axis += 1
        elif item.dtype == bool:
            axis += item.ndim
        else:
            if not empty:
                _check_array_bounds(item, axis, int(shape[axis]), label)
            axis += 1


def check_value(selection, value_shape, label='', verb='set'):
    """That a value of `value_shape` broadcasts to the selection (NumPy's rule)."""
    value_shape = tuple(int(n) for n in value_shape)
    selection = tuple(selection)
    fits = len(value_shape) <= len(selection) and all(
        v in (1, s) for v, s in zip(value_shape[::-1], selection[::-1]))
    if not fits:
        _raise(ValueError, f'shape mismatch: value array of shape {value_shape} could not be '
               f'broadcast to indexing result of shape {selection} ({verb}_subtensor)', label)


def check_assignment(shape, index, value_shape, label='', set_instead_of_inc=True):
    """All checks of `x[index] = y` (set) or `x[index] += y` (inc, repeats accumulate),
    in NumPy's order; returns the selection's shape."""
    advanced = any(_is_array(i) for i in index)
    selection = selection_shape(shape, index, label, check_bounds=not advanced)
    verb = 'set' if set_instead_of_inc else 'inc'
    if advanced and not set_instead_of_inc:
        check_array_bounds(shape, index, label)     # numpy.add.at: bounds first
        check_value(selection, value_shape, label, verb)
    else:
        check_value(selection, value_shape, label, verb)
        if advanced:
            check_array_bounds(shape, index, label)
    return selection
