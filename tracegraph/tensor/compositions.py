"""Theano 1.0's `tensor.basic` functions that tracegraph builds from its existing ops:
tile, roll, stack(*xs), inv, square, broadcast-pattern changes, batched_dot,
batched_tensordot, triu/tril, diag, take, choose, mgrid/ogrid, swapaxes,
largest/smallest, zeros/ones(shape=...).  All are differentiable through the ops
they are made of."""
from __future__ import annotations

import builtins

import numpy as np

from . import math as m
from .basic import as_tensor_variable
from .view_ops import rebroadcast


def inv(x):
    """Theano's `inv`: the elementwise reciprocal 1 / x."""
    return m.true_div(1.0, as_tensor_variable(x))


def square(x):
    return m.sqr(x)


def stack(*tensors, **kwargs):
    """`stack([a, b], axis=0)` or Theano's `stack(a, b, c, axis=0)`."""
    axis = kwargs.pop('axis', 0)
    if kwargs:
        raise TypeError(f'stack: unexpected keyword arguments {sorted(kwargs)}')
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    if not tensors:
        raise ValueError('stack needs at least one tensor')
    return m.stack(list(tensors), axis=axis)


def zeros(shape, dtype=None):
    """Theano's `zeros(shape, dtype=None)` (shape may be passed by keyword)."""
    return m.zeros(shape, dtype=dtype)


def ones(shape, dtype=None):
    return m.ones(shape, dtype=dtype)


# -- broadcast patterns --------------------------------------------------------------
def _set_axes(x, axes, value):
    x = as_tensor_variable(x)
    shape = list(x.type.shape)
    for a in axes:
        a = int(a) % x.ndim
        if value is None:
            shape[a] = None
        elif shape[a] not in (None, 1):
            raise ValueError(f'addbroadcast: axis {a} of {x} has length {shape[a]}, not 1')
        else:
            shape[a] = 1
    return rebroadcast(x, shape)


def addbroadcast(x, *axes):
    """x with `axes` marked broadcastable (length 1, checked at run time)."""
    return _set_axes(x, axes, 1)


def unbroadcast(x, *axes):
    """x with `axes` no longer broadcastable."""
    return _set_axes(x, axes, None)


def patternbroadcast(x, broadcastable):
    """x with the broadcastable pattern `broadcastable` (one bool per axis)."""
    x = as_tensor_variable(x)
    if len(broadcastable) != x.ndim:
        raise ValueError(f'patternbroadcast: {len(broadcastable)} flags for {x} of {x.ndim} dimensions')
    x = _set_axes(x, [k for k, b in enumerate(broadcastable) if b], 1)
    return _set_axes(x, [k for k, b in enumerate(broadcastable) if not b and x.type.shape[k] == 1], None)


# -- arrangement -----------------------------------------------------------------------
def swapaxes(y, axis1, axis2):
    y = as_tensor_variable(y)
    order = list(range(y.ndim))
    a, b = int(axis1) % y.ndim, int(axis2) % y.ndim
    order[a], order[b] = order[b], order[a]
    return m.dimshuffle(y, order)


def tile(x, reps, ndim=None):
    """Theano's `tile(x, reps, ndim=None)`: np.tile with a list/tuple of (symbolic) reps."""
    x = as_tensor_variable(x)
    if isinstance(reps, (int, np.integer)):
        reps = [reps]
    if not isinstance(reps, (list, tuple)):
        reps = as_tensor_variable(reps)
        if reps.ndim != 1 or reps.type.shape[0] is None:
            raise ValueError('tile: reps must be a list, a tuple, or a vector of known length')
        reps = [reps[k] for k in range(reps.type.shape[0])]
    ndim = builtins.max(x.ndim, len(reps)) if ndim is None else ndim
    if ndim < builtins.max(x.ndim, len(reps)):
        raise ValueError(f'tile: ndim={ndim} is less than the dimensions of x or reps')
    reps = [1] * (ndim - len(reps)) + list(reps)
    x = m.dimshuffle(x, ['x'] * (ndim - x.ndim) + list(range(x.ndim)))
    # Interleave: alloc to (r0, s0, r1, s1, ...), then merge each pair.
    pattern, shape, merged = [], [], []
    for k in range(ndim):
        pattern += ['x', k]
        shape += [reps[k], m.shape(x)[k]]
        merged.append(reps[k] * m.shape(x)[k])
    return m.reshape(m.alloc(m.dimshuffle(x, pattern), *shape), merged)


