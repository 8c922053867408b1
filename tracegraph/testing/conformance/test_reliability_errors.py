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
    a, b, e = T.lvectors('a', 'b', 'e')
    small = T.bvector('s')
    f = tg.function([a, b, small, e], [a // b, a % b, small // -1, small % -1, a ** 3, a ** e],
                    backend=backend)
    lo = np.iinfo(np.int64).min
    x = np.array([lo, lo, 7, -7, 7, -7, 0, 5, 3])
    y = np.array([-1, 1, 0, 0, -2, 2, 0, 3, -1])
    s = np.array([-128, 5, -3], dtype='int8')
    powers = np.array([0, 1, 2, 3, 0, 1, 5, 2, 40])
    with np.errstate(all='ignore'):
        expected = [x // y, x % y, s // np.int8(-1), s % np.int8(-1), x ** 3, x ** powers]
    with np.errstate(all='ignore'), warnings.catch_warnings():
        warnings.simplefilter('ignore')  # NumPy warns on // 0 and % 0; the values are checked
        got = f(x, y, s, powers)
        for g, want in zip(got, expected):
            assert g.dtype == want.dtype
            np.testing.assert_array_equal(g, want)
        with pytest.raises(ValueError, match='Integers to negative integer powers are not allowed'):
            f(x, y, s, powers - 1)


# -- run-time errors name the op and the user's line -------------------------------------
def _fails(exc_type, op_text, call):
    """`call()` raises `exc_type` naming `op_text` and a line of this file."""
    with pytest.raises(exc_type) as info:
        call()
    text = str(info.value)
    assert op_text in text and 'test_reliability_errors.py' in text, text
    return info.value


def _boom(v):
    if v[0] < 0:
        raise KeyError('raised inside the user op')
    return v


def test_shape_alloc_and_user_op_errors_name_the_op_and_line(backend):
    from tracegraph.compiler.ops import as_op
    x, y, z, w = T.dvectors('x', 'y', 'z', 'w')
    m, n = T.dmatrix('m'), T.lscalar('n')
    user_op = as_op(itypes=[T.dvector], otypes=[T.dvector])(_boom)
    outs = [x.reshape((3, 4)),
            T.concatenate([m, y.reshape((1, -1))]),
            T.stack([y, z]),
            T.alloc(0.0, n),
            user_op(w) * 2]
    f = tg.function([x, m, y, z, n, w], outs, backend=backend)
    good = dict(x=np.ones(12), m=np.ones((2, 3)), y=np.ones(3), z=np.ones(3), n=2, w=np.ones(1))
    got = f(**good)
    np.testing.assert_array_equal(got[1], np.ones((3, 3)))
    np.testing.assert_array_equal(got[3], np.zeros(2))

    def call(**bad):
        return lambda: f(**{**good, **bad})
    _fails(ValueError, 'x.reshape((3, 4))', call(x=np.ones(10)))
    _fails(ValueError, 'T.concatenate', call(m=np.ones((2, 4))))
    _fails(ValueError, 'T.stack', call(z=np.ones(2)))
    _fails(ValueError, 'T.alloc', call(n=-3))
    _fails(MemoryError, 'T.alloc', call(n=10 ** 12))  # 8 TB: an error, not a crash
    raised = _fails(KeyError, 'user_op(w)', call(w=-np.ones(1)))
    assert isinstance(raised.__cause__, KeyError)
    # input conversion names the input, and never parses text as numbers
    with pytest.raises(TypeError, match="input 'x'.*text"):
        f(**{**good, 'x': 'abc'})
    with pytest.raises(ValueError, match="input 'x'"):
        f(**{**good, 'x': [[1.0], [1.0, 2.0]]})
    g = tg.function([x], x * 2, allow_input_downcast=True, backend='numpy')  # the core's rule
    with pytest.raises(TypeError, match="input 'x'.*text"):
        g(['1', '2'])


def test_compile_names_a_ragged_or_none_argument(backend):
    @tg.compile(backend=backend)
    def step(x, y):
        return T.exp(x) + y
    with pytest.raises(TypeError, match=r'argument x is a ragged nested list'):
        step([[1.0], [1.0, 2.0]], np.ones(1))
    with pytest.raises(TypeError, match=r'argument\(s\) y were passed as None'):
        step(np.ones(2), None)
