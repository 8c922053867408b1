"""The T.* functions: elementwise math, reductions, products and shape functions.

Each function here builds nodes of the ops defined beside it (Elemwise over the
scalar table, DimShuffle, CAReduce, Dot, ...); composite operations such as
`mean`, `var`, `tensordot` or `softmax` are graphs of those, not new ops.
"""
from __future__ import annotations

import builtins

import numpy as np

from .. import config
from .basic import as_tensor_variable, constant, install_stack
from .dot import Dot
from .elemwise import DimShuffle, Elemwise, cast, promote
from .reduce import ArgReduce, CAReduce, normalize_axis, reduce_dtype
from .scalar import SCALAR_OPS
from .shape_ops import (Alloc, ARange, CumOp, Eye, Join, MakeVector, Reshape, Shape,
                        shape_vector, static_value)
from .variable import TensorConstant


def _elemwise(name):
    op = Elemwise(SCALAR_OPS[name])

    def apply(*inputs):
        return op(*inputs)

    record = SCALAR_OPS[name]
    apply.__name__ = name
    apply.__doc__ = (f'Elementwise {record.doc or name} of {record.nin} broadcast input(s).')
    return apply


def elemwise_functions():
    """The T.* function of every scalar-op record, by its name (`abs` is Theano's `abs_`):
    the records are the one list of elementwise functions."""
    return {op.function_name: _elemwise(name) for name, op in SCALAR_OPS.items() if op.function_name}


# add, sub, mul, exp, tanh, gammaln, j0, xlogx, ... (tracegraph/tensor/scalar.py lists them)
globals().update(elemwise_functions())

true_divide, floor_div, divide = true_div, int_div, true_div
bitwise_and, bitwise_or, bitwise_xor, bitwise_not = and_, or_, xor, invert
abs = abs_  # noqa: A001  (T.abs exists in PyTensor; Theano spells it abs_)
power = pow
where = switch
fill = second
neq.__doc__ = 'Elementwise a != b.'


def round_(x, mode=None):
    """Round to nearest; Theano's default mode is 'half_away_from_zero'."""
    mode = mode or 'half_away_from_zero'
    if mode not in ('half_away_from_zero', 'half_to_even'):
        raise ValueError(f"round mode must be 'half_away_from_zero' or 'half_to_even', got {mode!r}")
    return _elemwise('round_' + mode)(x)


round = round_  # noqa: A001


def tensor_copy(x):
    return identity(x)


def zeros_like(x, dtype=None):
    x = as_tensor_variable(x)
    return fill(x, constant(np.zeros((), dtype=dtype or x.dtype)))


def ones_like(x, dtype=None):
    x = as_tensor_variable(x)
    return fill(x, constant(np.ones((), dtype=dtype or x.dtype)))


# -- axis plumbing -------------------------------------------------------------------
def dimshuffle(x, pattern):
    x = as_tensor_variable(x)
    pattern = tuple('x' if p == 'x' else int(p) for p in pattern)
    if pattern == tuple(range(x.ndim)):
        return x
    return DimShuffle(x.ndim, pattern)(x)


def transpose(x, axes=None):
    x = as_tensor_variable(x)
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    return dimshuffle(x, [a % x.ndim for a in axes])


def shape(x):
    return Shape()(as_tensor_variable(x))


def shape_padleft(x, n=1):
    x = as_tensor_variable(x)
    return dimshuffle(x, ['x'] * n + list(range(x.ndim)))


def shape_padright(x, n=1):
    x = as_tensor_variable(x)
    return dimshuffle(x, list(range(x.ndim)) + ['x'] * n)


def shape_padaxis(x, axis):
    x = as_tensor_variable(x)
    axis = axis % (x.ndim + 1)
    order = list(range(x.ndim))
    order.insert(axis, 'x')
    return dimshuffle(x, order)


