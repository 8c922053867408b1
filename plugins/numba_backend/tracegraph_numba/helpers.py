"""Scalar, shape and allocation helpers that generated Numba code imports (all `@njit`).

The scalar ones keep NumPy's semantics where a one-line expression would not
(NaN propagation of maximum, the stable branches of softplus, ...); exp, tanh and
sigmoid live in vector_math.py.
"""
from __future__ import annotations

import sys

import numpy as np
from numba import njit, types
from numba.extending import overload


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


# Integer `//` and `**` for signed integer dtypes (floats and unsigned integers keep
# the plain operators): Numba's `INT64_MIN // -1` gives 0 where NumPy wraps to
# INT64_MIN, and Numba's `2 ** -1` gives 0 where NumPy raises.  Division by zero
# gives 0 in both (NumPy also warns).
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


def joined_view(a, first):
    """`a` with its axes `first`.. joined into one, where its strides chain (chunked.py)."""


@overload(joined_view)
def _joined_view(a, first):
    if not isinstance(first, types.IntegerLiteral):
        return None
    k = first.literal_value
    if a.layout == 'C':   # stays typed C-contiguous, so loops over it vectorize
        return lambda a, first: a.reshape(a.shape[:k] + (-1,))
    return lambda a, first: np.lib.stride_tricks.as_strided(
        a, a.shape[:k] + (np.prod(np.array(a.shape[k:])),), a.strides[:k] + a.strides[-1:])


# Large new arrays on huge pages, as NumPy's allocator asks (Numba's does not): allocating
# and first writing 65 MB took 25 ms in 4 KiB pages, 11 ms in 2 MiB ones.  Not for a scan's
# buffers: written a row a step, the IndRNN's (bench.scan_checkpoint) took 6.3-6.5 s, 5.6 without.
HUGE_PAGE, HUGE_PAGES_MIN_BYTES, MADV_HUGEPAGE = 1 << 21, 1 << 22, 14   # NumPy's threshold, Linux's flag
LINUX = sys.platform.startswith('linux')
_madvise = types.ExternalFunction('madvise', types.int32(types.uintp, types.uintp, types.int32))


@njit(cache=True)
def nb_huge_pages(a):
    """`a`, new and not yet written, on huge pages where it is large."""
    start = (np.uintp(a.ctypes.data) + np.uintp(HUGE_PAGE - 1)) & ~np.uintp(HUGE_PAGE - 1)
    end = (np.uintp(a.ctypes.data) + np.uintp(a.nbytes)) & ~np.uintp(HUGE_PAGE - 1)
    if LINUX and a.nbytes >= HUGE_PAGES_MIN_BYTES and end > start:
        _madvise(start, end - start, MADV_HUGEPAGE)
    return a


_memcpy = types.ExternalFunction('memcpy', types.uintp(types.uintp, types.uintp, types.uintp))


@njit(cache=True)
def nb_copy_into(out, a):
    """Contiguous `a` into contiguous `out` of its dtype and size, by libc's memcpy, whose
    large copies stream past the cache: 64 MB took 5.9 ms on an AMD EPYC, as NumPy's
    copy, where a compiled loop's stores (each line read first) took 9.0."""
    _memcpy(out.ctypes.data, a.ctypes.data, a.nbytes)


def nb_copy(a):
    """`a.copy()` (C order), on huge pages where it is large: Numba's copy of a 64 MB
    matrix took 30 ms in 4 KiB pages, NumPy's (and this) 15."""


@overload(nb_copy)
def _nb_copy(a):
    if not isinstance(a, types.Array) or a.layout != 'C' or a.ndim == 0:
        return lambda a: a.copy()

    def copy(a):
        out = nb_huge_pages(np.empty(a.shape, a.dtype))
        nb_copy_into(out, a)
        return out
    return copy


def nb_take_rows(a, index):
    """a[index] for an integer vector `index` already checked in bounds, on huge pages
    where it is large: Numba's indexing took 37 ms for 3,000 rows of 4,000 float64, NumPy 18."""


@overload(nb_take_rows)
def _nb_take_rows(a, index):
    if not isinstance(a, types.Array) or a.layout != 'C' or a.ndim < 2:
        return lambda a, index: a[index]

    def take(a, index):
        out = nb_huge_pages(np.empty((index.shape[0],) + a.shape[1:], a.dtype))
        rows, source = out.reshape(index.shape[0], -1), a.reshape(a.shape[0], -1)
        for r in range(index.shape[0]):
            nb_copy_into(rows[r], source[index[r] + a.shape[0] if index[r] < 0 else index[r]])
        return out
    return take
