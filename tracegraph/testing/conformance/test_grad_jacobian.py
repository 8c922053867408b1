"""jacobian, hessian, Rop and Lop against NumPy closed forms and finite differences."""
import numpy as np
import pytest

import tracegraph.tensor as T
from tracegraph import function
from tracegraph.gradient import Lop, Rop, hessian, jacobian

from ._grad_cases import numeric_jacobian


def test_tutorial_jacobian(backend):
    x = T.dvector('x')
    y = x ** 2
    J = jacobian(y, x)
    f = function([x], J, backend=backend)
    np.testing.assert_allclose(f([4, 4]), [[8, 0], [0, 8]])


def test_tutorial_hessian(backend):
    x = T.dvector('x')
    y = x ** 2
    cost = y.sum()
    H = hessian(cost, x)
    f = function([x], H, backend=backend)
    np.testing.assert_allclose(f([4, 4]), [[2, 0], [0, 2]])


def test_jacobian_of_matrix_expression(backend):
    A = T.dmatrix('A')
    x = T.dvector('x')
    y = T.tanh(T.dot(A, x))
    Jx, JA = jacobian(y, [x, A])
    f = function([A, x], [Jx, JA], backend=backend)
    rng = np.random.default_rng(0)
    Av, xv = rng.normal(size=(2, 3)), rng.normal(size=3)
    d = 1 - np.tanh(Av @ xv) ** 2
    out = f(Av, xv)
    np.testing.assert_allclose(out[0], d[:, None] * Av, rtol=1e-12)
    closed = np.zeros((2, 2, 3))
    for i in range(2):
        closed[i, i] = d[i] * xv
    np.testing.assert_allclose(out[1], closed, rtol=1e-12, atol=1e-15)


def test_jacobian_of_a_2d_expression_through_indexing_and_reductions(backend):
    x = T.dmatrix('x')
    y = T.concatenate([T.cumsum(x, axis=1), x[:, ::-1] * T.max(x, axis=1, keepdims=True)], axis=0)
    f = function([x], jacobian(y, x), backend=backend)
    ref = function([x], y, backend='numpy')
    xv = np.array([[0.3, -0.2, 0.9], [0.1, 0.5, -0.7]])
    np.testing.assert_allclose(f(xv), numeric_jacobian(ref, xv), rtol=1e-6, atol=1e-8)


def test_jacobian_through_subtensor_and_set_subtensor(backend):
    x = T.dvector('x')
    y = T.set_subtensor(x[[0, 2]], x[1] ** 2) * T.exp(x[[3, 3, 1, 0]])
    f = function([x], jacobian(y, x), backend=backend)
    ref = function([x], y, backend='numpy')
    xv = np.array([0.3, -0.2, 0.9, 0.4])
    np.testing.assert_allclose(f(xv), numeric_jacobian(ref, xv), rtol=1e-6, atol=1e-8)


def test_hessian_of_quadratic_form_and_softmax_loss(backend):
    A = T.dmatrix('A')
    x = T.dvector('x')
    H = hessian(T.dot(x, T.dot(A, x)), x)
    rng = np.random.default_rng(1)
    Av, xv = rng.normal(size=(3, 3)), rng.normal(size=3)
    np.testing.assert_allclose(function([A, x], H, backend=backend)(Av, xv), Av + Av.T, rtol=1e-12)
    W = T.dmatrix('W')
    loss = T.sum(T.nnet.softmax(T.dot(W, x)) * np.array([0.2, 0.8]))
    H = function([W, x], hessian(loss, x), backend=backend)(rng.normal(size=(2, 3)), xv)
    grad_fn = function([W, x], T.grad(loss, x), backend='numpy')
    Wv = rng.normal(size=(2, 3))
    H = function([W, x], hessian(loss, x), backend=backend)(Wv, xv)
    np.testing.assert_allclose(H, numeric_jacobian(lambda v: grad_fn(Wv, v), xv), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(H, H.T, atol=1e-12)


def test_hessian_list_of_wrt(backend):
    x, y = T.dvectors('x', 'y')
    cost = T.sum(x ** 3) + T.sum(y ** 2) * T.sum(x)
    Hx, Hy = hessian(cost, [x, y])
    xv, yv = np.array([1.0, 2.0]), np.array([0.5, -1.0, 2.0])
    out = function([x, y], [Hx, Hy], backend=backend)(xv, yv)
    np.testing.assert_allclose(out[0], np.diag(6 * xv))
    np.testing.assert_allclose(out[1], 2 * xv.sum() * np.eye(3))


def test_rop_and_lop_match_jacobian_products(backend):
    W = T.dmatrix('W')
    x = T.dvector('x')
    v = T.dvector('v')
    u = T.dvector('u')
    y = T.nnet.sigmoid(T.dot(W, x)) * T.sum(x ** 2)
    jv = Rop(y, x, v)
    uj = Lop(y, x, u)
    J = jacobian(y, x)
    f = function([W, x, v, u], [jv, uj, J], backend=backend)
    rng = np.random.default_rng(2)
    Wv, xv, vv, uv = rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=3), rng.normal(size=2)
    out_jv, out_uj, out_J = f(Wv, xv, vv, uv)
    np.testing.assert_allclose(out_jv, out_J @ vv, rtol=1e-12)
    np.testing.assert_allclose(out_uj, uv @ out_J, rtol=1e-12)


def test_rop_with_several_wrt_and_outputs(backend):
    W = T.dmatrix('W')
    x = T.dvector('x')
    VW = T.dmatrix('VW')
    vx = T.dvector('vx')
    y1 = T.dot(W, x)
    y2 = T.sum(T.exp(W), axis=0) * x
    r1, r2 = Rop([y1, y2], [W, x], [VW, vx])
    f = function([W, x, VW, vx], [r1, r2], backend=backend)
    rng = np.random.default_rng(3)
    Wv, xv, VWv, vxv = rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=(2, 3)), rng.normal(size=3)
    out = f(Wv, xv, VWv, vxv)
    np.testing.assert_allclose(out[0], VWv @ xv + Wv @ vxv, rtol=1e-12)
    np.testing.assert_allclose(out[1], (np.exp(Wv) * VWv).sum(0) * xv + np.exp(Wv).sum(0) * vxv, rtol=1e-12)


def test_rop_eval_point_must_match_rank():
    x = T.dvector('x')
    with pytest.raises(ValueError, match='dimension'):
        Rop(x ** 2, x, T.dmatrix('v'))


def test_jacobian_through_scan(backend):
    # jacobian batches the pullback through the Scan (scan/batching.py).
    import tracegraph as tg
    x = T.dvector('x')
    powers, _ = tg.scan(lambda prev, x: prev * x, outputs_info=T.ones_like(x), non_sequences=x, n_steps=3)
    f = function([x], jacobian(powers[-1] + x, x), backend=backend)
    xv = np.array([1.0, 2.0, -0.5])
    np.testing.assert_allclose(f(xv), np.diag(3 * xv ** 2 + 1))
