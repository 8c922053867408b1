"""Gradients through scan: checked against finite differences (verify_grad) and against
hand-written backpropagation through time in NumPy."""
import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.gradient import Rop, hessian, jacobian, verify_grad

from ._grad_cases import numeric_jacobian


def _rnn(x, h0, W_in, W_rec, b, **kw):
    hs, _ = tg.scan(lambda xt, h, W_in, W_rec, b: T.tanh(T.dot(xt, W_in) + T.dot(h, W_rec) + b),
                    sequences=x, outputs_info=h0, non_sequences=[W_in, W_rec, b], **kw)
    return hs


def _rnn_point(rng, steps=5, n_in=3, n_hid=4):
    return [rng.normal(size=(steps, n_in)), rng.normal(size=n_hid) * 0.5,
            rng.normal(size=(n_in, n_hid)) * 0.5, rng.normal(size=(n_hid, n_hid)) * 0.5,
            rng.normal(size=n_hid) * 0.1]


def test_rnn_gradient_matches_finite_differences(backend):
    rng = np.random.default_rng(1)
    point = _rnn_point(rng)
    verify_grad(lambda x, h0, W_in, W_rec, b: (_rnn(x, h0, W_in, W_rec, b) ** 2).sum(), point,
                rng=rng, backend=backend)


def test_rnn_gradient_of_last_state_matches_hand_written_bptt(backend):
    rng = np.random.default_rng(2)
    x_v, h0_v, wi_v, wr_v, b_v = _rnn_point(rng, steps=6)
    x, W_in, W_rec = T.dmatrix('x'), T.dmatrix('W_in'), T.dmatrix('W_rec')
    h0, b = T.dvector('h0'), T.dvector('b')
    cost = _rnn(x, h0, W_in, W_rec, b)[-1].sum()
    f = tg.function([x, h0, W_in, W_rec, b], T.grad(cost, [x, h0, W_in, W_rec, b]), backend=backend)
    got = f(x_v, h0_v, wi_v, wr_v, b_v)
    hs = [h0_v]
    for xt in x_v:
        hs.append(np.tanh(xt @ wi_v + hs[-1] @ wr_v + b_v))
    gh = np.ones_like(h0_v)
    gx, gwi, gwr, gb = np.zeros_like(x_v), np.zeros_like(wi_v), np.zeros_like(wr_v), np.zeros_like(b_v)
    for t in reversed(range(len(x_v))):
        gpre = gh * (1 - hs[t + 1] ** 2)
        gx[t], gwi, gwr, gb = gpre @ wi_v.T, gwi + np.outer(x_v[t], gpre), gwr + np.outer(hs[t], gpre), gb + gpre
        gh = gpre @ wr_v.T
    for g, want in zip(got, [gx, gh, gwi, gwr, gb]):
        np.testing.assert_allclose(g, want, rtol=1e-10, atol=1e-12)


def test_truncated_gradient_stops_after_k_steps(backend):
    rng = np.random.default_rng(3)
    x_v, h0_v, wi_v, wr_v, b_v = _rnn_point(rng, steps=6)
    x, W_in, W_rec = T.dmatrix('x'), T.dmatrix('W_in'), T.dmatrix('W_rec')
    h0, b = T.dvector('h0'), T.dvector('b')
    cost = _rnn(x, h0, W_in, W_rec, b, truncate_gradient=2)[-1].sum()
    f = tg.function([x, h0, W_in, W_rec, b], T.grad(cost, [x, h0, W_rec]), backend=backend)
    gx, gh0, gwr = f(x_v, h0_v, wi_v, wr_v, b_v)
    # Only the last two steps receive gradient.
    assert np.all(gx[:4] == 0) and np.all(gx[4:] != 0)
    assert np.all(gh0 == 0)
    hs = [h0_v]
    for xt in x_v:
        hs.append(np.tanh(xt @ wi_v + hs[-1] @ wr_v + b_v))
    gh, want = np.ones(4), np.zeros_like(wr_v)
    for t in (5, 4):
        gpre = gh * (1 - hs[t + 1] ** 2)
        want += np.outer(hs[t], gpre)
        gh = gpre @ wr_v.T
    np.testing.assert_allclose(gwr, want, rtol=1e-10)


