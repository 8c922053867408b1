"""tg.grad as Theano documents it: the tutorial's snippets, wrt lists, consider_constant,
disconnected inputs, integer inputs and known_grads."""
import warnings

import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph import function, pp
from tracegraph.gradient import DisconnectedInputError, GradientError, grad, verify_grad


def test_tutorial_computing_the_gradient(backend):
    x = T.fscalar('x')
    y = x ** 2
    gy = T.grad(y, x)
    assert 'fill((x ** TensorConstant{2}), TensorConstant{1.0})' in pp(gy)
    f = function([x], gy, backend=backend)
    assert np.asarray(f(4)).dtype == np.float32
    np.testing.assert_allclose(f(4), 8.0)
    np.testing.assert_allclose(f(np.float32(94.2)), 188.4, rtol=1e-6)


def test_tutorial_logistic_gradient(backend):
    x = T.dmatrix('x')
    s = T.sum(1 / (1 + T.exp(-x)))
    gs = T.grad(s, x)
    dlogistic = function([x], gs, backend=backend)
    v = np.array([[0, 1], [-1, -2]], dtype='float64')
    sig = 1 / (1 + np.exp(-v))
    np.testing.assert_allclose(dlogistic(v), sig * (1 - sig), rtol=1e-12)


def test_grad_is_tg_grad_and_gradient_module():
    from tracegraph.autodiff import grad as autodiff_grad
    assert tg.grad is autodiff_grad and tg.gradient.grad is autodiff_grad


def test_wrt_list_and_closed_form(backend):
    x = T.dmatrix('x')
    w = T.dvector('w')
    b = T.dscalar('b')
    cost = T.sum(T.tanh(T.dot(x, w) + b) ** 2)
    gw, gb = grad(cost, [w, b])
    f = function([x, w, b], [gw, gb], backend=backend)
    rng = np.random.default_rng(0)
    xv, wv, bv = rng.normal(size=(4, 3)), rng.normal(size=3), 0.3
    t = np.tanh(xv @ wv + bv)
    d = 2 * t * (1 - t ** 2)
    out = f(xv, wv, bv)
    np.testing.assert_allclose(out[0], xv.T @ d, rtol=1e-12)
    np.testing.assert_allclose(out[1], d.sum(), rtol=1e-12)


def test_consider_constant(backend):
    x = T.dvector('x')
    y = x ** 2
    cost = T.sum(y * x)
    g = grad(cost, x, consider_constant=[y])
    f = function([x], g, backend=backend)
    np.testing.assert_allclose(f(np.array([1.0, 2.0, 3.0])), [1.0, 4.0, 9.0])


def test_disconnected_inputs_raise_warn_ignore(backend):
    x, z = T.dvectors('x', 'z')
    cost = T.sum(x ** 2)
    with pytest.raises(DisconnectedInputError, match='z'):
        grad(cost, [x, z])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        gx, gz = grad(cost, [x, z], disconnected_inputs='warn')
    assert any('z' in str(w.message) for w in caught)
    gx, gz = grad(cost, [x, z], disconnected_inputs='ignore')
    f = function([x, z], [gx, gz], backend=backend)
    out = f(np.array([1.0, 2.0]), np.array([5.0, 6.0, 7.0]))
    np.testing.assert_allclose(out[1], np.zeros(3))
    with pytest.raises(ValueError, match='disconnected_inputs'):
        grad(cost, x, disconnected_inputs='nope')


def test_shape_only_use_is_disconnected():
    x = T.dvector('x')
    with pytest.raises(DisconnectedInputError):
        grad(T.cast(x.shape[0], 'float64') * 2.0, x)


def test_integer_inputs_get_float_zero_gradients(backend):
    x = T.dvector('x')
    i = T.ivector('i')
    k = T.lscalar('k')
    cost = T.sum(x[i] * k) + T.sum(T.cast(i, 'float64') ** 2)
    gx, gi, gk = grad(cost, [x, i, k])
    assert gi.dtype == tg.config.floatX and gk.dtype == tg.config.floatX
    f = function([x, i, k], [gx, gi, gk], backend=backend)
    out = f(np.array([1.0, 2.0, 3.0]), np.array([0, 2, 2], dtype='int32'), 3)
    np.testing.assert_allclose(out[0], [3.0, 0.0, 6.0])
    np.testing.assert_allclose(out[1], [0, 0, 0])
    assert float(out[2]) == 0.0


