"""Theano's `tensor.extra_ops`: repeat, bincount, diff, squeeze, fill_diagonal(_offset),
to_one_hot, searchsorted, unique, cumsum/cumprod, compress, ravel_multi_index,
unravel_index.

What the existing ops express (diff, bincount, fill_diagonal, to_one_hot, compress)
is written with them, so it is differentiable and lowered everywhere already; the
ops here (Repeat, SearchSorted, Unique, Nonzero, RavelMultiIndex, UnravelIndex) are
HostOps: their NumPy meaning is `compute`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import config
from ..ir import Apply
from .basic import as_tensor_variable, constant
from .host_op import HostOp
from .math import cumprod, cumsum  # noqa: F401  (Theano's extra_ops exports them)
from .type import TensorType
from .variable import TensorConstant


def _ints(v, what):
    v = as_tensor_variable(v)
    if np.dtype(v.dtype).kind not in 'iub':
        raise TypeError(f'{what} must hold integers, got {v} ({v.type})')
    return v


# -- repeat --------------------------------------------------------------------------
@dataclass(frozen=True)
class Repeat(HostOp):
    """np.repeat(x, repeats, axis) with a scalar or vector of repeats."""

    axis: int

    def make_node(self, x, repeats):
        x, repeats = as_tensor_variable(x), _ints(repeats, 'repeat: repeats')
        if repeats.ndim > 1:
            raise ValueError(f'repeat: repeats must be a scalar or a vector, got {repeats.type}')
        shape = list(x.type.shape)
        if isinstance(repeats, TensorConstant) and shape[self.axis] is not None:
            shape[self.axis] = int(np.sum(np.broadcast_to(repeats.data, (shape[self.axis],))))
        else:
            shape[self.axis] = None
        return Apply(self, [x, repeats], [TensorType(x.dtype, tuple(shape))()])

    def __str__(self):
        return f'Repeat{{axis={self.axis}}}'

    def compute(self, x, repeats):
        return np.repeat(x, repeats, axis=self.axis)

    def connection_pattern(self, node):
        return [True, False]

    def grad(self, inputs, output_grads):
        # Each input slice's gradient is the sum of its copies: differences of the
        # running sum of g taken at the ends of the segments.
        from . import math as m
        (x, repeats), (g,) = inputs, output_grads
        n = m.shape(x)[self.axis]
        counts = repeats if repeats.ndim == 1 else m.alloc(repeats, n)
        ends = m.cumsum(m.cast(counts, 'int64'))
        axis = self.axis
        running = m.cumsum(g, axis=axis)
        zero = m.zeros_like(running[(slice(None),) * axis + (slice(0, 1),)])
        padded = m.concatenate([zero, running], axis=axis)
        at_ends = padded[(slice(None),) * axis + (m.concatenate([m.zeros((1,), 'int64'), ends]),)]
        lead = (slice(None),) * axis
        return [at_ends[lead + (slice(1, None),)] - at_ends[lead + (slice(None, -1),)], None]


def repeat(x, repeats, axis=None):
    """Theano's `repeat(x, repeats, axis=None)`: np.repeat; axis=None repeats the flat array."""
    from . import math as m
    x = as_tensor_variable(x)
    if axis is None:
        x, axis = m.flatten(x), 0
    return Repeat(int(axis) % x.ndim)(x, repeats)


# -- searchsorted ----------------------------------------------------------------------
@dataclass(frozen=True)
class SearchSorted(HostOp):
    """np.searchsorted(x, v, side, sorter) as int64."""

    side: str = 'left'

    def make_node(self, x, v, sorter=None):
        x, v = as_tensor_variable(x), as_tensor_variable(v)
        if x.ndim != 1:
            raise ValueError(f'searchsorted: x must be a vector, got {x} ({x.type})')
        inputs = [x, v] + ([] if sorter is None else [_ints(sorter, 'searchsorted: sorter')])
        return Apply(self, inputs, [TensorType('int64', v.type.shape)()])

    def __str__(self):
        return f'SearchSorted{{{self.side}}}'

    def compute(self, x, v, sorter=None):
        return np.searchsorted(x, v, side=self.side, sorter=sorter)

    def connection_pattern(self, node):
        return [False] * len(node.inputs)

    def grad(self, inputs, output_grads):
        return [None] * len(inputs)


def searchsorted(x, v, side='left', sorter=None):
    """Theano's `searchsorted(x, v, side='left', sorter=None)`."""
    if side not in ('left', 'right'):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    return SearchSorted(side)(x, v, *([] if sorter is None else [sorter]))


