"""Python's operators and array methods on tensor variables: `x + y`, `-x`, `x < y`,
`x @ y`, `x[1:]`, `x.T`, `x.shape`, `x.sum()`, `x.reshape(...)`, ... each the T.*
function of the same meaning.

TensorVariable (variable.py) sits below math.py, whose functions build these
results; the methods sit here, above it, and `_attach` puts them on the class once,
when tracegraph.tensor loads.  == stays identity (variables are dict keys): T.eq
compares elementwise.

The pullbacks of the ops math.py builds (Dot, DimShuffle, CAReduce, Reshape, Alloc,
Join, CumOp) sit here for the same reason: written with T functions, they register
in ir/op.py's GRAD_RULES, where each op's `grad` (or `L_op`) looks up its class.
"""
from __future__ import annotations

from ..ir.op import grad_rule
from . import math as m
from .dot import Dot
from .elemwise import DimShuffle
from .reduce import CAReduce
from .shape_ops import Alloc, CumOp, Join, Reshape
from .subtensor import getitem
from .variable import TensorVariable


class TensorOperators:
    @property
    def shape(self):
        return m.shape(self)

    @property
    def size(self):
        return m.prod(self.shape)

    @property
    def T(self):
        return m.transpose(self)

    # -- arithmetic ------------------------------------------------------
    def __add__(self, other): return m.add(self, other)
    def __radd__(self, other): return m.add(other, self)
    def __sub__(self, other): return m.sub(self, other)
    def __rsub__(self, other): return m.sub(other, self)
    def __mul__(self, other): return m.mul(self, other)
    def __rmul__(self, other): return m.mul(other, self)
    def __truediv__(self, other): return m.true_div(self, other)
    def __rtruediv__(self, other): return m.true_div(other, self)
    def __floordiv__(self, other): return m.int_div(self, other)
    def __rfloordiv__(self, other): return m.int_div(other, self)
    def __mod__(self, other): return m.mod(self, other)
    def __rmod__(self, other): return m.mod(other, self)
    def __pow__(self, other): return m.pow(self, other)
    def __rpow__(self, other): return m.pow(other, self)
    def __neg__(self): return m.neg(self)
    def __pos__(self): return self
    def __abs__(self): return m.abs_(self)
    def __invert__(self): return m.invert(self)
    def __and__(self, other): return m.and_(self, other)
    def __rand__(self, other): return m.and_(other, self)
    def __or__(self, other): return m.or_(self, other)
    def __ror__(self, other): return m.or_(other, self)
    def __xor__(self, other): return m.xor(self, other)
    def __rxor__(self, other): return m.xor(other, self)
    def __lt__(self, other): return m.lt(self, other)
    def __le__(self, other): return m.le(self, other)
    def __gt__(self, other): return m.gt(self, other)
    def __ge__(self, other): return m.ge(self, other)
    def __matmul__(self, other): return m.matmul(self, other)
    def __rmatmul__(self, other): return m.matmul(other, self)

    # -- indexing --------------------------------------------------------
    def __getitem__(self, index):
        return getitem(self, index)

    # -- methods ---------------------------------------------------------
    def sum(self, axis=None, keepdims=False, dtype=None, acc_dtype=None):
        return m.sum(self, axis=axis, keepdims=keepdims, dtype=dtype)

    def mean(self, axis=None, keepdims=False, dtype=None):
        return m.mean(self, axis=axis, keepdims=keepdims, dtype=dtype)

    def max(self, axis=None, keepdims=False): return m.max(self, axis=axis, keepdims=keepdims)
    def min(self, axis=None, keepdims=False): return m.min(self, axis=axis, keepdims=keepdims)
    def prod(self, axis=None, keepdims=False, dtype=None): return m.prod(self, axis=axis, keepdims=keepdims, dtype=dtype)
    def argmax(self, axis=None, keepdims=False): return m.argmax(self, axis=axis, keepdims=keepdims)
    def argmin(self, axis=None, keepdims=False): return m.argmin(self, axis=axis, keepdims=keepdims)
    def var(self, axis=None, keepdims=False, ddof=0): return m.var(self, axis=axis, keepdims=keepdims, ddof=ddof)
    def std(self, axis=None, keepdims=False, ddof=0): return m.std(self, axis=axis, keepdims=keepdims, ddof=ddof)
    def any(self, axis=None, keepdims=False): return m.any(self, axis=axis, keepdims=keepdims)
    def all(self, axis=None, keepdims=False): return m.all(self, axis=axis, keepdims=keepdims)
    def cumsum(self, axis=None): return m.cumsum(self, axis=axis)
    def cumprod(self, axis=None): return m.cumprod(self, axis=axis)
    def norm(self, L=2, axis=None): return m.norm(self, L, axis=axis)

    def reshape(self, *shape, ndim=None):
        if len(shape) == 1 and not isinstance(shape[0], int) and not _is_scalar_var(shape[0]):
            shape = shape[0]
        return m.reshape(self, shape, ndim=ndim)

    def dimshuffle(self, *pattern):
        if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
            pattern = pattern[0]
        return m.dimshuffle(self, pattern)

    def flatten(self, ndim=1): return m.flatten(self, ndim)
    def ravel(self): return m.flatten(self, 1)
    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (list, tuple)):
            axes = axes[0]
        return m.transpose(self, axes or None)
    def astype(self, dtype): return m.cast(self, dtype)
    def dot(self, other): return m.dot(self, other)
    def clip(self, a_min, a_max): return m.clip(self, a_min, a_max)
    def squeeze(self): return m.squeeze(self)
    def round(self, mode=None): return m.round_(self, mode)

    def copy(self, name=None):
        out = m.tensor_copy(self)
        out.name = name
        return out


