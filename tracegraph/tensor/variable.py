"""TensorVariable: a symbolic array with NumPy's operators and methods."""
from __future__ import annotations

import numpy as np

from ..ir import Constant, Variable
from .truthiness import refuses_bool, truth_error


class NoValueError(TypeError):
    """Raised when Python needs the value of a symbolic variable (`if x > 0:`)."""


class TensorVariable(Variable):
    __array_priority__ = 1000  # so that `ndarray + variable` defers to us

    # -- type ------------------------------------------------------------
    @property
    def dtype(self):
        return self.type.dtype

    @property
    def ndim(self):
        return self.type.ndim

    @property
    def broadcastable(self):
        return self.type.broadcastable

    @property
    def static_shape(self):
        return self.type.shape

    @property
    def shape(self):
        return _m.shape(self)

    @property
    def size(self):
        return _m.prod(self.shape)

    @property
    def T(self):
        return _m.transpose(self)

    # -- values are not here ----------------------------------------------
    def __bool__(self):
        # Theano 1.0: a variable is an object that exists, so it is truthy (old code tests
        # `if not input:` to mean "no input given").  A comparison's result is refused: the
        # user meant its value (`if x > 0:`), which does not exist while the graph is built.
        # While @tg.compile traces, every value is refused (the tracer explains why).
        if refuses_bool(self):
            raise truth_error(self)
        return True

    def __len__(self):
        raise NoValueError(f'{self} is symbolic: use {self.name or "x"}.shape[0] for its length')

    def __iter__(self):
        if self.ndim == 0:
            raise NoValueError(f'{self} is a 0-d symbolic variable; it cannot be iterated')
        n = self.type.shape[0]
        if n is None:
            raise NoValueError(
                f'cannot iterate over {self}: its length is not known while the graph is '
                'built. Use tg.scan to loop over its rows.')
        return (self[i] for i in range(n))

    def __index__(self):
        raise NoValueError(f'{self} is symbolic; it cannot be used as a Python index')

    def __int__(self):
        raise NoValueError(f'int() needs a value, and {self} is symbolic. Use .astype("int64")')

    def __float__(self):
        raise NoValueError(f'float() needs a value, and {self} is symbolic. Use .astype("float64")')

    # -- arithmetic ------------------------------------------------------
    def __add__(self, other): return _m.add(self, other)
    def __radd__(self, other): return _m.add(other, self)
    def __sub__(self, other): return _m.sub(self, other)
    def __rsub__(self, other): return _m.sub(other, self)
    def __mul__(self, other): return _m.mul(self, other)
    def __rmul__(self, other): return _m.mul(other, self)
    def __truediv__(self, other): return _m.true_div(self, other)
    def __rtruediv__(self, other): return _m.true_div(other, self)
    def __floordiv__(self, other): return _m.int_div(self, other)
    def __rfloordiv__(self, other): return _m.int_div(other, self)
    def __mod__(self, other): return _m.mod(self, other)
    def __rmod__(self, other): return _m.mod(other, self)
    def __pow__(self, other): return _m.pow(self, other)
    def __rpow__(self, other): return _m.pow(other, self)
    def __neg__(self): return _m.neg(self)
    def __pos__(self): return self
    def __abs__(self): return _m.abs_(self)
    def __invert__(self): return _m.invert(self)
    def __and__(self, other): return _m.and_(self, other)
    def __rand__(self, other): return _m.and_(other, self)
    def __or__(self, other): return _m.or_(self, other)
    def __ror__(self, other): return _m.or_(other, self)
    def __xor__(self, other): return _m.xor(self, other)
    def __rxor__(self, other): return _m.xor(other, self)
    def __lt__(self, other): return _m.lt(self, other)
    def __le__(self, other): return _m.le(self, other)
    def __gt__(self, other): return _m.gt(self, other)
    def __ge__(self, other): return _m.ge(self, other)
    def __matmul__(self, other): return _m.matmul(self, other)
    def __rmatmul__(self, other): return _m.matmul(other, self)
    # == stays identity (variables are dict keys); use T.eq for elementwise equality.
    __hash__ = Variable.__hash__

    # -- indexing --------------------------------------------------------
    def __getitem__(self, index):
        from .subtensor import getitem
        return getitem(self, index)

    # -- methods ---------------------------------------------------------
    def sum(self, axis=None, keepdims=False, dtype=None, acc_dtype=None):
        return _m.sum(self, axis=axis, keepdims=keepdims, dtype=dtype)

    def mean(self, axis=None, keepdims=False, dtype=None):
        return _m.mean(self, axis=axis, keepdims=keepdims, dtype=dtype)

    def max(self, axis=None, keepdims=False): return _m.max(self, axis=axis, keepdims=keepdims)
    def min(self, axis=None, keepdims=False): return _m.min(self, axis=axis, keepdims=keepdims)
    def prod(self, axis=None, keepdims=False, dtype=None): return _m.prod(self, axis=axis, keepdims=keepdims, dtype=dtype)
    def argmax(self, axis=None, keepdims=False): return _m.argmax(self, axis=axis, keepdims=keepdims)
    def argmin(self, axis=None, keepdims=False): return _m.argmin(self, axis=axis, keepdims=keepdims)
    def var(self, axis=None, keepdims=False, ddof=0): return _m.var(self, axis=axis, keepdims=keepdims, ddof=ddof)
    def std(self, axis=None, keepdims=False, ddof=0): return _m.std(self, axis=axis, keepdims=keepdims, ddof=ddof)
    def any(self, axis=None, keepdims=False): return _m.any(self, axis=axis, keepdims=keepdims)
    def all(self, axis=None, keepdims=False): return _m.all(self, axis=axis, keepdims=keepdims)
    def cumsum(self, axis=None): return _m.cumsum(self, axis=axis)
    def cumprod(self, axis=None): return _m.cumprod(self, axis=axis)
    def norm(self, L=2, axis=None): return _m.norm(self, L, axis=axis)

    def reshape(self, *shape, ndim=None):
        if len(shape) == 1 and not isinstance(shape[0], int) and not _is_scalar_var(shape[0]):
            shape = shape[0]
        return _m.reshape(self, shape, ndim=ndim)

    def dimshuffle(self, *pattern):
        if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
            pattern = pattern[0]
        return _m.dimshuffle(self, pattern)

    def flatten(self, ndim=1): return _m.flatten(self, ndim)
    def ravel(self): return _m.flatten(self, 1)
    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (list, tuple)):
            axes = axes[0]
        return _m.transpose(self, axes or None)
    def astype(self, dtype): return _m.cast(self, dtype)
    def dot(self, other): return _m.dot(self, other)
    def clip(self, a_min, a_max): return _m.clip(self, a_min, a_max)
    def squeeze(self): return _m.squeeze(self)
    def round(self, mode=None): return _m.round_(self, mode)

    def copy(self, name=None):
        out = _m.tensor_copy(self)
        out.name = name
        return out

    def eval(self, inputs_to_values=None):
        """Compile and run this variable (Theano's `Variable.eval`)."""
        from ..compile.function import function
        inputs_to_values = inputs_to_values or {}
        fn = function(list(inputs_to_values), self, on_unused_input='ignore')
        return fn(*inputs_to_values.values())


class TensorConstant(Constant, TensorVariable):
    """A constant array.  `weak` holds the Python number it was made from, if any:
    such a constant adopts its partner's dtype (`float32_x * 2.5` stays float32)."""

    def __init__(self, type, data, name=None, weak=None):
        Constant.__init__(self, type, data, name=name)
        self.weak = weak

    def signature(self):
        return (self.type, self.data.tobytes())

    def __str__(self):
        if self.name is not None:
            return self.name
        return f'TensorConstant{{{_format(self)}}}'


def _format(c):
    data = c.data
    if c.weak is not None:
        return str(c.weak)
    if data.size == 1:
        return str(data.reshape(()).item()) if data.dtype.kind != 'f' else str(data.reshape(())[()])
    text = np.array2string(data, threshold=8)
    return text.replace('\n', '')


def _is_scalar_var(x):
    return isinstance(x, TensorVariable) and x.ndim == 0


_m = None  # tracegraph.tensor.math, set when it loads (it imports this module)