# -- unique ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Unique(HostOp):
    """np.unique with its optional index, inverse and counts outputs (int64)."""

    return_index: bool = False
    return_inverse: bool = False
    return_counts: bool = False
    axis: int | None = None

    def make_node(self, x):
        x = as_tensor_variable(x)
        if self.axis is None:
            values = TensorType(x.dtype, (None,))()
        else:
            shape = list(x.type.shape)
            shape[self.axis] = None
            values = TensorType(x.dtype, tuple(shape))()
        extra = [TensorType('int64', (None,))() for flag in
                 (self.return_index, self.return_inverse, self.return_counts) if flag]
        return Apply(self, [x], [values] + extra)

    def __str__(self):
        return 'Unique'

    def compute(self, x):
        result = np.unique(x, self.return_index, self.return_inverse, self.return_counts, self.axis)
        if isinstance(result, tuple):
            return tuple(np.asarray(r).reshape(-1) if k else r for k, r in enumerate(result))
        return result

    def connection_pattern(self, node):
        return [[False] * len(node.outputs)]

    def grad(self, inputs, output_grads):
        return [None]


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None):
    """Theano's `unique`: the sorted unique values, plus the outputs asked for (a list)."""
    ar = as_tensor_variable(ar)
    if axis is not None:
        axis = int(axis) % ar.ndim
    return Unique(bool(return_index), bool(return_inverse), bool(return_counts), axis)(ar)


# -- nonzero ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Nonzero(HostOp):
    """np.nonzero(a) stacked as an int64 matrix of shape (a.ndim, count)."""

    def make_node(self, a):
        a = as_tensor_variable(a)
        if a.ndim == 0:
            raise ValueError(f'nonzero: {a} is a scalar; it needs at least one dimension')
        return Apply(self, [a], [TensorType('int64', (a.ndim, None))()])

    def __str__(self):
        return 'Nonzero'

    def compute(self, a):
        return np.array(np.nonzero(a), dtype='int64').reshape(a.ndim, -1)

    def connection_pattern(self, node):
        return [False]

    def grad(self, inputs, output_grads):
        return [None]


def nonzero(a, return_matrix=False):
    """Theano's `T.nonzero(a, return_matrix=False)`: a tuple of index vectors, one per
    axis, or with return_matrix=True the (ndim, count) matrix of them."""
    a = as_tensor_variable(a)
    matrix = Nonzero()(a)
    if return_matrix:
        return matrix
    return tuple(matrix[k] for k in range(a.ndim))


def flatnonzero(a):
    """Indices of the non-zero entries of the flattened `a`."""
    from . import math as m
    return nonzero(m.flatten(as_tensor_variable(a)))[0]


def nonzero_values(a):
    """The non-zero entries of the flattened `a`, in order (differentiable in `a`)."""
    from . import math as m
    flat = m.flatten(as_tensor_variable(a))
    return flat[flatnonzero(flat)]


# -- ravel_multi_index / unravel_index -------------------------------------------------
@dataclass(frozen=True)
class RavelMultiIndex(HostOp):
    """np.ravel_multi_index(tuple(indices), dims, mode, order)."""

    mode: str = 'raise'
    order: str = 'C'

    def make_node(self, dims, *indices):
        dims = _ints(dims, 'ravel_multi_index: dims')
        indices = [_ints(i, 'ravel_multi_index: an index') for i in indices]
        from .elemwise import broadcast_shapes
        shape = broadcast_shapes([i.type.shape for i in indices], 'ravel_multi_index')
        return Apply(self, [dims] + indices, [TensorType('int64', shape)()])

    def __str__(self):
        return 'RavelMultiIndex'

    def compute(self, dims, *indices):
        return np.ravel_multi_index(tuple(indices), tuple(int(d) for d in dims), self.mode, self.order)

    def connection_pattern(self, node):
        return [False] * len(node.inputs)

    def grad(self, inputs, output_grads):
        return [None] * len(inputs)


def ravel_multi_index(multi_index, dims, mode='raise', order='C'):
    """Theano's `ravel_multi_index(multi_index, dims, mode='raise', order='C')`."""
    if not isinstance(multi_index, (list, tuple)):
        raise TypeError('ravel_multi_index: multi_index must be a tuple or list of index arrays')
    return RavelMultiIndex(mode, order)(_dims_vector(dims), *multi_index)


@dataclass(frozen=True)
class UnravelIndex(HostOp):
    """np.unravel_index(indices, dims, order): one int64 output per dimension."""

    ndim: int
    order: str = 'C'

    def make_node(self, indices, dims):
        indices, dims = _ints(indices, 'unravel_index: indices'), _ints(dims, 'unravel_index: dims')
        return Apply(self, [indices, dims], [TensorType('int64', indices.type.shape)()
                                             for _ in range(self.ndim)])

    def __str__(self):
        return 'UnravelIndex'

    def compute(self, indices, dims):
        return np.unravel_index(indices, tuple(int(d) for d in dims), order=self.order)

    def connection_pattern(self, node):
        return [[False] * self.ndim] * 2

    def grad(self, inputs, output_grads):
        return [None, None]


def unravel_index(indices, dims, order='C'):
    """Theano's `unravel_index(indices, dims, order='C')`: a tuple of index arrays."""
    dims = _dims_vector(dims)
    ndim = dims.type.shape[0]
    if ndim is None:
        raise ValueError('unravel_index: dims must have a known length')
    out = UnravelIndex(ndim, order)(indices, dims)
    return tuple(out) if isinstance(out, list) else (out,)


def _dims_vector(dims):
    from .shape_ops import shape_vector
    return shape_vector(list(dims) if isinstance(dims, (list, tuple)) else dims)