def addbroadcast(x, *axes):
    from .type import TensorType
    x = as_tensor_variable(x)
    shape_ = list(x.type.shape)
    for a in axes:
        shape_[a] = 1
    return specify_shape(x, tuple(shape_))


def specify_shape(x, shape_):
    """x, with its static shape narrowed (checked at run time by a reshape)."""
    x = as_tensor_variable(x)
    sym = [s if s is not None else shape(x)[i] for i, s in enumerate(shape_)]
    return reshape(x, sym)


def reshape(x, newshape, ndim=None):
    x = as_tensor_variable(x)
    vec = shape_vector(newshape)
    nd = vec.type.shape[0]
    if nd is None:
        if ndim is None:
            raise ValueError('reshape with a symbolic shape vector of unknown length needs ndim=')
        nd = ndim
    return Reshape(nd)(x, vec)


def flatten(x, ndim=1, outdim=None):
    x = as_tensor_variable(x)
    ndim = outdim if outdim is not None else ndim
    if ndim == x.ndim:
        return x
    if ndim == 1:
        return reshape(x, [-1])
    sh = shape(x)
    return reshape(x, [sh[i] for i in range(ndim - 1)] + [-1])


def squeeze(x):
    x = as_tensor_variable(x)
    return dimshuffle(x, [i for i, s in enumerate(x.type.shape) if s != 1])


# -- reductions ----------------------------------------------------------------------
def _reduce(reducer, x, axis, keepdims, dtype=None):
    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim)
    out_dtype = dtype or reduce_dtype(reducer, x.dtype)
    if dtype is not None and x.dtype != dtype:
        x = cast(x, dtype)
    out = CAReduce(reducer, axes, np.dtype(out_dtype).name)(x) if axes else (
        cast(x, out_dtype) if x.dtype != out_dtype else x)
    return _keep(out, x.ndim, axes) if keepdims else out


def _keep(out, ndim, axes):
    order, k = [], 0
    for i in range(ndim):
        if i in axes:
            order.append('x')
        else:
            order.append(k)
            k += 1
    return dimshuffle(out, order)


def sum(x, axis=None, keepdims=False, dtype=None, acc_dtype=None):  # noqa: A001
    return _reduce('add', x, axis, keepdims, dtype)


def sum_to(g, x):
    """`g` summed over the axes along which `x` was broadcast into it (the leading axes
    `x` lacks, and those of static length 1 in `x`): the pullback of broadcasting."""
    g = as_tensor_variable(g)
    if g.ndim > x.ndim:
        g = sum(g, axis=tuple(range(g.ndim - x.ndim)))
    axes = [a for a, (n, k) in enumerate(zip(x.type.shape, g.type.shape)) if n == 1 and k != 1]
    if axes:
        g = sum(g, axis=axes, keepdims=True)
    return g


