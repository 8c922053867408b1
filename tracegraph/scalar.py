"""Theano's `theano.scalar` names that programs use: `upcast` and the scalar op table."""
from __future__ import annotations

import numpy as np

from .tensor.scalar import SCALAR_OPS, Composite, ScalarOp  # noqa: F401


def upcast(dtype, *dtypes):
    """The dtype NumPy promotes these dtypes to (Theano's `scalar.upcast`)."""
    return np.result_type(dtype, *dtypes).name
