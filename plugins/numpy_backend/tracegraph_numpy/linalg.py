"""The NumPy backend's linear algebra: each op of tracegraph.tensor.linalg becomes a
call to numpy.linalg (batched natively) or scipy.linalg (looped over the batch
here, so any SciPy version works).  This is the reference the other backends are
tested against, and the kernel they call back into for what they lack (Numba's
objmode path, Dask's per-block tasks).

A LinAlgError (a singular matrix, a matrix that is not positive definite...) is
raised again with the op's name and the user's line that built it.
"""
from __future__ import annotations

import numpy as np

from tracegraph.ir import OpTable

from tracegraph.tensor.linalg import ops
from tracegraph.tensor.linalg.ops import LinalgOp  # noqa: F401  (registered in lowering.py)

KERNELS = OpTable()
kernel_for = KERNELS.register


def lower_linalg(node):
    """A callable over NumPy arrays for one linalg node."""
    compute = KERNELS.find(node.op)(node.op, node)
    dtypes = [np.dtype(o.dtype) for o in node.outputs]
    where = f' (built at {node.source})' if node.source else ''
    name = node.op.name

    def run(*values):
        try:
            result = compute(*values)
        except (np.linalg.LinAlgError, ValueError) as exc:
            raise type(exc)(f'{name}: {exc}{where}') from None
        if len(dtypes) == 1:
            return np.asarray(result, dtype=dtypes[0])
        return tuple(np.asarray(r, dtype=d) for r, d in zip(result, dtypes))
    run.__name__ = f'linalg_{name}'
    return run


def _scipy():
    import scipy.linalg
    return scipy.linalg


def over_batch(fn, core_ndims, *arrays):
    """fn applied to each problem of broadcast stacks (fn returns one array)."""
    batch = np.broadcast_shapes(*(a.shape[:a.ndim - c] for a, c in zip(arrays, core_ndims)))
    if not batch:
        return fn(*arrays)
    arrays = [np.broadcast_to(a, batch + a.shape[a.ndim - c:]) for a, c in zip(arrays, core_ndims)]
    results = [fn(*(a[idx] for a in arrays)) for idx in np.ndindex(*batch)]
    if not results:
        raise ValueError('an empty batch of matrices')
    return np.stack(results).reshape(batch + results[0].shape)


def _vector_rhs(node):
    a, b = node.inputs
    return b.ndim == a.ndim - 1


@kernel_for(ops.MatrixInverse)
def _inverse(op, node):
    return np.linalg.inv


@kernel_for(ops.Det)
def _det(op, node):
    return np.linalg.det


@kernel_for(ops.Cholesky)
def _cholesky(op, node):
    if op.lower:
        return np.linalg.cholesky
    # scipy's upper factor reads the upper triangle: factor the transpose.
    return lambda a: np.swapaxes(np.linalg.cholesky(np.swapaxes(a, -1, -2)), -1, -2)


def _triangular(lower, trans, unit_diagonal, vector_rhs):
    """A triangular solve.  One problem: SciPy's substitution (trsm).  A stack: the
    triangle as a full matrix through numpy.linalg.solve, one C loop over the batch
    (SciPy's batching is a Python loop, about 20x slower for small matrices)."""
    def one(a, b):
        return _scipy().solve_triangular(a, b, trans=trans, lower=lower,
                                         unit_diagonal=unit_diagonal)

    def stacked(a, b):
        t = np.tril(a) if lower else np.triu(a)
        if unit_diagonal:
            idx = np.arange(a.shape[-1])
            t[..., idx, idx] = 1
        if trans:
            t = np.swapaxes(t, -1, -2)
        if vector_rhs:
            return np.linalg.solve(t, b[..., None])[..., 0]
        return np.linalg.solve(t, b)

    def run(a, b):
        if a.ndim == 2 and b.ndim <= 2:
            return one(a, b)
        return stacked(a, b)
    return run


@kernel_for(ops.Solve)
def _solve(op, node):
    vector_rhs = _vector_rhs(node)
    if op.A_structure in ('lower_triangular', 'upper_triangular'):
        return _triangular(op.A_structure == 'lower_triangular', 0, False, vector_rhs)
    if vector_rhs:
        # numpy.linalg.solve takes a stack of vectors only as (..., n, 1) matrices.
        return lambda a, b: np.linalg.solve(a, b[..., None])[..., 0]
    return np.linalg.solve


@kernel_for(ops.SolveTriangular)
def _solve_triangular(op, node):
    return _triangular(op.lower, op.trans, op.unit_diagonal, _vector_rhs(node))


@kernel_for(ops.Eigh)
def _eigh(op, node):
    return lambda a: tuple(np.linalg.eigh(a, UPLO=op.UPLO))


@kernel_for(ops.Eigvalsh)
def _eigvalsh(op, node):
    uplo = 'L' if op.lower else 'U'
    if len(node.inputs) == 1:
        return lambda a: np.linalg.eigvalsh(a, UPLO=uplo)
    return lambda a, b: over_batch(lambda x, y: _scipy().eigvalsh(x, y, lower=op.lower),
                                   (2, 2), a, b)


@kernel_for(ops.Eig)
def _eig(op, node):
    def eig(a):
        w, v = np.linalg.eig(a)
        if np.iscomplexobj(w):
            if np.any(w.imag != 0):
                raise np.linalg.LinAlgError(
                    'the matrix has complex eigenvalues; eig returns real arrays, as '
                    "Theano's did (use eigh for a symmetric matrix)")
            w, v = w.real, v.real
        return w, v
    return eig


@kernel_for(ops.SVD)
def _svd(op, node):
    if not op.compute_uv:
        return lambda a: np.linalg.svd(a, compute_uv=False)
    return lambda a: tuple(np.linalg.svd(a, full_matrices=op.full_matrices))


@kernel_for(ops.QR)
def _qr(op, node):
    if op.mode == 'r':
        return lambda a: np.linalg.qr(a, mode='r')
    return lambda a: tuple(np.linalg.qr(a, mode=op.mode))


@kernel_for(ops.Pinv)
def _pinv(op, node):
    return np.linalg.pinv


@kernel_for(ops.Lstsq)
def _lstsq(op, node):
    return lambda a, b: tuple(np.linalg.lstsq(a, b, rcond=op.rcond))


@kernel_for(ops.Expm)
def _expm(op, node):
    return lambda a: over_batch(_scipy().expm, (2,), a)


@kernel_for(ops.Matmul)
def _matmul(op, node):
    return np.matmul