def test_gradient_through_taps_and_initial_values(backend):
    # y_t = a * y_{t-2} + y_{t-1} * x_t: gradients wrt the two initial values, a and x.
    def fun(init, a, x):
        ys, _ = tg.scan(lambda xt, older, old, a: a * older + old * xt, sequences=x,
                        outputs_info=dict(initial=init, taps=[-2, -1]), non_sequences=a)
        return (ys ** 2).sum()
    rng = np.random.default_rng(4)
    verify_grad(fun, [rng.normal(size=2), np.array(0.7), rng.normal(size=5) * 0.5],
                rng=rng, backend=backend)


def test_gradient_through_sequence_taps_and_nit_outputs(backend):
    def fun(x, w):
        out, _ = tg.scan(lambda before, now, w: T.sin(before * w) * now,
                         sequences=dict(input=x, taps=[-1, 0]), non_sequences=w)
        return out.sum()
    rng = np.random.default_rng(5)
    verify_grad(fun, [rng.normal(size=6), rng.normal(size=6)], rng=rng, backend=backend)


def test_gradient_of_a_shared_weight_read_inside(backend):
    W = tg.shared(np.array([[0.5, -0.2], [0.1, 0.3]]), name='W')
    h0 = T.dvector('h0')
    hs, _ = tg.scan(lambda h: T.tanh(T.dot(h, W)), outputs_info=h0, n_steps=4)
    cost = hs[-1].sum()
    g = tg.function([h0], T.grad(cost, W), backend=backend)
    h0_v = np.array([1.0, -1.0])
    eps = 1e-6
    num = np.zeros((2, 2))
    w = W.get_value()
    cost_f = tg.function([h0], cost, backend=backend)
    for i in range(2):
        for j in range(2):
            for sign in (1, -1):
                w2 = w.copy()
                w2[i, j] += sign * eps
                W.set_value(w2)
                num[i, j] += sign * cost_f(h0_v) / (2 * eps)
    W.set_value(w)
    np.testing.assert_allclose(g(h0_v), num, rtol=1e-6)


def test_gradient_with_until(backend):
    x = T.dscalar('x')
    values, _ = tg.scan(lambda prev: (prev * x, tg.until(prev * x > 100)),
                        outputs_info=T.constant(np.float64(1)), n_steps=50)
    f = tg.function([x], [values, T.grad(values.sum(), x)], backend=backend)
    vals, g = f(3.0)
    np.testing.assert_allclose(vals, 3.0 ** np.arange(1, 6))  # stops at 243 > 100
    np.testing.assert_allclose(g, sum(k * 3.0 ** (k - 1) for k in range(1, 6)))


def test_gradient_through_a_random_draw_inside_is_a_clear_error():
    pytest.importorskip('tracegraph.random')
    from tracegraph.random import RandomStreams
    srng = RandomStreams(seed=1)
    h0 = T.dvector('h0')
    hs, _ = tg.scan(lambda h: h * srng.uniform(size=(2,)), outputs_info=h0, n_steps=3)
    with pytest.raises(TypeError, match='random draw') as info:
        T.grad(hs.sum(), h0)
    assert 'test_scan_grad.py' in str(info.value)  # names the user's scan line


def _numeric_grad(f, value, eps=1e-6):
    grad = np.zeros_like(value)
    for idx in np.ndindex(value.shape):
        for sign in (1, -1):
            moved = value.copy()
            moved[idx] += sign * eps
            grad[idx] += sign * f(moved) / (2 * eps)
    return grad


