"""Reliability (issue 17): Theano's truthiness, draws made outside a loop, integer
semantics equal to NumPy's, and errors that name the op and the user's line."""
import warnings

import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.random import RandomStreams
from tracegraph.tensor.variable import NoValueError


# -- truthiness: Theano 1.0 ------------------------------------------------------------
class _RBM:
    """The shape of the deeplearning.net RBM: an optional symbolic input."""

    def __init__(self, input=None, n_visible=3, n_hidden=2):
        if not input:
            input = T.matrix('input')
        self.input = input
        self.W = tg.shared(np.linspace(-1, 1, n_visible * n_hidden).reshape(n_visible, n_hidden))

    def hidden(self):
        return T.nnet.sigmoid(T.dot(self.input, self.W))


def test_a_variable_is_truthy_and_a_comparison_refuses_bool(backend):
    x = T.dmatrix('x')
    assert bool(x) and bool(x + 1) and bool(tg.shared(np.zeros(2)))
    rbm = _RBM(input=x)
    assert rbm.input is x
    f = tg.function([x], rbm.hidden(), backend=backend)
    v = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(f(v), 1 / (1 + np.exp(-v @ rbm.W.get_value())))
    v = T.dvector('v')
    for comparison in (v > 0, T.eq(v, 1), T.lt(v, 2), (v > 0) & (v < 1), ~T.neq(v, 0)):
        with pytest.raises(NoValueError, match=r'test_reliability_errors\.py:\d+.*T\.switch'):
            if comparison:  # the user meant the value: refused, naming this line
                pass

    @tg.compile(backend=backend)
    def positive(a):
        if a:  # while tracing, every placeholder refuses bool()
            return a
        return -a
    with pytest.raises(NoValueError, match='bool'):
        positive(np.ones(2))


# -- scan: a draw made outside fn is redrawn at every step ------------------------------
def test_a_draw_made_outside_fn_is_redrawn_each_step_unless_a_non_sequence(backend):
    # Theano's loop tutorial: d = trng.binomial(size=W[1].shape), built outside fn
    trng = RandomStreams(1234)
    W = tg.shared(np.ones((2, 40)), name='W')
    d = trng.binomial(size=W[1].shape)
    X = T.dmatrix('X')
    redrawn, updates = tg.scan(lambda v: T.dot(v, W) * d, sequences=X)
    assert d.rng in updates  # the stream advances inside the loop
    once, none = tg.scan(lambda v, dd: T.dot(v, W) * dd, sequences=X, non_sequences=d)
    assert none == {}
    f = tg.function([X], [redrawn, once], updates=updates, backend=backend)
    rows, same = f(np.ones((4, 2)))
    masks = rows / 2.0
    assert set(np.unique(masks)) <= {0.0, 1.0}
    assert len({m.tobytes() for m in masks}) == 4  # a different mask on every row
    assert len({m.tobytes() for m in same}) == 1   # drawn once: every row equal
    again, _ = f(np.ones((4, 2)))
    assert not np.array_equal(again, rows)  # the stream's update was applied


# -- integer semantics: NumPy's, on every backend ----------------------------------------
def test_integer_division_modulo_and_power_follow_numpy(backend):
    a, b = T.lvector('a'), T.lvector('b')
    small = T.bvector('s')
    f = tg.function([a, b, small], [a // b, a % b, small // -1, small % -1, a ** 3],
                    backend=backend)
    lo = np.iinfo(np.int64).min
    x = np.array([lo, lo, 7, -7, 7, -7, 0, 5, 3])
    y = np.array([-1, 1, 0, 0, -2, 2, 0, 3, -1])
    s = np.array([-128, 5, -3], dtype='int8')
    with np.errstate(all='ignore'):
        expected = [x // y, x % y, s // np.int8(-1), s % np.int8(-1), x ** 3]
    with np.errstate(all='ignore'), warnings.catch_warnings():
        warnings.simplefilter('ignore')  # NumPy warns on // 0 and % 0; the values are checked
        got = f(x, y, s)
    for g, e in zip(got, expected):
        assert g.dtype == e.dtype
        np.testing.assert_array_equal(g, e)
    power = tg.function([a, b], a ** b, backend=backend)
    np.testing.assert_array_equal(power(np.array([2, 3]), np.array([0, 2])), [1, 9])
    with pytest.raises(ValueError, match='Integers to negative integer powers are not allowed'):
        power(np.array([2, 3]), np.array([-1, 2]))

