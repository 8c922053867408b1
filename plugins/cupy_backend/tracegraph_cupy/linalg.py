"""The CuPy backend's linear algebra, as data: each op becomes a `cupy.linalg` call
(cuSOLVER, batched where CuPy batches) or a short template around one.

Triangular solves are `cupy.linalg.solve` on the triangle the op reads (the other
one masked off), which also covers stacks of matrices and runs wherever
`cupy.linalg` does (the host test device included); cuSOLVER's LU costs about
twice a triangular substitution, still all on the GPU.  Ops CuPy has no routine
for (expm, eig, the generalized eigvalsh, lstsq's NumPy results) are refused at
function() time with a LoweringError naming the op and the user's line.
"""
from __future__ import annotations

from tracegraph.backends import LoweringError
from tracegraph.tensor.linalg import ops

from .lowering import Call, Template

_REFUSED = {
    ops.Expm: 'CuPy has no matrix exponential in cupy.linalg',
    ops.Eig: 'cupy.linalg has no general (non-symmetric) eigensolver; use eigh',
    ops.Lstsq: "cupy.linalg.lstsq's results differ from NumPy's (rank, residuals)",
}


def _refuse(node, why):
    where = f' (built at {node.source})' if node.source else ''
    return LoweringError(f'backend cupy cannot run {node.op}: {why}{where}')


def _triangular_solve(a, b, lower, trans, unit_diagonal, vector_rhs):
    """Text of a solve with the triangle of `a` that the op reads (the rest masked off)."""
    tri = f'{{xp}}.tril({a})' if lower else f'{{xp}}.triu({a})'
    if unit_diagonal:
        eye = f'{{xp}}.eye({a}.shape[-1], dtype={a}.dtype)'
        tri = f'({tri} - {tri} * {eye} + {eye})'
    if trans:
        tri = f'{{xp}}.swapaxes({tri}, -1, -2)'
    return _solve_text(tri, b, vector_rhs)


def _solve_text(a, b, vector_rhs):
    if vector_rhs:
        return f'{{xp}}.linalg.solve({a}, {b}[..., None])[..., 0]'
    return f'{{xp}}.linalg.solve({a}, {b})'


def lower_linalg(node):
    op = node.op
    t = type(op)
    if t in _REFUSED:
        raise _refuse(node, _REFUSED[t])
    if t is ops.MatrixInverse:
        return Call('cupy.linalg.inv')
    if t is ops.Det:
        return Call('cupy.linalg.det')
    if t is ops.Pinv:
        return Call('cupy.linalg.pinv')
    if t is ops.Matmul:
        return Call('cupy.matmul')
    if t is ops.Cholesky:
        if op.lower:
            return Call('cupy.linalg.cholesky')
        return Template('{xp}.swapaxes(cupy.linalg.cholesky({xp}.swapaxes({0}, -1, -2)), -1, -2)')
    if t in (ops.Solve, ops.SolveTriangular):
        a, b = node.inputs
        vector = b.ndim == a.ndim - 1
        if t is ops.Solve and op.A_structure in ('general', 'symmetric'):
            return Template(_solve_text('{0}', '{1}', vector))
        if t is ops.Solve:
            return Template(_triangular_solve('{0}', '{1}', op.A_structure == 'lower_triangular',
                                              0, False, vector))
        return Template(_triangular_solve('{0}', '{1}', op.lower, op.trans, op.unit_diagonal, vector))
    if t is ops.Eigh:
        return Call('cupy.linalg.eigh', (('UPLO', op.UPLO),))
    if t is ops.Eigvalsh:
        if len(node.inputs) == 2:
            raise _refuse(node, 'cupy.linalg has no generalized symmetric eigensolver')
        return Call('cupy.linalg.eigvalsh', (('UPLO', 'L' if op.lower else 'U'),))
    if t is ops.SVD:
        return Call('cupy.linalg.svd', (('full_matrices', op.full_matrices),
                                        ('compute_uv', op.compute_uv)))
    if t is ops.QR:
        return Call('cupy.linalg.qr', (('mode', op.mode),))
    raise _refuse(node, 'no CuPy lowering for this linear-algebra op')
