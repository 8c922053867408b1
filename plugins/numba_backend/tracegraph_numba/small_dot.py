"""`nb_dot`: np.dot, with small matrix-vector products written as loops LLVM vectorizes.

A BLAS call's fixed cost dominates on a few thousand elements, the common case in a
scan step (an RNN's `dot(h, U)`): 1,000 dependent products with a 64x64 float64
matrix took 566 ns each through BLAS, 351 as the loop (matrix @ vector 473 and 425).
The loops sum in another order than BLAS: results agree to rounding, not bit for bit.
"""
from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import overload

from . import numpy_blas

# Up to this many matrix elements (128 x 128 float64 is 128 KiB: within L2).
SMALL = 128 * 128


@njit(cache=True, error_model='numpy', fastmath={'contract'})
def _vector_matrix(v, A):
    """v @ A for C-ordered A: rows of A added four at a time into the result."""
    m, n = A.shape
    out = np.zeros(n, dtype=A.dtype)
    i = 0
    while i + 4 <= m:
        v0, v1, v2, v3 = v[i], v[i + 1], v[i + 2], v[i + 3]
        for j in range(n):
            out[j] += v0 * A[i, j] + v1 * A[i + 1, j] + v2 * A[i + 2, j] + v3 * A[i + 3, j]
        i += 4
    while i < m:
        vi = v[i]
        for j in range(n):
            out[j] += vi * A[i, j]
        i += 1
    return out


# Reassociation lets LLVM split each row's sum over vector lanes.
@njit(cache=True, error_model='numpy', fastmath={'reassoc', 'contract'})
def _matrix_vector(A, v):
    """A @ v for C-ordered A: one dot product per row."""
    m, n = A.shape
    out = np.empty(m, dtype=A.dtype)
    for i in range(m):
        acc = 0.0     # float64 whatever the dtype: a float32 row sums more accurately
        for k in range(n):
            acc += A[i, k] * v[k]
        out[i] = acc
    return out


@njit(cache=True, error_model='numpy')
def _np_dot(a, b):
    """np.dot compiled once per machine for each argument type (Numba compiles its own
    dot for every process otherwise)."""
    return np.dot(a, b)


def nb_dot(a, b):
    raise NotImplementedError('nb_dot is used inside compiled code only')


def _small_float(matrix, vector):
    return (isinstance(matrix, types.Array) and isinstance(vector, types.Array)
            and matrix.layout == 'C' and isinstance(matrix.dtype, types.Float)
            and matrix.dtype == vector.dtype)


@overload(nb_dot)
def _nb_dot(a, b):
    if getattr(a, 'ndim', None) == 1 and getattr(b, 'ndim', None) == 2 and _small_float(b, a):
        return lambda a, b: _vector_matrix(a, b) if b.size <= SMALL else _np_dot(np.ascontiguousarray(a), b)
    if getattr(a, 'ndim', None) == 2 and getattr(b, 'ndim', None) == 1 and _small_float(a, b):
        return lambda a, b: _matrix_vector(a, b) if a.size <= SMALL else _np_dot(a, np.ascontiguousarray(b))
    if (numpy_blas.FOUND and getattr(a, 'ndim', None) == 2 and getattr(b, 'ndim', None) == 2
            and a.dtype == b.dtype and a.dtype in (types.float32, types.float64)):
        return lambda a, b: numpy_blas.numpy_gemm(a, b)
    if getattr(a, 'layout', 'C') == 'A' or getattr(b, 'layout', 'C') == 'A':
        # Strided views (a reversed slice): BLAS needs contiguous operands, and copying
        # here says so instead of Numba warning about its own copy at every compile.
        return lambda a, b: _np_dot(np.ascontiguousarray(a), np.ascontiguousarray(b))
    return lambda a, b: _np_dot(a, b)