def test_bool_and_integer_costs_do_not_crash(backend):
    x = T.dvector('x')
    g = grad(T.sum(T.gt(x, 0)), x)
    np.testing.assert_allclose(function([x], g, backend=backend)(np.array([1.0, -1.0])), [0.0, 0.0])
    g = grad(T.sum(T.cast(T.floor(x), 'int64')), x)
    np.testing.assert_allclose(function([x], g, backend=backend)(np.array([1.5, -1.0])), [0.0, 0.0])


def test_known_grads(backend):
    x = T.dvector('x')
    y = T.exp(x)
    gy = T.dvector('gy')
    gx = grad(None, x, known_grads={y: gy})
    f = function([x, gy], gx, backend=backend)
    xv, gv = np.array([0.1, -0.2]), np.array([2.0, 3.0])
    np.testing.assert_allclose(f(xv, gv), gv * np.exp(xv))
    cost = T.sum(y)
    both = grad(cost, x, known_grads={y: gy})
    np.testing.assert_allclose(function([x, gy], both, backend=backend)(xv, gv), (gv + 1) * np.exp(xv))


def test_cost_must_be_scalar():
    x = T.dvector('x')
    with pytest.raises(TypeError, match='scalar'):
        grad(x ** 2, x)


def test_wrt_must_be_a_variable():
    x = T.dvector('x')
    with pytest.raises(TypeError, match=r'wrt\[0\]'):
        grad(T.sum(x), [np.ones(3)])


def test_gradient_with_respect_to_an_intermediate(backend):
    x = T.dvector('x')
    h = T.tanh(x)
    cost = T.sum(h ** 3)
    gh, gx = grad(cost, [h, x])
    f = function([x], [gh, gx], backend=backend)
    xv = np.array([0.2, -0.5])
    t = np.tanh(xv)
    np.testing.assert_allclose(f(xv)[0], 3 * t ** 2)
    np.testing.assert_allclose(f(xv)[1], 3 * t ** 2 * (1 - t ** 2))


def test_shared_variable_gradient_and_update(backend):
    w = tg.shared(np.array([1.0, -2.0]), name='w')
    x = T.dvector('x')
    cost = T.sum((x * w - 1) ** 2)
    gw = grad(cost, w)
    step = function([x], cost, updates=[(w, w - 0.1 * gw)], backend=backend)
    xv = np.array([0.5, 1.5])
    wv = w.get_value()
    step(xv)
    np.testing.assert_allclose(w.get_value(), wv - 0.1 * 2 * (xv * wv - 1) * xv)


def test_verify_grad_reports_the_largest_mismatch(backend):
    from tracegraph.ir import Apply, Op

    class WrongSquare(Op):
        __props__ = ()

        def make_node(self, x):
            x = T.as_tensor_variable(x)
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, outputs):
            outputs[0][0] = inputs[0] ** 2

        def grad(self, inputs, output_grads):
            return [output_grads[0] * 3 * inputs[0]]  # should be 2 * x

    with pytest.raises(GradientError, match='input 0 at index') as info:
        verify_grad(lambda x: WrongSquare()(x), [np.array([0.5, -1.0, 2.0])], backend=backend)
    assert info.value.abs_err > 0.1


def test_user_op_with_theano_grad(backend):
    from tracegraph.ir import Apply, Op

    class Double(Op):
        __props__ = ()

        def make_node(self, x):
            x = T.as_tensor_variable(x)
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, outputs):
            outputs[0][0] = inputs[0] * 2

        def grad(self, inputs, output_grads):
            return [output_grads[0] * 2]

    verify_grad(lambda x: Double()(x) ** 2, [np.array([0.5, -1.0])], backend=backend)


def test_op_without_grad_is_a_clear_error():
    from tracegraph.ir import Apply, Op

    class NoGrad(Op):
        __props__ = ()

        def make_node(self, x):
            return Apply(self, [x], [x.type()])

    x = T.dvector('x')
    with pytest.raises(TypeError, match='NoGrad.*defines no grad'):
        grad(T.sum(NoGrad()(x)), x)
