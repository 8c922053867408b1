"""Theano's sort.py: `sort` and `argsort` (NumPy's meaning), sort differentiable."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir import Apply
from .basic import as_tensor_variable
from .host_op import HostOp
from .type import TensorType


def _axis_input(a, axis):
    """(tensor, axis) with axis=None meaning the flattened array, as NumPy does."""
    from . import math as m
    a = as_tensor_variable(a)
    if axis is None:
        return m.flatten(a), 0
    if a.ndim == 0:
        raise ValueError(f'sort: cannot sort a scalar {a} along axis {axis}')
    return a, int(axis) % a.ndim


@dataclass(frozen=True)
class _AlongAxis(HostOp):
    """A NumPy sort of x along one axis: the output has x's shape."""

    axis: int
    kind: str = 'quicksort'
    label = None  # how the op prints

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType(self.out_dtype(x), x.type.shape)()])

    def out_dtype(self, x):
        raise NotImplementedError

    def __str__(self):
        return f'{self.label}{{axis={self.axis}}}'


@dataclass(frozen=True)
class SortOp(_AlongAxis):
    """np.sort(x, axis, kind) along one axis (sort() flattens first for axis=None)."""

    label = 'Sort'

    def out_dtype(self, x):
        return x.dtype

    def compute(self, x):
        return np.sort(x, axis=self.axis, kind=self.kind)

    def grad(self, inputs, output_grads):
        # sorted = take_along_axis(x, p); so dx = g scattered back by p: g taken by p's inverse.
        (x,), (g,) = inputs, output_grads
        inverse = argsort(argsort(x, axis=self.axis, kind='stable'), axis=self.axis, kind='stable')
        return [take_along_axis(g, inverse, self.axis)]


@dataclass(frozen=True)
class ArgSortOp(_AlongAxis):
    """np.argsort(x, axis, kind) as int64."""

    label = 'ArgSort'

    def out_dtype(self, x):
        return 'int64'

    def compute(self, x):
        return np.argsort(x, axis=self.axis, kind=self.kind)

    def connection_pattern(self, node):
        return [False]

    def grad(self, inputs, output_grads):
        return [None]


def sort(a, axis=-1, kind='quicksort', order=None):
    """Theano's `T.sort(a, axis=-1, kind='quicksort', order=None)`; axis=None sorts the flat array."""
    if order is not None:
        raise ValueError('sort: order= (structured arrays) does not apply to tensors')
    a, axis = _axis_input(a, axis)
    return SortOp(axis, kind)(a)


def argsort(a, axis=-1, kind='quicksort', order=None):
    """Theano's `T.argsort`: the int64 indices that sort `a` along `axis`."""
    if order is not None:
        raise ValueError('argsort: order= (structured arrays) does not apply to tensors')
    a, axis = _axis_input(a, axis)
    return ArgSortOp(axis, kind)(a)


def take_along_axis(x, indices, axis):
    """np.take_along_axis for same-rank `indices`, as one advanced index (differentiable)."""
    from . import math as m
    x, indices = as_tensor_variable(x), as_tensor_variable(indices)
    index = []
    for k in range(x.ndim):
        if k == axis:
            index.append(indices)
            continue
        along = m.arange(m.shape(indices)[k])
        index.append(m.dimshuffle(along, [0 if j == k else 'x' for j in range(x.ndim)]))
    return x[tuple(index)]
