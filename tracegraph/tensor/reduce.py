"""Reductions: CAReduce (sum, prod, max, min, any, all over axes) and ArgReduce."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir import Apply, Op
from ..ir.op import GRAD_RULES, ZERO
from .basic import as_tensor_variable
from .type import TensorType

REDUCERS = ('add', 'mul', 'maximum', 'minimum', 'and_', 'or_')


def normalize_axis(axis, ndim, what='axis'):
    """None -> all axes; ints (negative allowed) -> a sorted tuple of distinct axes."""
    if axis is None:
        return tuple(range(ndim))
    if hasattr(axis, 'owner') or (hasattr(axis, 'type') and hasattr(axis, 'data')):
        axis = int(axis.data)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f'{what} {a} is out of range for {ndim} dimension(s)')
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f'repeated {what} in {axis}')
    return tuple(sorted(out))


@dataclass(frozen=True)
class CAReduce(Op):
    """Reduce `axes` with an associative scalar op (add, mul, maximum, minimum, and_, or_)."""

    reducer: str
    axes: tuple
    dtype: str

    def make_node(self, x):
        x = as_tensor_variable(x)
        if any(a >= x.ndim for a in self.axes):
            raise ValueError(f'{self}: axes {self.axes} out of range for {x} ({x.ndim} dims)')
        shape = tuple(s for i, s in enumerate(x.type.shape) if i not in self.axes)
        return Apply(self, [x], [TensorType(self.dtype, shape)()])

    def __str__(self):
        names = {'add': 'Sum', 'mul': 'Prod', 'maximum': 'Max', 'minimum': 'Min', 'and_': 'All', 'or_': 'Any'}
        return f'{names[self.reducer]}{{axes={list(self.axes)}}}'

    def infer_shape(self, node, input_shapes):
        return [tuple(n for a, n in enumerate(input_shapes[0]) if a not in self.axes)]

    def L_op(self, inputs, outputs, output_grads):
        return GRAD_RULES.find(self)(self, inputs, outputs, output_grads)

    def grad(self, inputs, output_grads):
        return self.L_op(inputs, self.make_node(*inputs).outputs, output_grads)


def reduce_dtype(reducer, dtype):
    """NumPy's accumulator rule: sums and products of small ints and bools give int64."""
    kind = np.dtype(dtype).kind
    if reducer in ('add', 'mul') and kind in 'biu':
        return 'uint64' if kind == 'u' and np.dtype(dtype).itemsize == 8 else 'int64'
    if reducer in ('and_', 'or_'):
        return 'bool'
    return np.dtype(dtype).name


@dataclass(frozen=True)
class ArgReduce(Op):
    """Index of the max ('argmax') or min ('argmin') along one axis, or of the flat array."""

    kind: str
    axis: int | None

    def make_node(self, x):
        x = as_tensor_variable(x)
        if self.axis is None:
            shape = ()
        else:
            shape = tuple(s for i, s in enumerate(x.type.shape) if i != self.axis)
        return Apply(self, [x], [TensorType('int64', shape)()])

    def __str__(self):
        return f'{self.kind}{{axis={self.axis}}}'

    def grad(self, inputs, output_grads):
        return [ZERO]  # an index is piecewise constant in x
