"""Elemwise (a scalar op mapped over broadcast arrays) and DimShuffle (axis plumbing)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import config
from ..ir import Apply, Op
from ..ir.op import GRAD_RULES
from .basic import as_tensor_variable
from .scalar import SCALAR_OPS, Composite, ScalarOp, cast_op
from .type import TensorType
from .variable import TensorConstant


def promote(inputs):
    """NumPy 2's promotion, where Python numbers (weak constants) never upcast a tensor."""
    strong = [v.dtype for v in inputs if getattr(v, 'weak', None) is None]
    weak = [v.weak for v in inputs if getattr(v, 'weak', None) is not None]
    if not strong:
        return np.result_type(*weak).name
    try:
        return np.result_type(*strong, *weak).name
    except (OverflowError, TypeError):
        return np.result_type(*strong, *(v.dtype for v in inputs)).name


def broadcast_shapes(shapes, op='elementwise op'):
    """Static broadcast of shapes of equal rank: a known length wins over None or 1."""
    out = []
    for axis, lengths in enumerate(zip(*shapes)):
        known = {s for s in lengths if s is not None and s != 1}
        if len(known) > 1:
            raise ValueError(f'{op}: shapes {" and ".join(_fmt(s) for s in shapes)} cannot '
                             f'broadcast (axis {axis} has lengths {sorted(known)})')
        if known:
            out.append(known.pop())
        elif all(s == 1 for s in lengths):
            out.append(1)
        else:
            out.append(None)
    return tuple(out)


def _fmt(shape):
    return '(' + ', '.join('?' if s is None else str(s) for s in shape) + (',)' if len(shape) == 1 else ')')


@dataclass(frozen=True)
class Elemwise(Op):
    """Apply `scalar_op` to every element of broadcast inputs.

    `inplace` lists (output, input) pairs: the output is written into that
    input's buffer.  Only the in-place rewrite sets it, after proving no other
    reader needs the old value.
    """

    scalar_op: ScalarOp | Composite
    inplace: tuple = ()

    def make_node(self, *inputs):
        inputs = [as_tensor_variable(i) for i in inputs]
        if len(inputs) != self.scalar_op.nin:
            raise TypeError(f'{self.scalar_op} takes {self.scalar_op.nin} inputs, got {len(inputs)}')
        common = self._common_dtype(inputs)
        if common is not None:
            inputs = [_adopt(v, common) for v in inputs]
        ndim = max(v.ndim for v in inputs)
        inputs = [_pad(v, ndim) for v in inputs]
        shape = broadcast_shapes([v.type.shape for v in inputs], str(self.scalar_op))
        dtypes = [v.dtype for v in inputs]
        if isinstance(self.scalar_op, Composite):
            out_dtypes = self.scalar_op.output_dtypes()
        else:
            out_dtypes = [self.scalar_op.output_dtype(dtypes)]
        outputs = [TensorType(dt, shape)() for dt in out_dtypes]
        return Apply(self, inputs, outputs)

    def infer_shape(self, node, input_shapes):
        # A static length is the output's; an unknown one is the largest of the inputs'
        # lengths that are not 1 (the others broadcast to it).
        dims = []
        for axis, n in enumerate(node.outputs[0].type.shape):
            if n is not None:
                dims.append(n)
                continue
            sources = [s[axis] for i, s in zip(node.inputs, input_shapes) if i.type.shape[axis] != 1]
            value = sources[0]
            for other in sources[1:]:
                value = Elemwise(SCALAR_OPS['maximum'])(value, other)
            dims.append(value)
        return [tuple(dims)] * len(node.outputs)

    def _common_dtype(self, inputs):
        if isinstance(self.scalar_op, Composite) or self.scalar_op.name in ('second', 'cast'):
            return None
        if self.scalar_op.name == 'switch':
            return promote(inputs[1:])
        return promote(inputs)

    def __str__(self):
        suffix = ',inplace' if self.inplace else ''
        return f'Elemwise{{{self.scalar_op}{suffix}}}'

    def L_op(self, inputs, outputs, output_grads):
        # The scalar op's derivative (one line on its record, tensor/scalar.py), summed over
        # the axes each input was broadcast along: autodiff/scalar_grads.py's rule, which
        # reads autodiff's backprop for a fused op, so autodiff registers it.
        return GRAD_RULES.find(self)(self, inputs, outputs, output_grads)

    def grad(self, inputs, output_grads):
        return self.L_op(inputs, self.make_node(*inputs).outputs, output_grads)


def _adopt(v, dtype):
    """A weak (Python number) constant takes the dtype of the expression it joins."""
    if getattr(v, 'weak', None) is None or v.dtype == dtype:
        return v
    data = np.asarray(v.weak, dtype=dtype)
    data.setflags(write=False)
    return TensorConstant(TensorType(dtype, ()), data, weak=v.weak)


def _pad(v, ndim):
    if v.ndim == ndim:
        return v
    if isinstance(v, TensorConstant):
        data = v.data.reshape((1,) * (ndim - v.ndim) + v.data.shape)
        return TensorConstant(TensorType(v.dtype, data.shape), data, name=v.name, weak=v.weak)
    return DimShuffle(v.ndim, ('x',) * (ndim - v.ndim) + tuple(range(v.ndim)))(v)


@dataclass(frozen=True)
class DimShuffle(Op):
    """Reorder axes, insert broadcastable axes ('x'), or drop broadcastable axes.

    `new_order` lists, for each output axis, the input axis it comes from or 'x'.
    An input axis left out must be broadcastable (known length 1).
    """

    input_ndim: int
    new_order: tuple

    def make_node(self, x):
        x = as_tensor_variable(x)
        if x.ndim != self.input_ndim:
            raise TypeError(f'{self} expects {self.input_ndim} dimension(s), got {x} with {x.ndim}')
        kept = [a for a in self.new_order if a != 'x']
        if len(set(kept)) != len(kept) or any(not 0 <= a < x.ndim for a in kept):
            raise ValueError(f'invalid dimshuffle pattern {self.new_order} for {x.ndim} dims')
        for axis in range(x.ndim):
            if axis not in kept and x.type.shape[axis] != 1:
                raise ValueError(
                    f'dimshuffle {self.new_order} drops axis {axis} of {x}, which is not '
                    f'broadcastable (length {x.type.shape[axis] or "unknown"})')
        shape = tuple(1 if a == 'x' else x.type.shape[a] for a in self.new_order)
        return Apply(self, [x], [TensorType(x.dtype, shape)()])

    @property
    def is_transpose(self):
        return 'x' not in self.new_order and len(self.new_order) == self.input_ndim

    @property
    def drop(self):
        return tuple(a for a in range(self.input_ndim) if a not in self.new_order)

    def __str__(self):
        return 'DimShuffle{' + ','.join(str(a) for a in self.new_order) + '}'

    def infer_shape(self, node, input_shapes):
        (shape,) = input_shapes
        return [tuple(1 if a == 'x' else shape[a] for a in self.new_order)]

    def grad(self, inputs, output_grads):
        return GRAD_RULES.find(self)(self, inputs, output_grads)


def elemwise(name):
    """The Elemwise op of a scalar op from the table, by name."""
    return Elemwise(SCALAR_OPS[name])


def cast(x, dtype):
    """x converted to `dtype` ('floatX' names config.floatX)."""
    x = as_tensor_variable(x)
    dtype = np.dtype(config.resolve_dtype(dtype)).name
    if x.dtype == dtype:
        return x
    return Elemwise(cast_op(dtype))(x)
