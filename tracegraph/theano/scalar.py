"""Theano's `theano.scalar` names that programs use: `upcast` and the scalar op table."""
from __future__ import annotations

import numpy as np

from ..tensor.scalar import SCALAR_OPS, Composite, ScalarOp  # noqa: F401


def upcast(dtype, *dtypes):
    """The dtype NumPy promotes these dtypes to (Theano's `scalar.upcast`)."""
    return np.result_type(dtype, *dtypes).name


# Theano's `theano.scalar.gammaln`, `psi`, ... (theano.scalar.basic_scipy): the records.
(gammaln, psi, tri_gamma, gamma, gammainc, gammaincc, erfinv, erfcinv, erfcx, j0, j1, i0, i1) = (
    SCALAR_OPS[name] for name in ('gammaln', 'psi', 'tri_gamma', 'gamma', 'gammainc', 'gammaincc', 'erfinv',
                                  'erfcinv', 'erfcx', 'j0', 'j1', 'i0', 'i1'))
