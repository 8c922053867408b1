"""Pullbacks of the linear-algebra ops, one function per op, written with T ops.

Every rule works on stacks of matrices (leading batch axes) through `matmul` and
`mT` (swap the last two axes).  An op that reads only one triangle of its input
(cholesky, eigh, solve_triangular) gets a gradient that is zero on the triangle it
never reads, so finite differences on every entry agree with it.
"""
from __future__ import annotations

from ...ir.op import grad_rule
from .. import math as m
from . import ops


# -- helpers -------------------------------------------------------------------------
def mT(x):
    """x with its last two axes swapped."""
    order = list(range(x.ndim - 2)) + [x.ndim - 1, x.ndim - 2]
    return m.dimshuffle(x, order)


def matmul(a, b):
    """Matrix products of stacks: one batched Matmul, or Dot for plain matrices."""
    if a.ndim == 2 and b.ndim == 2:
        return m.dot(a, b)
    if a.ndim >= 2 and b.ndim >= 2:
        return ops.Matmul()(a, b)
    return m.matmul(a, b)


def _col(v):
    return m.shape_padright(v)


def _row(v):
    return m.shape_padaxis(v, -2)


def diag_matrix(v):
    """A stack of diagonal matrices from a stack of vectors."""
    n = v.shape[-1]
    return m.mul(_row(v), m.eye(n, dtype=v.dtype))


def triangle(x, lower, strict=False):
    """The lower (or upper) triangle of each matrix of x, the diagonal dropped if `strict`."""
    n = x.shape[-1]
    rows = m.shape_padright(m.arange(n))
    cols = m.shape_padleft(m.arange(n))
    if lower:
        keep = m.gt(rows, cols) if strict else m.ge(rows, cols)
    else:
        keep = m.lt(rows, cols) if strict else m.le(rows, cols)
    return m.mul(x, m.cast(keep, x.dtype))


def diagonal_part(x):
    return m.mul(x, m.eye(x.shape[-1], dtype=x.dtype))


def read_triangle(g, lower):
    """The gradient w.r.t. the entries of the triangle a symmetric-matrix op reads, from
    `g`, its gradient w.r.t. the symmetric matrix built from that triangle."""
    return m.sub(triangle(m.add(g, mT(g)), lower), diagonal_part(g))


def _solve_rhs_grads(a, b, x, gb, lower=None):
    """(gA, gB) of a solve x = a^-1 b given gB = a^-T g: gA = -gB x^T (masked to the
    triangle a triangular solve reads)."""
    if b.ndim == a.ndim - 1:
        ga = m.neg(m.mul(_col(gb), _row(x)))
    else:
        ga = m.neg(matmul(gb, mT(x)))
    if lower is not None:
        ga = triangle(ga, lower)
    return m.sum_to(ga, a), m.sum_to(gb, b)


# -- the rules -----------------------------------------------------------------------
@grad_rule(ops.MatrixInverse)
def _inverse(op, inputs, grads):
    (a,), (g,) = inputs, grads
    xt = mT(ops.MatrixInverse()(a))
    return [m.neg(matmul(matmul(xt, g), xt))]


@grad_rule(ops.Det)
def _det(op, inputs, grads):
    (a,), (g,) = inputs, grads
    scale = _col(_col(m.mul(g, ops.Det()(a))))
    return [m.mul(scale, mT(ops.MatrixInverse()(a)))]


@grad_rule(ops.Cholesky)
def _cholesky(op, inputs, grads):
    """Murray (2016): with P = tril(L^T Lbar) with its diagonal halved,
    S = L^-T P L^-1 is the gradient w.r.t. the symmetric matrix; the lower triangle
    read by the factorization then gets S + S^T off the diagonal."""
    (a,), (g,) = inputs, grads
    chol = ops.Cholesky(op.lower)(a)
    low, g_low = (chol, g) if op.lower else (mT(chol), mT(g))
    p = matmul(mT(low), g_low)
    p = m.sub(triangle(p, True), m.mul(0.5, diagonal_part(p)))
    upper = ops.SolveTriangular(lower=False)
    s = upper(mT(low), mT(upper(mT(low), mT(p))))
    ga = read_triangle(m.mul(0.5, m.add(s, mT(s))), True)
    return [ga if op.lower else mT(ga)]


@grad_rule(ops.Solve)
def _solve(op, inputs, grads):
    (a, b), (g,) = inputs, grads
    x = op(a, b)
    lower = {'lower_triangular': True, 'upper_triangular': False}.get(op.A_structure)
    structure = {'lower_triangular': 'upper_triangular',
                 'upper_triangular': 'lower_triangular'}.get(op.A_structure, op.A_structure)
    gb = ops.Solve(structure, not op.lower)(mT(a), g)
    return list(_solve_rhs_grads(a, b, x, gb, lower))