def roll(x, shift, axis=None):
    """np.roll(x, shift, axis); axis=None rolls the flattened array and keeps the shape."""
    x = as_tensor_variable(x)
    if axis is None:
        return m.reshape(roll(m.flatten(x), shift, 0), m.shape(x))
    axis = int(axis) % x.ndim
    n = m.shape(x)[axis]
    shift = m.switch(m.eq(n, 0), 0, as_tensor_variable(shift) % m.maximum(n, 1))
    lead = (slice(None),) * axis
    return m.concatenate([x[lead + (slice(n - shift, None),)], x[lead + (slice(0, n - shift),)]], axis=axis)


def largest(*args):
    """The elementwise maximum of the arguments."""
    if len(args) == 2:
        return m.maximum(*args)
    return m.max(stack(*args), axis=0)


def smallest(*args):
    """The elementwise minimum of the arguments."""
    if len(args) == 2:
        return m.minimum(*args)
    return m.min(stack(*args), axis=0)


# -- products --------------------------------------------------------------------------
def batched_dot(a, b):
    """Theano's `batched_dot`: for each i along axis 0, dot(a[i], b[i])."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        raise TypeError('batched_dot: both arguments need a batch axis')
    if a.ndim == 1 or b.ndim == 1:
        return a * b if a.ndim == b.ndim else (
            m.shape_padright(a, b.ndim - 1) * b if a.ndim == 1 else a * m.shape_padright(b, a.ndim - 1))
    return batched_tensordot(a, b, [[a.ndim - 1], [builtins.max(1, b.ndim - 2)]])


def batched_tensordot(x, y, axes=2):
    """Theano's `batched_tensordot(x, y, axes=2)`: tensordot per entry of axis 0.
    `axes` is an int (the last n of x with the first n after the batch axis of y) or
    two lists of axes (batch axis excluded, numbered in the full arrays)."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if isinstance(axes, (int, np.integer)):
        xa, ya = list(range(x.ndim - axes, x.ndim)), list(range(1, 1 + axes))
    else:
        xa, ya = [int(a) % x.ndim for a in axes[0]], [int(a) % y.ndim for a in axes[1]]
    if 0 in xa or 0 in ya:
        raise ValueError('batched_tensordot: axis 0 is the batch axis and cannot be summed')
    x_free = [k for k in range(1, x.ndim) if k not in xa]
    y_free = [k for k in range(1, y.ndim) if k not in ya]
    # (B, free_x..., 1..., summed...) * (B, 1..., free_y..., summed...), summed over the tail.
    xs = m.dimshuffle(x, [0] + x_free + ['x'] * len(y_free) + xa)
    ys = m.dimshuffle(y, [0] + ['x'] * len(x_free) + y_free + ya)
    n_sum = len(xa)
    total = xs * ys
    if n_sum == 0:
        return total
    return m.sum(total, axis=list(range(total.ndim - n_sum, total.ndim)))


# -- triangles and diagonals -------------------------------------------------------------
def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the k-th diagonal of an N x M matrix."""
    M = N if M is None else M
    rows = m.shape_padright(m.arange(N), 1)
    cols = m.shape_padleft(m.arange(M), 1)
    return m.cast(m.ge(rows + k, cols), dtype or 'float64')


def tril(x, k=0):
    """The lower triangle of x's last two axes (at and below diagonal k), the rest zero."""
    x = as_tensor_variable(x)
    mask = tri(m.shape(x)[-2], m.shape(x)[-1], k, 'bool')
    return m.switch(mask, x, m.zeros_like(x))


def triu(x, k=0):
    """The upper triangle of x's last two axes (at and above diagonal k), the rest zero."""
    x = as_tensor_variable(x)
    mask = tri(m.shape(x)[-2], m.shape(x)[-1], k - 1, 'bool')
    return m.switch(mask, m.zeros_like(x), x)