# -- compositions of existing ops ------------------------------------------------------
def bincount(x, weights=None, minlength=None, assert_nonneg=False):
    """Theano's `bincount`: counts (or summed weights) of each value of the int vector x."""
    from . import math as m
    from .subtensor import inc_subtensor
    x = _ints(x, 'bincount: x')
    if x.ndim != 1:
        raise TypeError(f'bincount: x must be a vector, got {x} ({x.type})')
    if assert_nonneg:
        x = _assert_nonneg(x)
    size = m.max(x) + 1
    if minlength is not None:
        size = m.maximum(size, minlength)
    size = m.cast(size, 'int64')
    if weights is None:
        return inc_subtensor(m.zeros([size], dtype=x.dtype)[x], 1)
    weights = as_tensor_variable(weights)
    return inc_subtensor(m.zeros([size], dtype=weights.dtype)[x], weights)


@dataclass(frozen=True)
class AssertNonNegative(HostOp):
    """x itself, after checking at run time that no entry is negative (bincount's check)."""

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def compute(self, x):
        if np.any(x < 0):
            raise ValueError('bincount: x has negative entries (assert_nonneg=True)')
        return x

    def connection_pattern(self, node):
        return [False]

    def grad(self, inputs, output_grads):
        return [None]


def _assert_nonneg(x):
    return AssertNonNegative()(x)


def diff(x, n=1, axis=-1):
    """Theano's `diff(x, n=1, axis=-1)`: the n-th discrete difference (differentiable)."""
    x = as_tensor_variable(x)
    axis = int(axis) % x.ndim
    lead = (slice(None),) * axis
    for _ in range(n):
        x = x[lead + (slice(1, None),)] - x[lead + (slice(None, -1),)]
    return x


def squeeze(x, axis=None):
    """Drop broadcastable axes (all of them, or those in `axis`)."""
    from . import math as m
    x = as_tensor_variable(x)
    if axis is None:
        drop = {k for k, s in enumerate(x.type.shape) if s == 1}
    else:
        drop = {int(a) % x.ndim for a in (axis if isinstance(axis, (list, tuple)) else [axis])}
        for a in drop:
            if x.type.shape[a] != 1:
                raise ValueError(f'squeeze: axis {a} of {x} ({x.type}) is not broadcastable')
    return m.dimshuffle(x, [k for k in range(x.ndim) if k not in drop])


def fill_diagonal(a, val):
    """Theano's `fill_diagonal(a, val)`: `a` with its main diagonal set to the scalar val."""
    from . import math as m
    from .subtensor import set_subtensor
    a, val = as_tensor_variable(a), as_tensor_variable(val)
    if a.ndim < 2 or val.ndim != 0:
        raise TypeError(f'fill_diagonal: needs a matrix (or more dims) and a scalar, got {a.type}, {val.type}')
    n = m.shape(a)[0]
    for k in range(1, a.ndim):
        n = m.minimum(n, m.shape(a)[k])
    idx = m.arange(n)
    return set_subtensor(a[(idx,) * a.ndim], m.cast(val, a.dtype))


def fill_diagonal_offset(a, val, offset):
    """Theano's `fill_diagonal_offset(a, val, offset)` for a matrix (offset may be symbolic)."""
    from . import math as m
    from .subtensor import set_subtensor
    a, val, offset = as_tensor_variable(a), as_tensor_variable(val), as_tensor_variable(offset)
    if a.ndim != 2 or val.ndim != 0:
        raise TypeError(f'fill_diagonal_offset: needs a matrix and a scalar, got {a.type}, {val.type}')
    rows, cols = _diagonal_indices(a, offset)
    return set_subtensor(a[rows, cols], m.cast(val, a.dtype))


def _diagonal_indices(a, offset):
    """(rows, cols) of the matrix a's diagonal `offset` (above the main one when > 0)."""
    from . import math as m
    offset = m.cast(as_tensor_variable(offset), 'int64')
    row0, col0 = m.maximum(-offset, 0), m.maximum(offset, 0)
    length = m.maximum(m.minimum(m.shape(a)[0] - row0, m.shape(a)[1] - col0), 0)
    idx = m.arange(length)
    return idx + row0, idx + col0


def to_one_hot(y, nb_class, dtype=None):
    """Theano's `to_one_hot(y, nb_class, dtype=None)`: one row per entry of the int vector y."""
    from . import math as m
    from .subtensor import set_subtensor
    y = _ints(y, 'to_one_hot: y')
    dtype = config.resolve_dtype(dtype)
    n = m.shape(y)[0]
    ret = m.zeros([n, nb_class], dtype=dtype)
    return set_subtensor(ret[m.arange(n), y], constant(np.ones((), dtype)))


def compress(condition, x, axis=None):
    """Theano's `compress(condition, x, axis=None)`: the slices of x where condition is true."""
    from . import math as m
    x = as_tensor_variable(x)
    indices = flatnonzero(condition)
    if axis is None:
        return m.flatten(x)[indices]
    axis = int(axis) % x.ndim
    return x[(slice(None),) * axis + (indices,)]