def prod(x, axis=None, keepdims=False, dtype=None, acc_dtype=None, no_zeros_in_input=False):
    return _reduce('mul', x, axis, keepdims, dtype)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce('maximum', x, axis, keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce('minimum', x, axis, keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce('or_', cast(x, 'bool'), axis, keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce('and_', cast(x, 'bool'), axis, keepdims)


def _count(x, axes):
    """Number of elements reduced over `axes`, as a constant when shapes are static."""
    lengths = [x.type.shape[a] for a in axes]
    if builtins.all(n is not None for n in lengths):
        return constant(int(np.prod(lengths, dtype='int64')))
    sh = shape(x)
    out = constant(1)
    for a in axes:
        out = mul(out, sh[a])
    return out


def mean(x, axis=None, keepdims=False, dtype=None, acc_dtype=None):
    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim)
    total = sum(x, axis=axes, dtype=dtype)
    out_dtype = dtype or (total.dtype if np.dtype(total.dtype).kind in 'fc' else 'float64')
    out = true_div(cast(total, out_dtype), cast(_count(x, axes), out_dtype))
    return _keep(out, x.ndim, axes) if keepdims else out


def var(x, axis=None, keepdims=False, ddof=0, corrected=False):
    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim)
    centered = sub(x, mean(x, axis=axes, keepdims=True))
    ddof = 1 if corrected else ddof
    if ddof:
        n = cast(_count(x, axes), centered.dtype)
        out = true_div(sum(sqr(centered), axis=axes), sub(n, ddof))
    else:
        out = mean(sqr(centered), axis=axes)
    return _keep(out, x.ndim, axes) if keepdims else out


def std(x, axis=None, keepdims=False, ddof=0, corrected=False):
    return sqrt(var(x, axis=axis, keepdims=keepdims, ddof=ddof, corrected=corrected))


def _argreduce(kind, x, axis, keepdims):
    x = as_tensor_variable(x)
    if axis is None or (isinstance(axis, (list, tuple)) and len(axis) == x.ndim):
        out = ArgReduce(kind, None)(x)
        return _keep(out, x.ndim, tuple(range(x.ndim))) if keepdims else out
    axes = normalize_axis(axis, x.ndim)
    if len(axes) != 1:
        raise ValueError(f'{kind} over several axes {axes} is not defined; reshape first')
    out = ArgReduce(kind, axes[0])(x)
    return _keep(out, x.ndim, axes) if keepdims else out


def argmax(x, axis=None, keepdims=False):
    return _argreduce('argmax', x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    return _argreduce('argmin', x, axis, keepdims)


def max_and_argmax(x, axis=None, keepdims=False):
    return max(x, axis, keepdims), argmax(x, axis, keepdims)


def cumsum(x, axis=None):
    x = as_tensor_variable(x)
    return CumOp('add', None if axis is None else axis % x.ndim)(x)


def cumprod(x, axis=None):
    x = as_tensor_variable(x)
    return CumOp('mul', None if axis is None else axis % x.ndim)(x)


def norm(x, L=2, axis=None):
    if L == 1:
        return sum(abs_(x), axis=axis)
    if L == 2:
        return sqrt(sum(sqr(x), axis=axis))
    return pow(sum(pow(abs_(x), L), axis=axis), 1.0 / L)


# -- products ------------------------------------------------------------------------
def dot(a, b):
    """numpy.dot: matrix/vector products; higher ranks go through tensordot."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    if a.ndim <= 2 and b.ndim <= 2:
        return Dot()(a, b)
    return tensordot(a, b, [[a.ndim - 1], [builtins.max(0, b.ndim - 2)]])


def matmul(a, b):
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim <= 2 and b.ndim <= 2:
        return dot(a, b)
    # Batched: broadcast the leading axes and contract the last of a with b's second to last.
    if a.ndim == 1:
        return sum(mul(shape_padright(a), b), axis=-2)
    if b.ndim == 1:
        return sum(mul(a, shape_padaxis(b, -2)), axis=-1)
    return sum(mul(shape_padright(a), shape_padaxis(b, -3)), axis=-2)


def outer(a, b):
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    return mul(shape_padright(flatten(a)), shape_padleft(flatten(b)))


def tensordot(a, b, axes=2):
    """numpy.tensordot, as transposes and reshapes around one Dot."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if isinstance(axes, int):
        a_axes, b_axes = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        a_axes, b_axes = ([x] if isinstance(x, int) else list(x) for x in axes)
    a_axes = [x % a.ndim for x in a_axes]
    b_axes = [x % b.ndim for x in b_axes]
    if len(a_axes) != len(b_axes):
        raise ValueError(f'tensordot: axes {a_axes} and {b_axes} differ in length')
    a_free = [i for i in range(a.ndim) if i not in a_axes]
    b_free = [i for i in range(b.ndim) if i not in b_axes]
    at = transpose(a, a_free + a_axes)
    bt = transpose(b, b_axes + b_free)
    sa, sb = shape(at), shape(bt)
    a2 = reshape(at, [_prod_of(sa, range(len(a_free))), _prod_of(sa, range(len(a_free), a.ndim))])
    b2 = reshape(bt, [_prod_of(sb, range(len(b_axes))), _prod_of(sb, range(len(b_axes), b.ndim))])
    out = Dot()(a2, b2)
    final = [sa[i] for i in range(len(a_free))] + [sb[i] for i in range(len(b_axes), b.ndim)]
    return reshape(out, final) if final else reshape(out, [])


def _prod_of(sh, idx):
    idx = list(idx)
    out = constant(1)
    static = static_value(sh)
    if static is not None:
        return constant(int(np.prod([static[i] for i in idx], dtype='int64')))
    for i in idx:
        out = mul(out, sh[i])
    return out


# -- making arrays -------------------------------------------------------------------
def alloc(value, *shape_):
    if len(shape_) == 1 and isinstance(shape_[0], (list, tuple)):
        shape_ = shape_[0]
    return Alloc()(as_tensor_variable(value), *shape_)


def zeros(shape_, dtype=None):
    dims = _dims(shape_)
    return alloc(constant(np.zeros((), dtype=config.resolve_dtype(dtype))), *dims)


def ones(shape_, dtype=None):
    dims = _dims(shape_)
    return alloc(constant(np.ones((), dtype=config.resolve_dtype(dtype))), *dims)


def _dims(shape_):
    if isinstance(shape_, (int, np.integer)):
        return [shape_]
    if isinstance(shape_, (list, tuple)):
        return list(shape_)
    vec = as_tensor_variable(shape_)
    if vec.ndim == 0:
        return [vec]
    n = vec.type.shape[0]
    if n is None:
        raise ValueError('zeros/ones need a shape of known length')
    return [vec[i] for i in range(n)]


def eye(n, m=None, k=0, dtype=None):
    return Eye(np.dtype(config.resolve_dtype(dtype)).name)(n, n if m is None else m, k)


def identity_like(x):
    x = as_tensor_variable(x)
    return eye(shape(x)[0], shape(x)[1], 0, x.dtype)


def arange(start, stop=None, step=1, dtype=None):
    if stop is None:
        start, stop = 0, start
    start, stop, step = (as_tensor_variable(v) for v in (start, stop, step))
    if dtype is None:
        dtype = promote([start, stop, step])
        if np.dtype(dtype).kind in 'iu' and builtins.all(getattr(v, 'weak', None) is not None for v in (start, stop, step)):
            dtype = 'int64'
    return ARange(np.dtype(config.resolve_dtype(dtype)).name)(start, stop, step)


def concatenate(tensors, axis=0):
    tensors = [as_tensor_variable(t) for t in tensors]
    if len(tensors) == 1:
        return tensors[0]
    return Join(axis % tensors[0].ndim)(*tensors)


def stack(tensors, axis=0):
    tensors = [as_tensor_variable(t) for t in tensors]
    if builtins.all(t.ndim == 0 for t in tensors) and axis == 0:
        return MakeVector(promote(tensors))(*tensors)
    return concatenate([shape_padaxis(t, axis) for t in tensors], axis=axis)


install_stack(stack)  # for as_tensor_variable([x, y]) (tensor/basic.py)


def join(axis, *tensors):
    """Theano's argument order: `T.join(axis, a, b, ...)`."""
    return concatenate(tensors, axis=axis)


def broadcast_to(x, shape_):
    return alloc(x, *_dims(shape_))


def logsumexp(x, axis=None, keepdims=False):
    x = as_tensor_variable(x)
    m = max(x, axis=axis, keepdims=True)
    m = switch(isinf(m), zeros_like(m), m)
    out = add(log(sum(exp(sub(x, m)), axis=axis, keepdims=True)), m)
    if keepdims:
        return out
    axes = normalize_axis(axis, x.ndim)
    return dimshuffle(out, [i for i in range(x.ndim) if i not in axes])


def is_constant_value(v, value):
    v = as_tensor_variable(v)
    return isinstance(v, TensorConstant) and np.all(v.data == value)
