"""Gradients through scan: checked against finite differences (verify_grad) and against
hand-written backpropagation through time in NumPy."""
import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.gradient import verify_grad


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
    with pytest.raises(TypeError, match='random draw'):
        T.grad(hs.sum(), h0)


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
