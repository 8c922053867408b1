"""SciPy's special functions inside compiled loops, through their C entry points.

Numba cannot call `scipy.special` ufuncs in nopython code; `cython_special` exports
each function as a C pointer to the code its ufunc runs, so a loop computes exactly
what the NumPy backend gives.  Each pointer gets a fixed LLVM symbol and an
`ExternalFunction`; a cached kernel links against that name, so a module using one
imports this one first (`lowered.header`; the import costs about 0.3 s).
"""
from __future__ import annotations

import math

import llvmlite.binding as llvm
import numpy as np
from numba import njit, types
from numba.extending import get_cython_function_address

from tracegraph.tensor.scalar import SCALAR_OPS

from .scalar_source import SCIPY_FUNCTIONS


def _declare(op_name, c_name, nin):
    symbol = f'tracegraph_scipy_{op_name}'
    llvm.add_symbol(symbol, get_cython_function_address('scipy.special.cython_special', c_name))
    return types.ExternalFunction(symbol, types.float64(*([types.float64] * nin), types.int32))


for _op, _c_name in SCIPY_FUNCTIONS.items():
    globals()[f'nb_sp_{_op}'] = _declare(_op, _c_name, SCALAR_OPS[_op].nin)


@njit(cache=True, error_model='numpy')
def _tri_gamma_positive(x):
    acc = 0.0
    while x < 20.0:
        acc += 1.0 / (x * x)
        x += 1.0
    r = 1.0 / (x * x)
    tail = 1.0 / 6 - r * (1.0 / 30 - r * (1.0 / 42 - r * (1.0 / 30 - r * (5.0 / 66))))
    return acc + 1.0 / x + 0.5 * r + tail * r / x


@njit(cache=True, error_model='numpy')
def nb_sp_tri_gamma(x):
    """psi'(x): cython_special has no polygamma.  The recurrence psi'(x) = psi'(x+1) +
    1/x**2 up to x >= 20, then the asymptotic series 1/x + 1/(2x^2) + sum B_2k / x^(2k+1)
    (its first dropped term is below 1e-15 relative there); reflection for x < 0, as
    scipy's zeta(2, x) does."""
    if x != x:
        return x
    if x <= 0 and x == math.floor(x):
        return math.inf
    if x < 0:
        s = math.sin(math.pi * (x - np.rint(x)))   # x - rint(x) is exact: sin keeps its accuracy
        return (math.pi * math.pi) / (s * s) - _tri_gamma_positive(1.0 - x)
    return _tri_gamma_positive(x)
