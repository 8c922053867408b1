"""Making tensor variables: `T.tensor`, constants, and `as_tensor_variable`
(the named constructors, `T.fmatrix` ..., are in constructors.py)."""
from __future__ import annotations

import numpy as np

from .. import config
from ..ir import Variable
from ..ir.op import install_input_conversion
from .type import TensorType
from .variable import TensorConstant, TensorVariable


def tensor(dtype='floatX', shape=None, name=None, broadcastable=None):
    """`T.tensor(dtype, shape=(None, 3), name='x')`: a symbolic input of any rank."""
    if shape is None and broadcastable is None:
        raise TypeError('T.tensor needs shape=(...) or broadcastable=(...)')
    return TensorType(dtype, shape, broadcastable=broadcastable)(name)


def _python_constant(value, name=None):
    if isinstance(value, bool):
        dtype = 'bool'
    elif isinstance(value, int):
        dtype = next((d for d in ('int8', 'int16', 'int32', 'int64')
                      if np.iinfo(d).min <= value <= np.iinfo(d).max), 'uint64')
    else:
        dtype = 'float64' if config.floatX == 'float64' or np.float32(value) != value else 'float32'
    data = np.asarray(value, dtype=dtype)
    return TensorConstant(TensorType(dtype, ()), data, name=name, weak=value)


def constant(value, name=None, ndim=None, dtype=None):
    """A constant tensor.  Python numbers stay 'weak' (they adopt a partner's dtype)."""
    if isinstance(value, (bool, int, float)) and dtype is None and ndim in (None, 0):
        return _python_constant(value, name)
    data = np.asarray(value, dtype=None if dtype is None else config.resolve_dtype(dtype))
    if data.dtype == object:
        raise TypeError(f'cannot make a tensor constant from {value!r}')
    if ndim is not None:
        if data.ndim > ndim:
            raise ValueError(f'constant {value!r} has {data.ndim} dims, more than ndim={ndim}')
        data = data.reshape((1,) * (ndim - data.ndim) + data.shape)
    data.setflags(write=False)
    return TensorConstant(TensorType(data.dtype, data.shape), data, name=name)


# A list holding variables becomes one stacked variable: T.stack is math.py's, above
# this module, so math.py installs it here when it loads (install_stack).
_installed = {}


def install_stack(stack):
    """Make `stack(variables) -> TensorVariable` what as_tensor_variable applies to lists."""
    _installed['stack'] = stack


def as_tensor_variable(x, name=None, ndim=None, dtype=None):
    """Turn `x` (a variable, number, list or array) into a TensorVariable."""
    if isinstance(x, TensorVariable):
        if ndim is not None and x.ndim != ndim:
            raise TypeError(f'{x} has {x.ndim} dimension(s); {ndim} needed')
        return x
    if isinstance(x, Variable):
        raise TypeError(f'{x} of type {x.type} is not a tensor')
    if hasattr(x, 'owner') and hasattr(x, 'outputs'):  # an Apply node with one output
        return as_tensor_variable(x.out, name, ndim)
    if isinstance(x, (list, tuple)) and any(isinstance(e, Variable) for e in _flat(x)):
        return _installed['stack']([as_tensor_variable(e) for e in x])
    return constant(x, name=name, ndim=ndim, dtype=dtype)


as_tensor = as_tensor_variable
install_input_conversion(as_tensor_variable)  # for ops that declare itypes (ir/op.py)


def _flat(seq):
    for e in seq:
        if isinstance(e, (list, tuple)):
            yield from _flat(e)
        else:
            yield e
