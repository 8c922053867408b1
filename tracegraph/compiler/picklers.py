"""How library objects that hold code are pickled: by name, not by content.

A scalar op record carries its derivative and decomposition as small functions
(lambdas), which pickle cannot store.  A record is one entry of the scalar-op
registry, so it is pickled as its name (or, for a cast, its dtype) and found in the
registry again when loaded: pickled graphs and functions stay small and load the
records of the running version.  A record that is not registered pickles as usual.

Tensor types are immutable values: loading makes one object per distinct type
(a 20,000-node graph has two, not 40,000 to build one by one).
"""
from __future__ import annotations

import copyreg
import functools
import importlib

# (`tracegraph.tensor.scalar` the attribute is T.scalar, the function: take the module.)
_scalar = importlib.import_module('tracegraph.tensor.scalar')


def scalar_op_named(name):
    return _scalar.SCALAR_OPS[name]


def _reduce_scalar_op(op):
    if op.name == 'cast' and op.dtype is not None:
        return _scalar.cast_op, (op.dtype,)
    if _scalar.SCALAR_OPS.get(op.name) == op:
        return scalar_op_named, (op.name,)
    return object.__reduce_ex__(op, 4)


copyreg.pickle(_scalar.ScalarOp, _reduce_scalar_op)


@functools.lru_cache(maxsize=1024)
def tensor_type(dtype, shape):
    return _tensor_type_class(dtype, shape)


def _reduce_tensor_type(ttype):
    return tensor_type, (ttype.dtype, ttype.shape)


_tensor_type_class = importlib.import_module('tracegraph.tensor.type').TensorType
copyreg.pickle(_tensor_type_class, _reduce_tensor_type)
