"""Pooling over the last 2 (or 3) axes: Theano 1.0's `theano.tensor.signal.pool`.

Four ops, as Theano had them, so a graph prints and differentiates the same way:

- `Pool`: max, sum or average over each window (`mode`);
- `MaxPoolGrad(x, maxout, gz)`: routes each window's gradient to every position of
  the window equal to its max (ties all receive it, as Theano's MaxPoolGrad does);
- `AveragePoolGrad(x, gz)`: spreads each window's gradient over the window (divided
  by the window's count for the average modes);
- `DownsampleFactorMaxGradGrad(x, maxout, ggx)`: the gradient of MaxPoolGrad with
  respect to `gz` (the same routing, transposed), so max pooling has a Hessian.

Unlike Theano, the window size, stride and padding are fields of the op (known
when the graph is built), not symbolic inputs: every backend then knows the loop
bounds when it compiles, and the ops stay plain data.  `Pool(ignore_border)(x, ws,
stride, pad)` still reads as in Theano.

Window rules (Theano's): a window starts every `stride`; with `ignore_border=True`
only whole windows of the (zero-)padded image count; with `ignore_border=False`
partial windows at the end count too (no padding allowed then).  'max' and 'sum'
never see the padding; 'average_exc_pad' divides by the number of real (unpadded)
positions in the window, 'average_inc_pad' by the window's size inside the padded
image.  How a window is computed lives in `pool_kernels.py`.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np

from ...ir import Apply, Op
from ...ir.variable import Constant, Variable
from ..basic import as_tensor_variable
from ..type import TensorType

MODES = ('max', 'sum', 'average_inc_pad', 'average_exc_pad')


def _static_ints(value, what, nd):
    """A tuple of `nd` Python ints from a tuple, list, array or constant."""
    if isinstance(value, Constant):
        value = value.data
    elif isinstance(value, Variable):
        raise TypeError(f'pooling: {what} must be known when the graph is built (a tuple of {nd} ints); '
                        f'got the symbolic {value} ({value.type}). Pass a tuple such as (2, 2).')
    try:
        values = tuple(int(v) for v in np.asarray(value).reshape(-1))
        exact = all(float(a) == float(b) for a, b in zip(values, np.asarray(value).reshape(-1)))
    except (TypeError, ValueError):
        raise TypeError(f'pooling: {what} must be a tuple of {nd} ints, got {value!r}') from None
    if len(values) != nd or not exact:
        raise TypeError(f'pooling: {what} must be a tuple of {nd} ints, got {value!r}')
    return values


def pooled_length(length, ws, stride, pad, ignore_border):
    """Theano's number of windows along one axis of `length` (an int or a symbolic int)."""
    from .. import math as m
    v = length + 2 * pad
    symbolic = isinstance(v, Variable)
    if ignore_border:
        if ws == stride:
            return v // stride
        out = (v - ws) // stride + 1
        return m.maximum(out, 0) if symbolic else max(out, 0)
    if stride >= ws:
        return (v - 1) // stride + 1
    out = (v - 1 - ws + stride) // stride
    return (m.maximum(out, 0) if symbolic else max(out, 0)) + 1


