"""The stable forms where the naive forms fail, fusion as users see it, in-place
updates that keep Theano's semantics, and ifelse that computes one branch only."""
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.special

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.backends import LoweringError
from tracegraph.ifelse import ifelse
from tracegraph.ir import Apply, Op


def _softplus(x):
    return np.logaddexp(0, x)


def test_log_1_plus_exp_is_finite_at_800(backend):
    x = T.dvector('x')
    f = tg.function([x], T.log(1 + T.exp(x)), backend=backend)
    values = np.array([-800.0, -1.0, 0.0, 30.0, 800.0])
    np.testing.assert_allclose(f(values), _softplus(values), rtol=1e-12)
    with np.errstate(over='ignore'):
        assert np.isinf(np.log(1 + np.exp(800.0)))  # what the naive form gives


def test_log_sigmoid_is_finite_and_correct_at_minus_800(backend):
    x = T.dvector('x')
    f = tg.function([x], [T.log(T.nnet.sigmoid(x)), T.log(1 - T.nnet.sigmoid(x))], backend=backend)
    values = np.array([-800.0, -40.0, 0.0, 40.0, 800.0])
    low, high = f(values)
    np.testing.assert_allclose(low, -_softplus(-values), rtol=1e-12)
    np.testing.assert_allclose(high, -_softplus(values), rtol=1e-12)
    assert low[0] == -800.0 and high[-1] == -800.0


def test_log1p_and_expm1_keep_digits_near_zero(backend):
    x = T.dvector('x')
    f = tg.function([x], [T.log(1 + x), T.exp(x) - 1], backend=backend)
    values = np.array([1e-18, -3e-12, 0.5])
    a, b = f(values)
    np.testing.assert_allclose(a, np.log1p(values), rtol=1e-14)
    np.testing.assert_allclose(b, np.expm1(values), rtol=1e-14)


def test_logsumexp_does_not_overflow(backend):
    m = T.dmatrix('m')
    f = tg.function([m], T.log(T.sum(T.exp(m), axis=1)), backend=backend)
    values = np.array([[1000.0, 1000.0], [-1000.0, -1001.0], [-np.inf, -np.inf]])
    expected = scipy.special.logsumexp(values, axis=1)
    np.testing.assert_allclose(f(values), expected, rtol=1e-12)


def test_softmax_cross_entropy_with_extreme_logits(backend):
    m = T.dmatrix('m')
    labels = T.lvector('labels')
    onehot = T.dmatrix('onehot')
    sm = T.nnet.softmax(m)
    f = tg.function([m, labels, onehot], [T.nnet.categorical_crossentropy(sm, labels),
                                          T.nnet.categorical_crossentropy(sm, onehot)], backend=backend)
    logits = np.array([[-800.0, 0.0, 800.0], [1.0, 2.0, 3.0]])
    picked = np.array([0, 1])
    expected = scipy.special.logsumexp(logits, axis=1) - logits[np.arange(2), picked]
    by_label, by_dist = f(logits, picked, np.eye(3)[picked])
    np.testing.assert_allclose(by_label, expected, rtol=1e-12)
    np.testing.assert_allclose(by_dist, expected, rtol=1e-12)


def _logistic_regression(rng, n=6, feats=5):
    x = T.dmatrix('x')
    y = T.dvector('y')
    w = tg.shared(rng.standard_normal(feats), name='w')
    b = tg.shared(0.0, name='b')
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = tg.grad(cost, [w, b])
    return x, y, w, b, p_1, xent, cost, gw, gb


def test_logistic_regression_cross_entropy_with_logits_of_40(backend):
    rng = np.random.default_rng(0)
    x, y, w, b, p_1, xent, cost, gw, gb = _logistic_regression(rng, feats=2)
    w.set_value(np.array([40.0, 0.0]))
    f = tg.function([x, y], [xent, gw], backend=backend)
    xs = np.array([[1.0, 0.0], [-1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]])
    ys = np.array([1.0, 0.0, 0.0, 1.0])
    got, grad_w = f(xs, ys)
    logits = xs @ w.get_value()
    expected = ys * _softplus(-logits) + (1 - ys) * _softplus(logits)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert np.isfinite(grad_w).all()
    naive = tg.function([x, y], xent, backend='numpy', rewrites='none')
    with np.errstate(all='ignore'):
        assert not np.isfinite(naive(xs, ys)).all()  # the naive graph gives inf/nan here


def test_tutorial_logistic_function_is_one_fused_node(backend):
    x = T.fmatrix('x')
    s = 1 / (1 + T.exp(-x))
    s2 = (1 + T.tanh(x / 2)) / 2
    for expr in (s, s2):
        logistic = tg.function([x], expr, backend=backend)
        text = tg.debugprint(logistic, file='str')
        assert len([line for line in text.splitlines() if line.startswith('Elemwise')]) == 1
        assert text.count('Elemwise') == 1
        values = np.array([[0, 1], [-1, -2]], dtype='float32')
        np.testing.assert_allclose(logistic(values), scipy.special.expit(values), rtol=1e-6)