def diag(v, k=0):
    """Theano's `T.diag`: a vector -> the matrix with it on diagonal k; a matrix -> its
    diagonal k."""
    from .extra_ops import _diagonal_indices
    from .subtensor import set_subtensor
    v = as_tensor_variable(v)
    if v.ndim == 1:
        size = m.shape(v)[0] + builtins.abs(int(k))
        out = m.zeros([size, size], dtype=v.dtype)
        rows, cols = _diagonal_indices(out, k)
        return set_subtensor(out[rows, cols], v)
    if v.ndim == 2:
        rows, cols = _diagonal_indices(v, k)
        return v[rows, cols]
    raise ValueError(f'diag: {v} must be a vector or a matrix, got {v.ndim} dimensions')


# -- gathering -------------------------------------------------------------------------
def take(a, indices, axis=None, mode='raise'):
    """np.take(a, indices, axis) with integer `indices` of any rank (differentiable in a)."""
    a, indices = as_tensor_variable(a), as_tensor_variable(indices)
    if mode not in ('raise', 'wrap', 'clip'):
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    if axis is None:
        a, axis = m.flatten(a), 0
    axis = int(axis) % a.ndim
    n = m.shape(a)[axis]
    if mode == 'wrap':
        indices = indices % n
    elif mode == 'clip':
        indices = m.clip(indices, 0, n - 1)
    if indices.ndim <= 1:
        return a[(slice(None),) * axis + (indices,)]
    # n-d indices: gather with the flat indices, then give the result their shape
    # (one integer-vector index is the form every backend's indexing handles).
    flat = a[(slice(None),) * axis + (m.flatten(indices),)]
    shape = [m.shape(a)[k] for k in range(axis)] + [m.shape(indices)[k] for k in range(indices.ndim)]
    shape += [m.shape(a)[k] for k in range(axis + 1, a.ndim)]
    return m.reshape(flat, shape)


def choose(a, choices, out=None, mode='raise'):
    """np.choose(a, choices): from the choices (a list, or a tensor along axis 0) pick,
    per element, the one that `a` names (differentiable in the choices)."""
    if out is not None:
        raise ValueError('choose: out= is not supported (tensors are immutable)')
    a = as_tensor_variable(a)
    if isinstance(choices, (list, tuple)):
        choices = [as_tensor_variable(c) for c in choices]
    else:
        choices = as_tensor_variable(choices)
        if choices.type.shape[0] is None:
            raise ValueError('choose: a tensor of choices needs a known length along axis 0')
        choices = [choices[k] for k in range(choices.type.shape[0])]
    n = len(choices)
    if mode == 'wrap':
        a = a % n
    elif mode == 'clip':
        a = m.clip(a, 0, n - 1)
    result = choices[-1]
    for k in range(n - 2, -1, -1):
        result = m.switch(m.eq(a, k), choices[k], result)
    return result + m.zeros_like(a, dtype=result.dtype) if result.ndim < a.ndim else result


class _Grid:
    """`mgrid[0:5, 0:3]` (dense) and `ogrid[...]` (open) over symbolic or constant slices."""

    def __init__(self, sparse):
        self.sparse = sparse

    def __getitem__(self, index):
        index = index if isinstance(index, tuple) else (index,)
        ranges = []
        for s in index:
            if not isinstance(s, slice) or s.stop is None:
                raise ValueError('mgrid/ogrid take slices with a stop: grid[0:5, 0:3]')
            ranges.append(m.arange(0 if s.start is None else s.start, s.stop, 1 if s.step is None else s.step))
        ndim = len(ranges)
        opened = [m.dimshuffle(r, ['x'] * k + [0] + ['x'] * (ndim - k - 1)) for k, r in enumerate(ranges)]
        if self.sparse:
            return opened
        shape = [m.shape(r)[0] for r in ranges]
        return [m.alloc(o, *shape) for o in opened]


mgrid = _Grid(sparse=False)
ogrid = _Grid(sparse=True)
