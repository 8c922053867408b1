"""Integer `//` and `**` with NumPy's semantics (imported by generated code via helpers).

Numba's own operators differ from NumPy's at the edges: `INT64_MIN // -1` gives 0
(NumPy wraps to INT64_MIN, as two's complement does), and `2 ** -1` gives 0 where
NumPy raises "Integers to negative integer powers are not allowed.".  Division by
zero gives 0 in both (NumPy also warns).  These helpers are used for signed
integer dtypes only; floats and unsigned integers keep the plain operators.
"""
from __future__ import annotations

from numba import njit


@njit(cache=True, error_model='numpy')
def nb_int_floordiv(a, b):
    if b == 0:
        return a - a  # 0 of a's type, as NumPy gives
    if b == -1:
        return -a  # wraps: -INT_MIN == INT_MIN, as NumPy gives
    return a // b


@njit(cache=True, error_model='numpy')
def nb_int_pow(a, b):
    if b < 0:
        raise ValueError('Integers to negative integer powers are not allowed.')
    result = a - a + 1
    base = a
    while b > 0:  # square-and-multiply, wrapping on overflow as NumPy does
        if b & 1:
            result = result * base
        base = base * base
        b >>= 1
    return result
