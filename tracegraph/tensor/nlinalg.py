"""theano.tensor.nlinalg: linear algebra after numpy.linalg (Theano 1.0's names).

The factorizations are ops of the linalg family (tracegraph/tensor/linalg);
trace, diag, matrix_dot, matrix_power, norm, tensorinv and tensorsolve are
compositions of T ops, so their gradients come from the pieces.  Ops over square
matrices accept stacks of them (leading batch axes), as numpy.linalg does.
"""
from __future__ import annotations

import builtins
import functools
import operator

import numpy as np

from . import math as m
from .basic import as_tensor_variable
from .linalg.ops import QR, SVD, Det, Eig, Eigh, Lstsq, MatrixInverse, Pinv
from .subtensor import set_subtensor

__all__ = ['MatrixInverse', 'Det', 'Eig', 'Eigh', 'SVD', 'QR', 'Pinv', 'Lstsq',
           'matrix_inverse', 'pinv', 'det', 'eig', 'eigh', 'svd', 'qr', 'trace', 'diag',
           'extract_diag', 'alloc_diag', 'matrix_dot', 'matrix_power', 'norm',
           'tensorinv', 'tensorsolve', 'lstsq']

matrix_inverse = MatrixInverse()
det = Det()
eig = Eig()


def pinv(x, hermitian=False):
    """The Moore-Penrose pseudo-inverse (numpy.linalg.pinv)."""
    return Pinv()(x)


def eigh(a, UPLO='L'):
    """(w, v) of a symmetric matrix, reading its `UPLO` ('L' or 'U') triangle."""
    if UPLO not in ('L', 'U'):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return Eigh(UPLO)(a)


def svd(a, full_matrices=1, compute_uv=1):
    """(u, s, v) as numpy.linalg.svd returns them (v is NumPy's vh), or s alone."""
    return SVD(bool(full_matrices), bool(compute_uv))(a)


def qr(a, mode='reduced'):
    """numpy.linalg.qr: (q, r) for 'reduced' and 'complete', r for 'r'."""
    return QR(mode)(a)


def lstsq(a, b, rcond=None):
    """numpy.linalg.lstsq: [x, residuals, rank, s] for one problem."""
    if rcond is not None and not isinstance(rcond, (int, float, np.floating, np.integer)):
        raise TypeError('lstsq: rcond must be a Python number (it is a parameter of the op)')
    return Lstsq(None if rcond is None else float(rcond))(a, b)


# -- compositions ---------------------------------------------------------------------
def _diag_index(x, offset):
    """Row and column indices of diagonal `offset` of a matrix x (symbolic lengths)."""
    rows, cols = x.shape[0], x.shape[1]
    if offset >= 0:
        length = m.maximum(m.minimum(rows, cols - offset), 0)
        i = m.arange(length)
        return i, i + offset
    length = m.maximum(m.minimum(rows + offset, cols), 0)
    i = m.arange(length)
    return i - offset, i


def extract_diag(x, offset=0):
    """The diagonal `offset` of a matrix, as a vector (numpy.diagonal)."""
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise TypeError(f'extract_diag: x must be a matrix, got {x.ndim} dimension(s)')
    r, c = _diag_index(x, offset)
    return x[r, c]


def alloc_diag(v, offset=0):
    """A square matrix with v on its diagonal `offset` (numpy.diag of a vector)."""
    v = as_tensor_variable(v)
    if v.ndim != 1:
        raise TypeError(f'alloc_diag: v must be a vector, got {v.ndim} dimension(s)')
    n = v.shape[0] + builtins.abs(offset)
    i = m.arange(v.shape[0])
    r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
    return set_subtensor(m.zeros((n, n), dtype=v.dtype)[r, c], v)


def diag(x):
    """numpy.diag: the diagonal of a matrix, or a matrix with a vector on its diagonal."""
    x = as_tensor_variable(x)
    if x.ndim == 1:
        return alloc_diag(x)
    if x.ndim == 2:
        return extract_diag(x)
    raise TypeError(f'diag: x must be a vector or a matrix, got {x.ndim} dimension(s)')


def trace(X):
    """The sum of the diagonal of a matrix."""
    return m.sum(extract_diag(X))


