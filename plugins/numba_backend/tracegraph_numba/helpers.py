"""Scalar helpers and shape helpers that generated Numba code imports (all `@njit`).

The scalar ones keep NumPy's semantics where a one-line expression would not
(NaN propagation of maximum, the stable branches of softplus, ...); exp, tanh and
sigmoid live in vector_math.py.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit
from numba.core import types
from numba.extending import overload

from .integer_helpers import nb_int_floordiv, nb_int_pow  # noqa: F401 (generated code)


@njit(cache=True, error_model='numpy')
def nb_maximum(a, b):
    return a if (a > b or a != a) else b


@njit(cache=True, error_model='numpy')
def nb_minimum(a, b):
    return a if (a < b or a != a) else b


@njit(cache=True, error_model='numpy')
def nb_softplus(x):
    if x != x:
        return x
    if x > 0:
        return x + np.log1p(np.exp(-x))
    return np.log1p(np.exp(x))


@njit(cache=True, error_model='numpy')
def nb_log1mexp(x):
    if x > -0.6931471805599453:
        return np.log(-np.expm1(x))
    return np.log1p(-np.exp(x))


@njit(cache=True, error_model='numpy')
def nb_round_away(x):
    t = np.trunc(x)
    if abs(x - t) == 0.5:
        return t + np.sign(x)
    return np.rint(x)


@njit(cache=True, error_model='numpy')
def nb_erfinv(y):
    if y != y or y < -1 or y > 1:
        return np.nan
    if y == 1:
        return np.inf
    if y == -1:
        return -np.inf
    w = -math.log((1.0 - y) * (1.0 + y))
    if w < 5.0:
        w = w - 2.5
        p = 2.81022636e-08
        p = 3.43273939e-07 + p * w
        p = -3.5233877e-06 + p * w
        p = -4.39150654e-06 + p * w
        p = 0.00021858087 + p * w
        p = -0.00125372503 + p * w
        p = -0.00417768164 + p * w
        p = 0.246640727 + p * w
        p = 1.50140941 + p * w
    else:
        w = math.sqrt(w) - 3.0
        p = -0.000200214257
        p = 0.000100950558 + p * w
        p = 0.00134934322 + p * w
        p = -0.00367342844 + p * w
        p = 0.00573950773 + p * w
        p = -0.0076224613 + p * w
        p = 0.00943887047 + p * w
        p = 1.00167406 + p * w
        p = 2.83297682 + p * w
    x = p * y
    for _ in range(2):
        err = math.erf(x) - y
        x = x - err / (1.1283791670955126 * math.exp(-x * x))
    return x


@njit(cache=True)
def broadcast_length(*lengths):
    """The broadcast length of one axis, or -1 when the lengths do not broadcast."""
    n = 1
    for length in lengths:
        if length != 1:
            if n == 1:
                n = length
            elif length != n:
                return -1
    return n


def as_scalar(x):
    """A zero-dimensional value as a scalar, whether it arrives as a 0-d array or a scalar."""
    raise NotImplementedError('as_scalar is used inside compiled code only')


@overload(as_scalar)
def _as_scalar(x):
    if isinstance(x, types.Array):
        return lambda x: x[()]
    return lambda x: x