def test_logistic_regression_step_updates_in_place(backend):
    rng = np.random.default_rng(1)
    x, y, w, b, p_1, xent, cost, gw, gb = _logistic_regression(rng)
    train = tg.function([x, y], [p_1 > 0.5, xent], updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)],
                        backend=backend)
    xs = rng.standard_normal((6, 5))
    ys = rng.integers(0, 2, 6).astype('float64')
    w0, b0 = w.get_value(), b.get_value()
    reference = tg.function([x, y], [w - 0.1 * gw, b - 0.1 * gb], backend='numpy', rewrites='none')
    new_w, new_b = reference(xs, ys)
    if backend == 'numpy':
        buffer = w.get_value(borrow=True)
        train(xs, ys)
        assert w.get_value(borrow=True) is buffer  # written in place
    else:
        train(xs, ys)
    np.testing.assert_allclose(w.get_value(), new_w, rtol=1e-12)
    np.testing.assert_allclose(b.get_value(), new_b, rtol=1e-12)
    assert not np.allclose(w.get_value(), w0) and b.get_value() != b0


def test_in_place_accumulator_still_returns_the_old_value(backend):
    state = tg.shared(np.zeros(3), name='state')
    inc = T.dvector('inc')
    accumulator = tg.function([inc], state, updates=[(state, state + inc)], backend=backend)
    buffer = state.get_value(borrow=True)
    first = accumulator(np.ones(3))
    second = accumulator(np.full(3, 2.0))
    np.testing.assert_array_equal(first, [0, 0, 0])
    np.testing.assert_array_equal(second, [1, 1, 1])
    np.testing.assert_array_equal(state.get_value(), [3, 3, 3])
    if backend == 'numpy':
        assert state.get_value(borrow=True) is buffer and first is not buffer


def test_a_failing_call_leaves_in_place_targets_unchanged(backend):
    w = tg.shared(np.ones(3), name='w')
    v = T.dvector('v')
    i = T.lscalar('i')
    f = tg.function([v, i], v[i], updates=[(w, w * 2 + v)], backend=backend)
    with pytest.raises(IndexError):
        f(np.ones(3), 10)
    np.testing.assert_array_equal(w.get_value(), [1, 1, 1])
    f(np.ones(3), 0)
    np.testing.assert_array_equal(w.get_value(), [3, 3, 3])


@dataclass(frozen=True)
class Counted(Op):
    """x * 1, counting its runs (a Theano-style op with `perform`)."""

    tag: str
    __props__ = ('tag',)

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        RUNS[self.tag] = RUNS.get(self.tag, 0) + 1
        output_storage[0][0] = np.array(inputs[0], copy=True)


RUNS = {}


def _compile_or_skip(inputs, output, backend):
    try:
        return tg.function(inputs, output, backend=backend)
    except LoweringError as exc:
        pytest.skip(f'{backend} cannot run an op with only `perform`: {exc}')


def test_ifelse_computes_only_the_branch_taken(backend):
    a = T.dscalar('a')
    v = T.dvector('v')
    then, other = Counted(f'then-{backend}'), Counted(f'else-{backend}')
    out = ifelse(T.gt(a, 0), T.sum(then(v)) * 2, T.sum(T.exp(other(v))))
    f = _compile_or_skip([a, v], out, backend)
    RUNS.clear()
    assert float(f(1.0, np.arange(3.0))) == 6.0
    assert RUNS == {then.tag: 1}
    np.testing.assert_allclose(f(-1.0, np.arange(3.0)), np.exp(np.arange(3.0)).sum())
    assert RUNS == {then.tag: 1, other.tag: 1}


def test_nested_ifelse_is_lazy_at_every_level(backend):
    a, c = T.dscalars('a', 'c')
    v = T.dvector('v')
    ops = {name: Counted(f'{name}-{backend}') for name in ('inner_then', 'inner_else', 'outer_else')}
    inner = ifelse(T.gt(c, 0), ops['inner_then'](v)[0] + 1, ops['inner_else'](v)[1] - 1)
    out = ifelse(T.gt(a, 0), inner, T.sum(ops['outer_else'](v)))
    f = _compile_or_skip([a, c, v], out, backend)
    RUNS.clear()
    assert float(f(-1.0, 1.0, np.arange(3.0))) == 3.0
    assert set(RUNS) == {ops['outer_else'].tag}
    RUNS.clear()
    assert float(f(1.0, 1.0, np.arange(3.0))) == 1.0
    assert set(RUNS) == {ops['inner_then'].tag}
    RUNS.clear()
    assert float(f(1.0, -1.0, np.arange(3.0))) == 0.0
    assert set(RUNS) == {ops['inner_else'].tag}


def test_untaken_branch_errors_do_not_surface_on_numpy():
    a = T.dscalar('a')
    v = T.dvector('v')
    i = T.lscalar('i')
    f = tg.function([a, v, i], ifelse(T.gt(a, 0), T.sum(v) * 2, T.exp(v[i])), backend='numpy')
    assert float(f(1.0, np.arange(3.0), 10)) == 6.0  # v[10] is in the branch not taken
    with pytest.raises(IndexError):
        f(-1.0, np.arange(3.0), 10)