def matrix_dot(*args):
    """The product args[0] . args[1] . ... (numpy.linalg.multi_dot, left to right)."""
    if not args:
        raise TypeError('matrix_dot needs at least one argument')
    return functools.reduce(m.dot, [as_tensor_variable(a) for a in args])


def matrix_power(M, n):
    """M to the integer power n (numpy.linalg.matrix_power; n < 0 inverts first)."""
    M = as_tensor_variable(M)
    if not isinstance(n, (int, np.integer)):
        raise TypeError(f'matrix_power: n must be a Python int, got {type(n).__name__}')
    if M.ndim < 2:
        raise TypeError('matrix_power: M must be a (stack of) square matrices')
    if n == 0:
        eye = m.eye(M.shape[-1], dtype=M.dtype)
        return eye if M.ndim == 2 else m.add(m.zeros_like(M), eye)
    if n < 0:
        M, n = matrix_inverse(M), -n
    result, power = None, M
    while n:   # binary powering: about log2(n) products
        if n & 1:
            result = power if result is None else m.matmul(result, power)
        n >>= 1
        if n:
            power = m.matmul(power, power)
    return result


def _is_inf(ord, sign):
    return (isinstance(ord, str) and ord == ('inf' if sign > 0 else '-inf')) or \
        (isinstance(ord, (float, int)) and ord == sign * np.inf)


def norm(x, ord=None):
    """Theano's norm of a vector or a matrix (numpy.linalg.norm's orders)."""
    x = as_tensor_variable(x)
    if x.ndim == 1:
        if ord is None or ord == 2:
            return m.sqrt(m.sum(m.sqr(x)))
        if _is_inf(ord, 1):
            return m.max(m.abs_(x))
        if _is_inf(ord, -1):
            return m.min(m.abs_(x))
        if ord == 0:
            return m.sum(m.cast(m.neq(x, 0), x.dtype))
        if isinstance(ord, str):
            raise ValueError(f'norm: unknown order {ord!r} for a vector')
        return m.pow(m.sum(m.pow(m.abs_(x), ord)), 1.0 / ord)
    if x.ndim == 2:
        if ord is None or ord == 'fro':
            return m.sqrt(m.sum(m.sqr(m.abs_(x))))
        if _is_inf(ord, 1):
            return m.max(m.sum(m.abs_(x), axis=1))
        if _is_inf(ord, -1):
            return m.min(m.sum(m.abs_(x), axis=1))
        if ord in (1, -1):
            sums = m.sum(m.abs_(x), axis=0)
            return m.max(sums) if ord == 1 else m.min(sums)
        if ord in (2, -2, 'nuc'):
            s = svd(x, compute_uv=False)
            return {2: m.max, -2: m.min, 'nuc': m.sum}[ord](s)
        raise ValueError(f'norm: unknown order {ord!r} for a matrix')
    raise TypeError(f'norm: x must be a vector or a matrix, got {x.ndim} dimension(s)')


def _product(dims):
    return functools.reduce(operator.mul, dims) if dims else 1


def tensorinv(a, ind=2):
    """numpy.linalg.tensorinv: the inverse of a as a map from its last axes to its first `ind`."""
    a = as_tensor_variable(a)
    if ind <= 0 or ind >= a.ndim:
        raise ValueError(f'tensorinv: ind must be between 1 and {a.ndim - 1}, got {ind}')
    dims = [a.shape[k] for k in range(a.ndim)]
    square = m.reshape(a, (_product(dims[:ind]), -1))
    return m.reshape(matrix_inverse(square), dims[ind:] + dims[:ind])


def tensorsolve(a, b, axes=None):
    """numpy.linalg.tensorsolve: x with tensordot(a, x, x.ndim) == b."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if axes is not None:
        axes = [k % a.ndim for k in axes]
        order = [k for k in range(a.ndim) if k not in axes] + list(axes)
        a = m.transpose(a, order)
    x_dims = [a.shape[k] for k in range(b.ndim, a.ndim)]
    square = m.reshape(a, (_product([a.shape[k] for k in range(b.ndim)]), -1))
    from .slinalg import solve
    return m.reshape(solve(square, m.flatten(b)), x_dims)