def test_weight_gradient_with_a_factor_computed_in_the_step(backend):
    # d/dW of sum(h_T) with h_t = tanh(h_{t-1}) @ W + x_t: the outer product's left factor
    # tanh(h_{t-1}) is computed inside the step, not a sequence.
    x, W, h0 = T.dmatrix('x'), T.dmatrix('W'), T.dvector('h0')
    hs, _ = tg.scan(lambda xt, h, W: T.dot(T.tanh(h), W) + xt, sequences=x, outputs_info=h0,
                    non_sequences=W)
    cost = hs[-1].sum()
    rng = np.random.default_rng(7)
    xv, wv, hv = rng.normal(size=(4, 3)), rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3)
    g = tg.function([x, W, h0], T.grad(cost, [W, h0, x]), backend=backend)(xv, wv, hv)
    f = tg.function([x, W, h0], cost, backend=backend)
    np.testing.assert_allclose(g[0], _numeric_grad(lambda w: f(xv, w, hv), wv), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(g[1], _numeric_grad(lambda h: f(xv, wv, h), hv), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(g[2], _numeric_grad(lambda v: f(v, wv, hv), xv), rtol=1e-6, atol=1e-8)


def test_gradient_with_go_backwards(backend):
    def fun(x, h0):
        hs, _ = tg.scan(lambda xt, h: T.sin(h) * xt + h, sequences=x, outputs_info=h0, go_backwards=True)
        return (hs * T.arange(1, 5)).sum()
    rng = np.random.default_rng(8)
    verify_grad(fun, [rng.normal(size=4), np.array(0.3)], rng=rng, backend=backend)


def test_gradient_of_an_accumulator_updated_inside_the_loop(backend):
    # total += w * x_t at each step (a shared variable updated by the loop); d total / d w.
    total = tg.shared(np.float64(0.0), name='total')
    x, w = T.dvector('x'), T.dscalar('w')
    _, updates = tg.scan(lambda xt, w: {total: total + T.sin(w * xt)}, sequences=x, non_sequences=w)
    final = updates[total]
    f = tg.function([x, w], [final, T.grad(final, w)], backend=backend)
    xv = np.array([0.5, -1.0, 2.0])
    value, g = f(xv, 0.3)
    np.testing.assert_allclose(value, np.sin(0.3 * xv).sum())
    np.testing.assert_allclose(g, (xv * np.cos(0.3 * xv)).sum())


def test_second_derivative_through_scan(backend):
    # y = x ** 4 computed by a loop of products; d2y/dx2 = 12 x ** 2.
    x = T.dscalar('x')
    ys, _ = tg.scan(lambda prev, x: prev * x, outputs_info=T.ones_like(x), non_sequences=x, n_steps=4)
    y = ys[-1]
    g = T.grad(y, x)
    h = T.grad(g, x)
    f = tg.function([x], [y, g, h], backend=backend)
    np.testing.assert_allclose(f(1.5), [1.5 ** 4, 4 * 1.5 ** 3, 12 * 1.5 ** 2])


# -- second derivatives: the backward Scan is itself differentiated ----------------------
# hessian(cost, w) is the jacobian of T.grad(cost, w), a graph holding the backward Scan.
# jacobian batches that pullback over the rows of an identity matrix, backward loops
# included (or, for a step it cannot batch, runs it once per row in a scan of its own):
# each test below differentiates a backward loop, on every backend.

def test_hessian_of_cumulative_products_matches_closed_form(backend):
    # y_t = y_{t-1} * x_t * w (elementwise, y_{-1} = 1), so y_t = P_t w ** (t + 1) with
    # P_t = x_0 ... x_t, and d2 sum(y) / dw_i2 = sum_t P_t (t + 1) t w_i ** (t - 1).
    x, w = T.dvector('x'), T.dvector('w')
    ys, _ = tg.scan(lambda xt, prev, w: prev * xt * w, sequences=x, outputs_info=T.ones_like(w),
                    non_sequences=w)
    cost = ys.sum()
    f = tg.function([x, w], [T.grad(cost, w), hessian(cost, w)], backend=backend)
    xv, wv = np.array([0.5, 1.2, -0.7, 0.9]), np.array([0.9, 1.1, -0.6])
    g, H = f(xv, wv)
    P, t = np.cumprod(xv)[:, None], np.arange(len(xv))[:, None]
    np.testing.assert_allclose(g, (P * (t + 1) * wv ** t).sum(0), rtol=1e-12)
    np.testing.assert_allclose(H, np.diag((P * (t + 1) * t * wv ** np.maximum(t - 1, 0)).sum(0)),
                               rtol=1e-12, atol=1e-14)


def test_hessian_of_a_polynomial_evaluated_by_scan(backend):
    # Horner's rule with the coefficients as the sequence and x as a non-sequence:
    # acc = acc * x + c_t.  sum(p(x)) has the Hessian diag(p''(x)).
    c, x = T.dvector('c'), T.dvector('x')
    acc, _ = tg.scan(lambda ct, acc, x: acc * x + ct, sequences=c, outputs_info=T.zeros_like(x),
                     non_sequences=x)
    cost = acc[-1].sum()
    f = tg.function([c, x], [acc[-1], T.grad(cost, x), hessian(cost, x)], backend=backend)
    cv, xv = np.array([0.5, -2.0, 3.0, 1.0, -4.0]), np.array([0.7, -1.3, 2.0])
    p, g, H = f(cv, xv)
    np.testing.assert_allclose(p, np.polyval(cv, xv), rtol=1e-12)
    np.testing.assert_allclose(g, np.polyval(np.polyder(cv), xv), rtol=1e-12)
    np.testing.assert_allclose(H, np.diag(np.polyval(np.polyder(cv, 2), xv)), rtol=1e-12)


def test_hessian_of_an_rnn_cost_matches_finite_differences_of_its_gradient(backend):
    # cost = sum_t sum(h_t), h_t = tanh(h_{t-1} W + x_t): the Hessian with respect to the
    # weight, a non-sequence read at every step (and so an accumulator of the backward loop).
    x, W, h0 = T.dmatrix('x'), T.dmatrix('W'), T.dvector('h0')
    hs, _ = tg.scan(lambda xt, h, W: T.tanh(T.dot(h, W) + xt), sequences=x, outputs_info=h0,
                    non_sequences=W)
    cost = hs.sum()
    H = tg.function([x, W, h0], hessian(cost, W), backend=backend)
    grad_W = tg.function([x, W, h0], T.grad(cost, W), backend='numpy')
    rng = np.random.default_rng(11)
    xv, wv, hv = rng.normal(size=(4, 3)) * 0.5, rng.normal(size=(3, 3)) * 0.6, rng.normal(size=3)
    got = H(xv, wv, hv)
    np.testing.assert_allclose(got, numeric_jacobian(lambda v: grad_W(xv, v, hv), wv),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got.reshape(9, 9), got.reshape(9, 9).T, atol=1e-12)


def test_hessian_batches_the_backward_loops_instead_of_looping_over_rows():
    # jacobian batches the pullback over the identity's rows; the backward loops in it are
    # batched as well, so the Hessian's graph holds no loop nested inside another loop.
    from tracegraph.ir import ancestors
    from tracegraph.scan import Scan
    x, W, h0 = T.dmatrix('x'), T.dmatrix('W'), T.dvector('h0')
    hs, _ = tg.scan(lambda xt, h, W: T.tanh(T.dot(h, W) + xt), sequences=x, outputs_info=h0,
                    non_sequences=W)
    H = hessian(hs.sum(), W)
    loops = [v.owner.op for v in ancestors([H])
             if v.owner is not None and isinstance(v.owner.op, Scan)]
    assert any((op.name or '').startswith('grad_of_grad_of') for op in loops)
    for op in loops:
        assert not any(isinstance(n.op, Scan) for n in op.inner.apply_nodes), op


def test_hessian_falls_back_to_a_loop_over_rows_for_a_step_it_cannot_batch():
    # A user's op with a gradient but no batching rule, inside the step: the backward loop
    # cannot be batched, so jacobian runs the pullback once per identity row instead.
    from tracegraph.ir import Apply, Op

    class Double(Op):
        __props__ = ()

        def make_node(self, v):
            v = T.as_tensor_variable(v)
            return Apply(self, [v], [v.type()])

        def perform(self, node, inputs, outputs):
            outputs[0][0] = inputs[0] * 2

        def grad(self, inputs, output_grads):
            return [Double()(output_grads[0])]

    x, w = T.dvector('x'), T.dvector('w')
    hs, _ = tg.scan(lambda xt, h, w: T.sin(Double()(h) * w + xt), sequences=x,
                    outputs_info=T.zeros_like(w), non_sequences=w)
    cost = hs.sum()
    H = tg.function([x, w], hessian(cost, w), backend='numpy')
    grad_w = tg.function([x, w], T.grad(cost, w), backend='numpy')
    xv, wv = np.array([0.3, -0.8, 0.5]), np.array([0.7, -0.4])
    np.testing.assert_allclose(H(xv, wv), numeric_jacobian(lambda v: grad_w(xv, v), wv),
                               rtol=1e-6, atol=1e-8)


def test_grad_of_grad_through_taps_a_shared_weight_and_symbolic_n_steps(backend):
    # y_t = a * y_{t-2} + sin(s * y_{t-1}) * x_t, with `s` a shared variable the step reads
    # without listing it, and n_steps = len(x) - 1 given symbolically: verify_grad checks the
    # gradient of d cost / d(init, a) against finite differences of that first gradient.
    s = tg.shared(np.float64(0.8), name='s')

    def first_gradient(init, a, x):
        ys, _ = tg.scan(lambda xt, older, old, a: a * older + T.sin(s * old) * xt, sequences=x,
                        outputs_info=dict(initial=init, taps=[-2, -1]), non_sequences=a,
                        n_steps=x.shape[0] - 1)
        g_init, g_a = T.grad((ys ** 2).sum(), [init, a])
        return T.concatenate([g_init, g_a.dimshuffle('x')])
    rng = np.random.default_rng(12)
    verify_grad(first_gradient, [rng.normal(size=2), np.array(0.7), rng.normal(size=5) * 0.5],
                rng=rng, backend=backend)


def test_second_derivative_with_truncated_gradient_counts_only_the_last_k_steps(backend):
    # y = w ** n by n steps of y_t = y_{t-1} * w.  Every gradient through the loop, the
    # second one too, sees only its last k steps (as in Theano): dy/dw = k w ** (n-1) and
    # d2y/dw2 = k (k - 1) w ** (n-2), the derivatives of "w ** k times a constant".
    w = T.dscalar('w')
    outs = []
    for k in (3, -1):
        ys, _ = tg.scan(lambda prev, w: prev * w, outputs_info=T.ones_like(w), non_sequences=w,
                        n_steps=5, truncate_gradient=k)
        outs += [T.grad(ys[-1], w), hessian(ys[-1], w)]
    g3, h3, g_all, h_all = tg.function([w], outs, backend=backend)(1.3)
    np.testing.assert_allclose([g3, h3], [3 * 1.3 ** 4, 6 * 1.3 ** 3], rtol=1e-12)
    np.testing.assert_allclose([g_all, h_all], [5 * 1.3 ** 4, 20 * 1.3 ** 3], rtol=1e-12)


def test_hessian_with_until_and_of_an_accumulator_updated_inside(backend):
    # The `until` loop stops after 5 steps: sum_k x ** k has d2/dx2 = sum_k k (k-1) x ** (k-2).
    # total += sin(w * x_t) (a shared variable's update, a float final): d2/dw2 =
    # -sum(x ** 2 sin(w x)).
    x, w, seq = T.dscalar('x'), T.dscalar('w'), T.dvector('seq')
    values, _ = tg.scan(lambda prev: (prev * x, tg.until(prev * x > 100)),
                        outputs_info=T.constant(np.float64(1)), n_steps=50)
    total = tg.shared(np.float64(0.0), name='total')
    _, updates = tg.scan(lambda st, w: {total: total + T.sin(w * st)}, sequences=seq,
                         non_sequences=w)
    f = tg.function([x, w, seq], [hessian(values.sum(), x), hessian(updates[total], w)],
                    backend=backend)
    sv = np.array([0.5, -1.0, 2.0])
    h_until, h_total = f(3.0, 0.3, sv)
    np.testing.assert_allclose(h_until, sum(k * (k - 1) * 3.0 ** (k - 2) for k in range(1, 6)))
    np.testing.assert_allclose(h_total, -(sv ** 2 * np.sin(0.3 * sv)).sum(), rtol=1e-12)


def test_rop_through_scan_and_a_hessian_vector_product(backend):
    # Rop(hs, [W, h0], [V, v0]) is the directional derivative of the whole state sequence.
    # The Hessian-vector product of a Newton step, H V = d(sum(g_W * V))/dW, is a gradient
    # of the gradient (Rop(g_W, W, V) gives it too, but differentiates three times:
    # a minute of Numba compilation, too slow for this suite).
    x, W, h0 = T.dmatrix('x'), T.dmatrix('W'), T.dvector('h0')
    V, v0 = T.dmatrix('V'), T.dvector('v0')
    hs, _ = tg.scan(lambda xt, h, W: T.tanh(T.dot(h, W) + xt), sequences=x, outputs_info=h0,
                    non_sequences=W)
    g_W = T.grad((hs ** 2).sum(), W)
    hvp = T.grad((g_W * V).sum(), W)
    f = tg.function([x, W, h0, V, v0], [Rop(hs, [W, h0], [V, v0]), hvp], backend=backend)
    rng = np.random.default_rng(13)
    xv, wv, hv = rng.normal(size=(4, 2)), rng.normal(size=(2, 2)), rng.normal(size=2)
    Vv, v0v = rng.normal(size=(2, 2)), rng.normal(size=2)
    got_jv, got_hvp = f(xv, wv, hv, Vv, v0v)
    states = tg.function([x, W, h0], hs, backend='numpy')
    grad_W = tg.function([x, W, h0], g_W, backend='numpy')
    along = np.zeros(1)
    want_jv = numeric_jacobian(lambda e: states(xv, wv + e[0] * Vv, hv + e[0] * v0v), along)
    want_hvp = numeric_jacobian(lambda e: grad_W(xv, wv + e[0] * Vv, hv), along)
    np.testing.assert_allclose(got_jv, want_jv[..., 0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got_hvp, want_hvp[..., 0], rtol=1e-6, atol=1e-8)