def _is_scalar_var(x):
    return isinstance(x, TensorVariable) and x.ndim == 0


def _attach(cls, methods):
    for name, value in vars(methods).items():
        if name not in ('__module__', '__qualname__', '__dict__', '__weakref__', '__doc__'):
            setattr(cls, name, value)


_attach(TensorVariable, TensorOperators)


# -- pullbacks of the ops math.py builds (Dot, DimShuffle, CAReduce, shape ops) --------
@grad_rule(Dot)
def dot_grad(op, inputs, output_grads):
    (a, b), (g,) = inputs, output_grads
    if a.ndim == 1 and b.ndim == 1:
        return [m.mul(g, b), m.mul(g, a)]
    if a.ndim == 1:
        return [m.dot(b, g), m.outer(a, g)]
    if b.ndim == 1:
        return [m.outer(g, b), m.dot(g, a)]
    return [m.dot(g, m.transpose(b)), m.dot(m.transpose(a), g)]


@grad_rule(DimShuffle)
def dimshuffle_grad(op, inputs, output_grads):
    # Drop the inserted axes (summing them if g lost their static length 1), undo the
    # permutation, and put the dropped length-1 axes back.
    (g,) = output_grads
    inserted = [i for i, a in enumerate(op.new_order) if a == 'x']
    if inserted and all(g.type.shape[i] == 1 for i in inserted):
        g = m.dimshuffle(g, [i for i in range(g.ndim) if i not in inserted])
    elif inserted:
        g = m.sum(g, axis=inserted)
    kept = [a for a in op.new_order if a != 'x']
    return [m.dimshuffle(g, [kept.index(a) if a in kept else 'x' for a in range(op.input_ndim)])]


@grad_rule(CAReduce)
def careduce_l_op(op, inputs, outputs, output_grads):
    # g (and z) broadcast back over the reduced axes.  Extrema pass g to every
    # element equal to the extremum; and_/or_ give booleans, which take no gradient.
    (x,), (z,), (g,) = inputs, outputs, output_grads
    g = m._keep(g, x.ndim, op.axes)
    if op.reducer == 'add':
        return [m.fill(x, g)]
    if op.reducer == 'mul':
        return [m.mul(g, _prod_partials(x, op.axes))]
    return [m.switch(m.eq(x, m._keep(z, x.ndim, op.axes)), g, 0)]


def _prod_partials(x, axes):
    """d prod(x) / d x, exact when x holds zeros: with no zero it is prod / x; with one
    zero, the product of the others at the zero and 0 elsewhere; with more, 0."""
    is_zero = m.eq(x, 0)
    nonzero = m.switch(is_zero, 1, x)
    prod_nz = m.prod(nonzero, axis=axes, keepdims=True)
    n_zeros = m.sum(is_zero, axis=axes, keepdims=True)
    one_zero = m.switch(m.eq(n_zeros, 1), m.switch(is_zero, prod_nz, 0), 0)
    return m.switch(m.eq(n_zeros, 0), m.true_div(prod_nz, nonzero), one_zero)


@grad_rule(Reshape)
def reshape_grad(op, inputs, output_grads):
    return [m.reshape(output_grads[0], m.shape(inputs[0])), None]


@grad_rule(Alloc)
def alloc_grad(op, inputs, output_grads):
    return [m.sum_to(output_grads[0], inputs[0])] + [None] * (len(inputs) - 1)


@grad_rule(Join)
def join_grad(op, inputs, output_grads):
    # Each input gets its own slice of g along the axis.
    (g,), start, grads = output_grads, 0, []
    for t in inputs:
        length = t.type.shape[op.axis]
        stop = start + (m.shape(t)[op.axis] if length is None else length)
        grads.append(g[(slice(None),) * op.axis + (slice(start, stop),)])
        start = stop
    return grads


@grad_rule(CumOp)
def cumop_l_op(op, inputs, outputs, output_grads):
    # d cumsum: g summed from the end.  d cumprod: the same of g * z, over x
    # (like Theano and PyTensor, this divides by x: a zero in x gives nan).
    (x,), (z,), (g,) = inputs, outputs, output_grads
    flat = x if op.axis is not None else m.flatten(x)
    axis = op.axis or 0
    if op.mode == 'add':
        gx = _reverse_cumsum(g, axis)
    else:
        gx = m.true_div(_reverse_cumsum(m.mul(g, z), axis), flat)
    return [gx if op.axis is not None else m.reshape(gx, m.shape(x))]


def _reverse_cumsum(g, axis):
    flip = (slice(None),) * axis + (slice(None, None, -1),)
    return m.cumsum(g[flip], axis=axis)[flip]
