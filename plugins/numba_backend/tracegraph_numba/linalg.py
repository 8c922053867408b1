"""The Numba backend's linear algebra.

Numba compiles `np.linalg.inv/det/cholesky/solve/eigh/eigvalsh/svd/qr/pinv` for one
2-d float matrix (LAPACK through SciPy's Cython bindings): those run as native kernels,
a compiled loop over leading batch axes, a single matrix being a batch of one (a single
8x8 Cholesky, whole function: 0.3x the NumPy backend's time).  The rest runs the NumPy
backend's kernel through objmode (`callbacks.lower_numpy`): scipy-only functions, modes
Numba lacks (qr 'complete'; eig, whose result type Numba cannot decide statically),
lstsq (another rcond convention) and batched or triangular solves.  A LAPACK failure
in a native kernel comes back as a flag, and the graph raises LinAlgError naming the op
and the line.
"""
from __future__ import annotations

from tracegraph.tensor.linalg import ops

from . import callbacks
from .lowered import Lowered, kernel, params
from .scalar_source import np_type
from .shape_checks import raise_if

# -- native kernels: how to spell one problem, and what failing means ---------------------
def _native(op, node):
    """(expression over `x` giving the output or a tuple of outputs, what a failure means),
    or None when this node goes through objmode."""
    t = type(op)
    if t is ops.MatrixInverse:
        return 'np.linalg.inv({x})', 'the matrix is singular'
    if t is ops.Det:
        return 'np.linalg.det({x})', 'LAPACK failed'
    if t is ops.Cholesky:
        if op.lower:
            return 'np.linalg.cholesky({x})', 'the matrix is not positive definite'
        return 'np.linalg.cholesky({x}.T).T', 'the matrix is not positive definite'
    if t is ops.Solve and op.A_structure in ('general', 'symmetric') and node.inputs[0].ndim == 2:
        return 'np.linalg.solve({x}, {y})', 'the matrix is singular'
    if t is ops.Eigh:
        return ('np.linalg.eigh({x})' if op.UPLO == 'L' else 'np.linalg.eigh({x}.T)'), 'eigh did not converge'
    if t is ops.Eigvalsh and len(node.inputs) == 1:
        return ('np.linalg.eigvalsh({x})' if op.lower else 'np.linalg.eigvalsh({x}.T)'), \
            'eigvalsh did not converge'
    if t is ops.SVD:
        if not op.compute_uv:
            return 'np.linalg.svd({x}, False)[1]', 'SVD did not converge'
        return f'np.linalg.svd({{x}}, {bool(op.full_matrices)})', 'SVD did not converge'
    if t is ops.QR and op.mode in ('reduced', 'r'):
        return ('np.linalg.qr({x})' if op.mode == 'reduced' else 'np.linalg.qr({x})[1]'), 'QR failed'
    if t is ops.Pinv:
        return 'np.linalg.pinv({x})', 'SVD did not converge'
    return None


def lower_linalg(node):
    native = _native(node.op, node)
    if native is None:
        return callbacks.lower_numpy(node)
    expr, what = native
    outs = ', '.join(f'${{o{k}}}' for k in range(len(node.outputs)))
    args = ', '.join(f'${{i{k}}}' for k in range(len(node.inputs)))
    lines = [*raise_if(node, '${i0}.size == 0', 'ValueError', 'an empty matrix or batch of matrices'),
             f'${{t}}_ok, {outs}, = ${{k0}}({args})',
             *raise_if(node, 'not ${t}_ok', 'np.linalg.LinAlgError', f'{what} (or it holds inf/NaN)')]
    return Lowered('\n'.join(lines), kernels=(_kernel(node, expr),))


def _kernel(node, expr):
    """A loop over the flattened leading (batch) axes of the first input, a single matrix
    being a batch of one; outputs preallocated from the first problem's results.  Returns
    (whether every problem succeeded, the outputs)."""
    batch = node.inputs[0].ndim - 2
    dims = [f'a0.shape[{k}]' for k in range(batch)]
    names = ', '.join(f'r{k}' for k in range(len(node.outputs)))
    call = expr.format(x='x[{i}]', y='a1')
    if len(node.outputs) == 1:
        call = f'({call},)'     # every problem gives a tuple, one value per output
    body = [f'n = {" * ".join(dims) or 1}',
            f'x = np.ascontiguousarray(a0).reshape((n, a0.shape[{batch}], a0.shape[{batch + 1}]))',
            'try:', f'    {names}, = {call.format(i=0)}']
    for k, o in enumerate(node.outputs):
        core = o.ndim - batch
        shape = ', '.join(['n'] + [f'r{k}.shape[{d}]' for d in range(core)])
        body += [f'    o{k} = np.empty(({shape},), {np_type(o.dtype)})', f'    o{k}[0] = r{k}']
    body += ['    for i in range(1, n):', f'        {names}, = {call.format(i="i")}']
    body += [f'        o{k}[i] = r{k}' for k in range(len(node.outputs))]
    finals = []
    for k, o in enumerate(node.outputs):
        shape = ', '.join(dims + [f'o{k}.shape[{d + 1}]' for d in range(o.ndim - batch)])
        finals.append(f'o{k}.reshape(({shape},))' if batch else f'o{k}[0]')
    failed = ', '.join(_empty(o) for o in node.outputs)
    body += [f'    return True, {", ".join(finals)},', 'except Exception:', f'    return False, {failed},']
    return kernel(params(node), body)


def _empty(variable):
    """An empty value of the variable's type: what a failed problem returns for it."""
    t = np_type(variable.dtype)
    return f'{t}(0)' if variable.ndim == 0 else f'np.empty({(0,) * variable.ndim}, {t})'
