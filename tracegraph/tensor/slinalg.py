"""theano.tensor.slinalg: linear algebra after scipy.linalg (Theano 1.0's names).

cholesky, solve, solve_triangular, eigvalsh and expm are ops of the linalg family
(tracegraph/tensor/linalg); kron and cho_solve are compositions.  Theano's
`Solve(A_structure=..., lower=...)` and its ready-made instances
(`solve_lower_triangular`, `solve_upper_triangular`, `solve_symmetric`) exist as
they did.
"""
from __future__ import annotations

from . import math as m
from .basic import as_tensor_variable
from .linalg.ops import Cholesky, Eigvalsh, Expm, Solve, SolveTriangular

__all__ = ['Cholesky', 'Solve', 'SolveTriangular', 'Eigvalsh', 'Expm', 'cholesky', 'solve',
           'solve_triangular', 'solve_lower_triangular', 'solve_upper_triangular',
           'solve_symmetric', 'eigvalsh', 'expm', 'kron', 'cho_solve']

cholesky = Cholesky()
solve_lower_triangular = Solve('lower_triangular', lower=True)
solve_upper_triangular = Solve('upper_triangular', lower=False)
solve_symmetric = Solve('symmetric')

# scipy.linalg.solve's `assume_a` spellings, onto Theano's structures.
_ASSUME_A = {'gen': 'general', 'general': 'general', 'sym': 'symmetric', 'symmetric': 'symmetric',
             'her': 'symmetric', 'pos': 'symmetric', 'positive definite': 'symmetric',
             'lower triangular': 'lower_triangular', 'upper triangular': 'upper_triangular',
             'lower_triangular': 'lower_triangular', 'upper_triangular': 'upper_triangular'}


def solve(a, b, assume_a='gen', lower=False, A_structure=None):
    """x with a x = b.  `assume_a` takes scipy's names ('gen', 'sym', 'pos', ...) or
    Theano's A_structure names; a triangular structure solves by substitution."""
    structure = A_structure or _ASSUME_A.get(assume_a)
    if structure is None:
        raise ValueError(f'solve: unknown assume_a {assume_a!r}; use one of {sorted(_ASSUME_A)}')
    return Solve(structure, lower)(a, b)


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False):
    """scipy.linalg.solve_triangular: trans 0 (or 'N') solves a x = b, 1 ('T') a^T x = b."""
    trans = {'N': 0, 'T': 1, 'C': 1, 0: 0, 1: 1, 2: 1}.get(trans)
    if trans is None:
        raise ValueError("solve_triangular: trans must be 0, 1, 'N' or 'T'")
    return SolveTriangular(bool(lower), trans, bool(unit_diagonal))(a, b)


def eigvalsh(a, b=None, lower=True):
    """scipy.linalg.eigvalsh: eigenvalues of a symmetric a, or of a v = w b v."""
    op = Eigvalsh(bool(lower))
    return op(a) if b is None else op(a, b)


def expm(A):
    """scipy.linalg.expm, the matrix exponential (differentiable)."""
    return Expm()(A)


def cho_solve(c_and_lower, b, check_finite=True):
    """scipy.linalg.cho_solve((c, lower), b): x with A x = b, c being A's Cholesky factor."""
    c, lower = c_and_lower
    if lower:
        return solve_triangular(c, solve_triangular(c, b, lower=True), trans=1, lower=True)
    return solve_triangular(c, solve_triangular(c, b, trans=1, lower=False), lower=False)


def kron(a, b):
    """numpy.kron: the Kronecker product, as one broadcast product and a reshape."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    nd = max(a.ndim, b.ndim)
    if nd == 0:
        return m.mul(a, b)
    a = m.shape_padleft(a, nd - a.ndim) if a.ndim < nd else a
    b = m.shape_padleft(b, nd - b.ndim) if b.ndim < nd else b
    # a's axis k goes to 2k, b's to 2k + 1: then each pair merges into one axis.
    wide_a = m.dimshuffle(a, [p for k in range(nd) for p in (k, 'x')])
    wide_b = m.dimshuffle(b, [p for k in range(nd) for p in ('x', k)])
    return m.reshape(m.mul(wide_a, wide_b), [a.shape[k] * b.shape[k] for k in range(nd)])