@dataclass(frozen=True)
class PoolParams(Op):
    """What every pooling op shares: the window geometry, as op fields."""

    ignore_border: bool = False
    mode: str = 'max'
    ndim: int = 2
    ws: tuple = None
    stride: tuple = None
    pad: tuple = None

    def __post_init__(self):
        mode = 'max' if self.mode == 'max_deterministic' else self.mode
        if mode not in MODES:
            raise ValueError("Pool mode parameter only support 'max', 'sum', 'average_inc_pad' and "
                             f"'average_exc_pad'. Got {self.mode}")
        object.__setattr__(self, 'mode', mode)
        object.__setattr__(self, 'ignore_border', bool(self.ignore_border))

    def with_geometry(self, ws, stride=None, pad=None):
        """This op with its window fixed (Theano passed these as inputs)."""
        nd = self.ndim
        ws = _static_ints(ws, 'ws (the window size)', nd)
        stride = ws if stride is None else _static_ints(stride, 'stride', nd)
        pad = (0,) * nd if pad is None else _static_ints(pad, 'pad', nd)
        if any(w < 1 for w in ws) or any(s < 1 for s in stride) or any(p < 0 for p in pad):
            raise ValueError(f'pooling: window {ws}, stride {stride} and pad {pad} must be positive '
                             '(pad >= 0)')
        if max(pad) != 0 and not self.ignore_border:
            raise NotImplementedError('padding works only with ignore_border=True')
        if any(p >= w for p, w in zip(pad, ws)):
            raise NotImplementedError(f'padding must be smaller than the window: pad {pad}, ws {ws}')
        return replace(self, ws=ws, stride=stride, pad=pad)

    def _geometry_for(self, ws, stride, pad):
        if ws is None:
            if self.ws is None:
                raise ValueError(f'{type(self).__name__}: You must provide a tuple value for the window size.')
            return self
        return self.with_geometry(ws, stride, pad)

    def sibling(self, cls, mode=None):
        """The pooling op `cls` with this op's window (and `mode`, else this op's)."""
        return cls(self.ignore_border, mode or self.mode, self.ndim, self.ws, self.stride, self.pad)

    def _check_input(self, x, what='input'):
        x = as_tensor_variable(x)
        if x.ndim < self.ndim:
            raise TypeError(f'{type(self).__name__}: pooling over {self.ndim} axes needs an {what} of '
                            f'at least {self.ndim} dimensions, got {x} ({x.type})')
        return x

    def out_shape_of(self, shape):
        """The output shape for an input `shape` (ints, None or symbolic ints)."""
        nd = self.ndim
        lead, spatial = tuple(shape[:-nd]), tuple(shape[-nd:])
        out = tuple(None if n is None else
                    pooled_length(n, w, s, p, self.ignore_border)
                    for n, w, s, p in zip(spatial, self.ws, self.stride, self.pad))
        return lead + out

    @staticmethod
    def out_shape(imgshape, ws=None, ignore_border=False, stride=None, pad=None, ndim=2):
        """Theano's `Pool.out_shape`: the shape of pooling `imgshape`."""
        op = PoolParams(ignore_border, 'max', ndim).with_geometry(ws, stride, pad)
        return list(op.out_shape_of(tuple(imgshape)))

    def __str__(self):
        name = type(self).__name__
        return (f'{name}{{ws={self.ws}, stride={self.stride}, pad={self.pad}, mode={self.mode}, '
                f'ignore_border={self.ignore_border}}}')


@dataclass(frozen=True)
class Pool(PoolParams):
    """Max, sum or average pooling over the last `ndim` axes of any-rank input."""

    def make_node(self, x, ws=None, stride=None, pad=None):
        op = self._geometry_for(ws, stride, pad)
        x = op._check_input(x)
        shape = op.out_shape_of(x.type.shape)
        return Apply(op, [x], [TensorType(x.dtype, shape)()])

    def infer_shape(self, node, input_shapes):
        return [self.out_shape_of(input_shapes[0])]

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        if self.mode == 'max':
            return [self.sibling(MaxPoolGrad, 'max')(x, self(x), gz)]
        return [self.sibling(AveragePoolGrad)(x, gz)]

    def R_op(self, inputs, eval_points):
        (x,), (ev,) = inputs, eval_points
        if ev is None:
            return [None]
        if self.mode == 'max':
            return [self.sibling(DownsampleFactorMaxGradGrad, 'max')(x, self(x), ev)]
        return [self(ev)]


def _same_type(x, other, what, op):
    other = as_tensor_variable(other)
    if other.ndim != x.ndim:
        raise TypeError(f'{type(op).__name__}: {what} {other} ({other.type}) must have the rank of '
                        f'the input {x} ({x.type})')
    return other


@dataclass(frozen=True)
class _MaxRouting(PoolParams):
    """An op of (x, maxout, g) that routes g through the positions of each window's max."""

    g_name = 'gz'     # how errors name g
    shaped_like = 0   # which input, x (0) or maxout (1), has the output's shape

    def make_node(self, x, maxout, g, ws=None, stride=None, pad=None):
        op = replace(self._geometry_for(ws, stride, pad), mode='max')
        x = op._check_input(x)
        maxout, g = _same_type(x, maxout, 'maxout', op), _same_type(x, g, self.g_name, op)
        shape = (x, maxout)[self.shaped_like].type.shape
        return Apply(op, [x, maxout, g], [TensorType(x.dtype, shape)()])

    def infer_shape(self, node, input_shapes):
        return [input_shapes[self.shaped_like]]


@dataclass(frozen=True)
class MaxPoolGrad(_MaxRouting):
    """The gradient of max pooling: gz of each window added where x equals its max."""

    def grad(self, inputs, output_grads):
        from .. import math as m
        (x, maxout, gz), (ggx,) = inputs, output_grads
        grad_grad = self.sibling(DownsampleFactorMaxGradGrad, 'max')
        return [m.zeros_like(x), m.zeros_like(maxout), grad_grad(x, maxout, ggx)]