@grad_rule(ops.SolveTriangular)
def _solve_triangular(op, inputs, grads):
    (a, b), (g,) = inputs, grads
    x = op(a, b)
    gb = ops.SolveTriangular(op.lower, 1 - op.trans, op.unit_diagonal)(a, g)
    if op.trans:
        # a^T x = b: gA = -x gB^T (the transpose of the untransposed rule).
        ga, gb = _solve_rhs_grads(a, b, x, gb)
        ga = mT(ga)
    else:
        ga, gb = _solve_rhs_grads(a, b, x, gb)
    ga = triangle(ga, op.lower, strict=op.unit_diagonal)
    return [m.sum_to(ga, a), gb]


def _eigen_grad(w, v, gw, gv):
    """The gradient w.r.t. a symmetric matrix of its eigendecomposition:
    v (diag(gw) + F * (v^T gv)) v^T with F_ij = 1 / (w_j - w_i) off the diagonal."""
    inner = diag_matrix(gw) if gw is not None else None
    if gv is not None:
        gap = m.sub(_row(w), _col(w))
        off = m.sub(1.0, m.eye(w.shape[-1], dtype=w.dtype))
        f = m.mul(off, m.true_div(1.0, m.add(gap, m.sub(1.0, off))))
        term = m.mul(f, matmul(mT(v), gv))
        inner = term if inner is None else m.add(inner, term)
    return matmul(matmul(v, inner), mT(v))


@grad_rule(ops.Eigh)
def _eigh(op, inputs, grads):
    (a,), (gw, gv) = inputs, grads
    w, v = op(a)
    return [read_triangle(_eigen_grad(w, v, gw, gv), op.UPLO == 'L')]


@grad_rule(ops.Eigvalsh)
def _eigvalsh(op, inputs, grads):
    if len(inputs) != 1:
        raise TypeError('eigvalsh: the gradient of the generalized problem (b given) is not '
                        'implemented; mark b constant or use eigh on a symmetric matrix')
    (a,), (gw,) = inputs, grads
    w, v = ops.Eigh('L' if op.lower else 'U')(a)
    return [read_triangle(_eigen_grad(w, v, gw, None), op.lower)]


@grad_rule(ops.SVD)
def _svd(op, inputs, grads):
    """Through the singular values only: d s_k = u_k^T dA v_k.  The singular vectors'
    own gradient is not defined here (Theano defines none for svd at all)."""
    (a,) = inputs
    if op.compute_uv:
        for g, what in ((grads[0], 'u'), (grads[2], 'v')):
            if not _is_zeros(g):
                raise TypeError(f'svd: no gradient through the singular vectors ({what}); '
                                'use svd(a, compute_uv=False) for the singular values')
        gs = grads[1]
    else:
        (gs,) = grads
    u, _, vh = ops.SVD(full_matrices=False)(a)
    return [matmul(m.mul(u, _row(gs)), vh)]


def _is_zeros(g):
    """Whether g is the zeros_like filler autodiff gives an output nobody used."""
    owner = g.owner
    return (owner is not None and 'second' in str(owner.op) and len(owner.inputs) == 2
            and m.is_constant_value(owner.inputs[1], 0))


@grad_rule(ops.Pinv)
def _pinv(op, inputs, grads):
    """Golub & Pereyra's derivative of the pseudo-inverse (valid where the rank is constant)."""
    (a,), (g,) = inputs, grads
    x = ops.Pinv()(a)
    xt, gt = mT(x), mT(g)
    ax = matmul(a, x)
    xa = matmul(x, a)
    first = m.neg(matmul(matmul(xt, g), xt))
    second = matmul(matmul(m.sub(m.eye(ax.shape[-1], dtype=a.dtype), ax), gt), matmul(x, xt))
    third = matmul(matmul(matmul(xt, x), gt), m.sub(m.eye(xa.shape[-1], dtype=a.dtype), xa))
    return [m.add(m.add(first, second), third)]


@grad_rule(ops.Matmul)
def _matmul(op, inputs, grads):
    (a, b), (g,) = inputs, grads
    return [m.sum_to(matmul(g, mT(b)), a), m.sum_to(matmul(mT(a), g), b)]


@grad_rule(ops.Expm)
def _expm(op, inputs, grads):
    """The Frechet derivative in closed form: expm([[A^T, G], [0, A^T]]) holds the
    gradient in its upper right block (exact, diagonalizable A or not)."""
    (a,), (g,) = inputs, grads
    at = mT(a)
    last, second = a.ndim - 1, a.ndim - 2
    top = m.concatenate([at, g], axis=last)
    bottom = m.concatenate([m.zeros_like(at), at], axis=last)
    big = ops.Expm()(m.concatenate([top, bottom], axis=second))
    n = a.shape[-1]
    return [big[..., :n, n:]]
