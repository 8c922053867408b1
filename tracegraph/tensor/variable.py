"""TensorVariable: a symbolic array with NumPy's operators and methods."""
from __future__ import annotations

import numpy as np

from ..ir import Constant, Variable
from .truthiness import NoValueError, refuses_bool, truth_error  # noqa: F401  (NoValueError: its public path)


class TensorVariable(Variable):
    """A symbolic array: its type's facts (dtype, ndim, broadcastable) and what
    Python may not ask of it (bool, len, iteration, int).  Its operators and array
    methods (`x + y`, `x[1:]`, `x.sum()`, `x.T`) are in operators.py, above math.py
    whose functions they call."""

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

    # == stays identity (variables are dict keys); use T.eq for elementwise equality.
    __hash__ = Variable.__hash__

    def eval(self, inputs_to_values=None):
        """Compile and run this variable (Theano's `Variable.eval`)."""
        inputs_to_values = inputs_to_values or {}
        fn = compile_function(list(inputs_to_values), self, on_unused_input='ignore')
        return fn(*inputs_to_values.values())


# Compiling is the compile layer's, above this one, yet eval() and verify_grad run
# graphs: tracegraph.compiler installs tg.function here when it loads, and
# `import tracegraph` always loads it (compiler/__init__.py: install_function).
_installed = {}


def install_function(function):
    """Make `function(inputs, outputs, **options)` (tg.function) what compile_function calls."""
    _installed['function'] = function


def compile_function(inputs, outputs, **options):
    """tg.function(inputs, outputs, **options), for layers below tracegraph.compiler."""
    return _installed['function'](inputs, outputs, **options)


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