@dataclass(frozen=True)
class AveragePoolGrad(PoolParams):
    """The gradient of sum and average pooling: gz (over the window's count) spread over it."""

    mode: str = 'average_inc_pad'

    def make_node(self, x, gz, ws=None, stride=None, pad=None):
        op = self._geometry_for(ws, stride, pad)
        if op.mode == 'max':
            raise ValueError('AveragePoolGrad: mode must be sum or an average mode, not max')
        x = op._check_input(x)
        gz = _same_type(x, gz, 'gz', op)
        return Apply(op, [x, gz], [TensorType(x.dtype, x.type.shape)()])

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, output_grads):
        from .. import math as m
        (x, gz), (ggx,) = inputs, output_grads
        return [m.zeros_like(x), self.sibling(Pool)(ggx)]


@dataclass(frozen=True)
class DownsampleFactorMaxGradGrad(_MaxRouting):
    """For each window, the sum of ggx over the positions equal to the window's max."""

    g_name = 'ggx'
    shaped_like = 1

    def grad(self, inputs, output_grads):
        from .. import math as m
        (x, maxout, ggx), (gz,) = inputs, output_grads
        return [m.zeros_like(x), m.zeros_like(maxout), self.sibling(MaxPoolGrad, 'max')(x, maxout, gz)]


# -- Theano's functions -------------------------------------------------------------

def _deprecated(new, old, new_name, old_name, default=None):
    if old is None:
        return new
    if new is not None and new != default:
        raise ValueError(f"You can't provide a tuple value to both '{old_name}' and '{new_name}'. "
                         f"Please provide a value only to '{new_name}'.")
    warnings.warn(f"DEPRECATION: the '{old_name}' parameter is not going to exist anymore as it is "
                  f"going to be replaced by the parameter '{new_name}'.", stacklevel=4)
    return old


def _pool_nd(nd, name, input, ws, ignore_border, stride, pad, mode, ds, st, padding):
    zero = (0,) * nd
    if ds is not None and ws is not None:
        raise ValueError("You can't provide a tuple value to both 'ws' and 'ds'. "
                         "Please provide a value only to 'ws'.")
    ws = _deprecated(ws, ds, 'ws', 'ds')
    if ws is None:
        raise ValueError('You must provide a tuple value for the window size.')
    stride = _deprecated(stride, st, 'stride', 'st')
    pad = _deprecated(pad, padding, 'pad', 'padding', default=zero)
    input = as_tensor_variable(input)
    if input.ndim < nd:
        raise NotImplementedError(f'{name} requires a dimension >= {nd}')
    if ignore_border is None:
        warnings.warn(
            f'{name}() will have the parameter ignore_border default value changed to True '
            '(currently False). To have consistent behavior with all Theano version, explicitly '
            'add the parameter ignore_border=True. On the GPU, using ignore_border=True is needed '
            'to use cuDNN. When using ignore_border=False and not using cuDNN, the only GPU '
            f'combination supported is when `ws == stride and pad == {zero} and mode == \'max\'`. '
            'Otherwise, the convolution will be executed on CPU.', stacklevel=3)
        ignore_border = False
    return Pool(ignore_border, mode=mode, ndim=nd)(input, ws, stride, pad)


def pool_2d(input, ws=None, ignore_border=None, stride=None, pad=(0, 0), mode='max',
            ds=None, st=None, padding=None):
    """Pool the last 2 axes of `input` (N >= 2 dimensions) over windows `ws` (Theano 1.0)."""
    return _pool_nd(2, 'pool_2d', input, ws, ignore_border, stride, pad, mode, ds, st, padding)


def pool_3d(input, ws=None, ignore_border=None, stride=None, pad=(0, 0, 0), mode='max',
            ds=None, st=None, padding=None):
    """Pool the last 3 axes of `input` (N >= 3 dimensions) over windows `ws` (Theano 1.0)."""
    return _pool_nd(3, 'pool_3d', input, ws, ignore_border, stride, pad, mode, ds, st, padding)


def max_pool_2d_same_size(input, patch_size):
    """Keep each non-overlapping patch's maximum in place and zero the rest (same shape)."""
    input = as_tensor_variable(input)
    op = Pool(True).with_geometry(patch_size)
    output = op(input)
    return op.sibling(MaxPoolGrad, 'max')(input, output, output)
