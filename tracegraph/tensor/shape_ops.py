"""Ops that make or rearrange whole arrays: Shape, Reshape, Alloc, MakeVector, Join,
Eye, ARange, CumOp."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir import Apply, Op
from ..ir.op import GRAD_RULES
from .basic import as_tensor_variable
from .elemwise import broadcast_shapes, cast, promote
from .reduce import reduce_dtype
from .type import TensorType
from .variable import TensorConstant


def static_value(v):
    """The value of `v` if it is known while building the graph, else None."""
    if isinstance(v, TensorConstant):
        return v.data
    if v.owner is not None and isinstance(v.owner.op, MakeVector):
        parts = [static_value(i) for i in v.owner.inputs]
        if all(p is not None for p in parts):
            return np.array([int(p) for p in parts], dtype='int64')
    if v.owner is not None and isinstance(v.owner.op, Shape):
        shape = v.owner.inputs[0].type.shape
        if all(s is not None for s in shape):
            return np.array(shape, dtype='int64')
    return None


def _int_scalar(v, what):
    v = as_tensor_variable(v)
    if v.ndim != 0 or np.dtype(v.dtype).kind not in 'iu':
        raise TypeError(f'{what} must be an integer scalar, got {v} ({v.type})')
    return v


@dataclass(frozen=True)
class Shape(Op):
    """The shape of x as an int64 vector."""

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType('int64', (x.ndim,))()])

    def __str__(self):
        return 'Shape'

    def connection_pattern(self, node):
        return [False]

    def grad(self, inputs, output_grads):
        return [None]


@dataclass(frozen=True)
class MakeVector(Op):
    """A vector from scalars: [a, b, c]."""

    dtype: str = 'int64'

    def make_node(self, *scalars):
        scalars = [as_tensor_variable(s) for s in scalars]
        for s in scalars:
            if s.ndim != 0:
                raise TypeError(f'MakeVector takes scalars, got {s} ({s.type})')
        scalars = [s if s.dtype == self.dtype else cast(s, self.dtype) for s in scalars]
        return Apply(self, scalars, [TensorType(self.dtype, (len(scalars),))()])

    def __str__(self):
        return 'MakeVector'

    def grad(self, inputs, output_grads):
        (g,) = output_grads
        return [g[i] for i in range(len(inputs))]


def shape_vector(shape):
    """A shape given as ints, scalars, a list of both, or a vector -> an int64 vector variable."""
    if isinstance(shape, (list, tuple)):
        parts = [as_tensor_variable(s) for s in shape]
        if all(isinstance(p, TensorConstant) for p in parts):
            return as_tensor_variable(np.array([int(p.data) for p in parts], dtype='int64'))
        return MakeVector('int64')(*[_int_scalar(p, 'a shape entry') for p in parts])
    v = as_tensor_variable(shape)
    if v.ndim == 0:
        return shape_vector([v])
    if v.ndim != 1 or np.dtype(v.dtype).kind not in 'iu':
        raise TypeError(f'a shape must be a vector of integers, got {v} ({v.type})')
    return v if v.dtype == 'int64' else as_tensor_variable(v).astype('int64')


@dataclass(frozen=True)
class Reshape(Op):
    """x with a new shape (one entry may be -1), NumPy semantics."""

    ndim: int

    def make_node(self, x, shape):
        x, shape = as_tensor_variable(x), as_tensor_variable(shape)
        known = static_value(shape)
        if known is not None:
            out_shape = tuple(int(s) for s in known)
            if -1 in out_shape and all(s is not None for s in x.type.shape):
                size = int(np.prod(x.type.shape))
                rest = int(np.prod([s for s in out_shape if s != -1]))
                out_shape = tuple(size // rest if s == -1 else s for s in out_shape)
            elif all(s is not None for s in x.type.shape) and -1 not in out_shape:
                if np.prod(out_shape) != np.prod(x.type.shape):
                    raise ValueError(f'cannot reshape {x} of shape {x.type.shape} into {out_shape}')
            out_shape = tuple(None if s == -1 else s for s in out_shape)
        else:
            out_shape = (None,) * self.ndim
        return Apply(self, [x, shape], [TensorType(x.dtype, out_shape)()])

    def __str__(self):
        return f'Reshape{{{self.ndim}}}'

    def connection_pattern(self, node):
        return [True, False]

    def grad(self, inputs, output_grads):
        return GRAD_RULES.find(self)(self, inputs, output_grads)


@dataclass(frozen=True)
class Alloc(Op):
    """An array of the given shape filled with (a broadcast of) `value`."""

    def make_node(self, value, *shape):
        value = as_tensor_variable(value)
        shape = [_int_scalar(s, 'an alloc dimension') for s in shape]
        if value.ndim > len(shape):
            raise ValueError(f'alloc: value {value} has more dimensions than the shape')
        static = tuple(int(s.data) if isinstance(s, TensorConstant) else None for s in shape)
        padded = (1,) * (len(shape) - value.ndim) + value.type.shape
        for want, have in zip(static, padded):
            if want is not None and have not in (None, 1, want):
                raise ValueError(f'alloc: cannot broadcast {value} ({value.type}) to {static}')
        return Apply(self, [value] + shape, [TensorType(value.dtype, static)()])

    def __str__(self):
        return 'Alloc'

    def infer_shape(self, node, input_shapes):
        return [tuple(node.inputs[1:])]

    def connection_pattern(self, node):
        return [True] + [False] * (len(node.inputs) - 1)

    def grad(self, inputs, output_grads):
        return GRAD_RULES.find(self)(self, inputs, output_grads)


@dataclass(frozen=True)
class Join(Op):
    """Concatenation along `axis`."""

    axis: int

    def make_node(self, *tensors):
        tensors = [as_tensor_variable(t) for t in tensors]
        if not tensors:
            raise ValueError('concatenate needs at least one tensor')
        ndim = tensors[0].ndim
        if any(t.ndim != ndim for t in tensors):
            raise ValueError(f'concatenate: all inputs need {ndim} dimensions, got '
                             f'{[t.ndim for t in tensors]}')
        dtype = promote(tensors)
        tensors = [t if t.dtype == dtype else cast(t, dtype) for t in tensors]
        others = [tuple(s for i, s in enumerate(t.type.shape) if i != self.axis) for t in tensors]
        rest = broadcast_shapes([tuple(None if s == 1 else s for s in o) for o in others], 'concatenate')
        rest = tuple(next((o[i] for o in others if o[i] is not None), None) for i in range(len(rest)))
        lengths = [t.type.shape[self.axis] for t in tensors]
        total = None if None in lengths else sum(lengths)
        shape = rest[:self.axis] + (total,) + rest[self.axis:]
        return Apply(self, tensors, [TensorType(dtype, shape)()])

    def __str__(self):
        return f'Join{{axis={self.axis}}}'

    def grad(self, inputs, output_grads):
        return GRAD_RULES.find(self)(self, inputs, output_grads)


@dataclass(frozen=True)
class Eye(Op):
    dtype: str

    def make_node(self, n, m, k):
        n, m, k = (_int_scalar(v, 'eye size') for v in (n, m, k))
        static = tuple(int(v.data) if isinstance(v, TensorConstant) else None for v in (n, m))
        return Apply(self, [n, m, k], [TensorType(self.dtype, static)()])

    def connection_pattern(self, node):
        return [False] * 3

    def grad(self, inputs, output_grads):
        return [None] * 3


@dataclass(frozen=True)
class ARange(Op):
    dtype: str

    def make_node(self, start, stop, step):
        start, stop, step = (as_tensor_variable(v) for v in (start, stop, step))
        values = [v.data if isinstance(v, TensorConstant) else None for v in (start, stop, step)]
        length = None
        if all(v is not None for v in values):
            length = len(np.arange(*[v.item() for v in values]))
        return Apply(self, [start, stop, step], [TensorType(self.dtype, (length,))()])

    def connection_pattern(self, node):
        return [False] * 3  # Theano: a range is not differentiable in its bounds

    def grad(self, inputs, output_grads):
        return [None] * 3


@dataclass(frozen=True)
class CumOp(Op):
    """Cumulative 'add' or 'mul' along `axis` (None: over the flattened array)."""

    mode: str
    axis: int | None

    def make_node(self, x):
        x = as_tensor_variable(x)
        shape = x.type.shape if self.axis is not None else (
            (int(np.prod(x.type.shape)),) if all(s is not None for s in x.type.shape) else (None,))
        dtype = reduce_dtype(self.mode, x.dtype)
        return Apply(self, [x], [TensorType(dtype, shape)()])

    def __str__(self):
        return f'Cum{self.mode}{{axis={self.axis}}}'

    def L_op(self, inputs, outputs, output_grads):
        return GRAD_RULES.find(self)(self, inputs, outputs, output_grads)

    def grad(self, inputs, output_grads):
        return self.L_op(inputs, self.make_node(*inputs).outputs, output_grads)

