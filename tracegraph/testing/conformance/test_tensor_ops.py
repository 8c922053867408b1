"""Every T.* function against NumPy, computed independently, on every backend."""
import numpy as np
import pytest
import scipy.special

import tracegraph as tg
import tracegraph.tensor as T

RNG = np.random.default_rng(42)


def _run(backend, inputs, output, *values):
    f = tg.function(inputs, output, backend=backend, on_unused_input='ignore')
    return f(*values)


def _check(backend, inputs, output, values, expected, rtol=1e-6, atol=1e-7):
    out = _run(backend, inputs, output, *values)
    expected = np.asarray(expected)
    assert np.asarray(out).dtype == expected.dtype, (np.asarray(out).dtype, expected.dtype)
    np.testing.assert_allclose(np.asarray(out), expected, rtol=rtol, atol=atol)


POSITIVE = RNG.uniform(0.5, 2.0, size=(3, 4))
UNIT = RNG.uniform(-0.9, 0.9, size=(3, 4))
ANY = RNG.standard_normal((3, 4))

UNARY = [
    ('exp', T.exp, np.exp, ANY), ('log', T.log, np.log, POSITIVE), ('log1p', T.log1p, np.log1p, POSITIVE),
    ('expm1', T.expm1, np.expm1, ANY), ('sqrt', T.sqrt, np.sqrt, POSITIVE), ('sqr', T.sqr, np.square, ANY),
    ('abs_', T.abs_, np.abs, ANY), ('sin', T.sin, np.sin, ANY), ('cos', T.cos, np.cos, ANY),
    ('tan', T.tan, np.tan, UNIT), ('tanh', T.tanh, np.tanh, ANY), ('sinh', T.sinh, np.sinh, ANY),
    ('cosh', T.cosh, np.cosh, ANY), ('arcsin', T.arcsin, np.arcsin, UNIT),
    ('arccos', T.arccos, np.arccos, UNIT), ('arctan', T.arctan, np.arctan, ANY),
    ('floor', T.floor, np.floor, ANY * 3), ('ceil', T.ceil, np.ceil, ANY * 3),
    ('sgn', T.sgn, np.sign, ANY), ('erf', T.erf, scipy.special.erf, ANY),
    ('sigmoid', T.sigmoid, scipy.special.expit, ANY * 5),
    ('softplus', T.softplus, lambda x: np.log1p(np.exp(x)), ANY * 5),
    ('neg', lambda x: -x, np.negative, ANY), ('nnet.sigmoid', T.nnet.sigmoid, scipy.special.expit, ANY),
    ('nnet.relu', T.nnet.relu, lambda x: np.maximum(x, 0), ANY),
    ('hard_sigmoid', T.nnet.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1), ANY * 4),
    ('isnan', T.isnan, np.isnan, np.array([[np.nan, 1.0], [np.inf, -2.0]])),
    ('isinf', T.isinf, np.isinf, np.array([[np.nan, 1.0], [np.inf, -2.0]])),
]


@pytest.mark.parametrize('name,fn,ref,data', UNARY, ids=[u[0] for u in UNARY])
def test_unary(backend, name, fn, ref, data):
    x = T.dmatrix('x')
    _check(backend, [x], fn(x), [data], ref(data))


def test_unary_float32_stays_float32(backend):
    x = T.fmatrix('x')
    data = ANY.astype('float32')
    _check(backend, [x], T.tanh(x) * 2.5 + 1, [data], np.tanh(data) * np.float32(2.5) + np.float32(1),
           rtol=1e-5)


@pytest.mark.filterwarnings('error::RuntimeWarning')
def test_sigmoid_at_its_extremes_and_every_size(backend):
    """exp(-x) overflows below -88 (float32): the result is the right 0, without a
    warning, NaN stays NaN, and the value is the same whether the array is small (one
    whole-array pass) or large (blocks, chunks); float64 expit is the reference."""
    x = T.fvector('x')
    f = tg.function([x], T.nnet.sigmoid(x), backend=backend)
    edges = np.array([-1e4, -100, -88.5, -20, 0, 20, 1e4, np.nan], dtype='float32')
    for n in (8, 300_000, 1 << 22):   # whole arrays, then blocks on threads (kernels/blocked.py)
        data = np.resize(edges, n) * np.float32(1 + 1e-6 * (np.arange(n) % 7))
        got = np.asarray(f(data))
        want = scipy.special.expit(data.astype('float64'))
        assert got.dtype == np.float32
        # Below -88.7, 1 / (1 + inf) gives 0 where expit gives a subnormal (< 1.2e-38).
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=np.finfo(np.float32).tiny)
        assert np.isnan(got[7]) and got[0] == 0


def test_round_modes(backend):
    x = T.dvector('x')
    data = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999999999999994, 1.2])
    away = np.sign(data) * np.floor(np.abs(data) + 0.5)
    away[6] = 0.0
    _check(backend, [x], T.round_(x), [data], away)
    _check(backend, [x], T.round_(x, 'half_to_even'), [data], np.rint(data))


BINARY = [
    ('add', lambda a, b: a + b, np.add), ('sub', lambda a, b: a - b, np.subtract),
    ('mul', lambda a, b: a * b, np.multiply), ('div', lambda a, b: a / b, np.true_divide),
    ('pow', lambda a, b: abs(a) ** b, lambda a, b: np.abs(a) ** b),
    ('maximum', T.maximum, np.maximum), ('minimum', T.minimum, np.minimum),
    ('arctan2', T.arctan2, np.arctan2), ('eq', T.eq, np.equal), ('neq', T.neq, np.not_equal),
    ('lt', lambda a, b: a < b, np.less), ('le', T.le, np.less_equal),
    ('gt', lambda a, b: a > b, np.greater), ('ge', lambda a, b: a >= b, np.greater_equal),
]


@pytest.mark.parametrize('name,fn,ref', BINARY, ids=[b[0] for b in BINARY])
def test_binary_with_broadcasting(backend, name, fn, ref):
    a, b = T.dmatrix('a'), T.drow('b')
    va, vb = RNG.standard_normal((3, 4)), RNG.standard_normal((1, 4))
    vb[0, 0] = va[0, 0]  # so eq/neq see both outcomes
    _check(backend, [a, b], fn(a, b), [va, vb], ref(va, vb))


def test_integer_arithmetic(backend):
    a, b = T.ivector('a'), T.ivector('b')
    va = np.array([7, -7, 8, -9], dtype='int32')
    vb = np.array([2, 2, -3, 4], dtype='int32')
    _check(backend, [a, b], a // b, [va, vb], va // vb)
    _check(backend, [a, b], a % b, [va, vb], va % vb)
    _check(backend, [a, b], a / b, [va, vb], va / vb)
    _check(backend, [a, b], a * 3 + 1, [va, vb], va * np.int32(3) + np.int32(1))
    _check(backend, [a, b], (a & b) | (a ^ b), [va, vb], (va & vb) | (va ^ vb))
    _check(backend, [a, b], ~a, [va, vb], ~va)


def test_logic_on_bools(backend):
    a, b = T.dvector('a'), T.dvector('b')
    va, vb = np.array([1.0, -1.0, 2.0]), np.array([0.0, 0.0, 3.0])
    _check(backend, [a, b], T.and_(a > 0, b > 0) | T.xor(a > 0, b > 0), [va, vb],
           ((va > 0) & (vb > 0)) | ((va > 0) ^ (vb > 0)))
    _check(backend, [a, b], T.invert(a > 0), [va, vb], ~(va > 0))


def test_switch_where_clip(backend):
    x = T.dvector('x')
    v = np.array([-2.0, -0.5, 0.5, 2.0])
    _check(backend, [x], T.switch(x > 0, x, 0), [v], np.where(v > 0, v, 0.0))
    _check(backend, [x], T.where(x > 0, 1, x * 2), [v], np.where(v > 0, 1.0, v * 2))
    _check(backend, [x], T.clip(x, -1, 1), [v], np.clip(v, -1, 1))


def test_python_scalars_do_not_upcast_float32(backend):
    x = T.fvector('x')
    out = x * 2.5 + 1 - 0.1
    assert out.dtype == 'float32'
    v = np.array([1.0, 2.0], dtype='float32')
    _check(backend, [x], out, [v], v * np.float32(2.5) + np.float32(1) - np.float32(0.1))


def test_numpy_arrays_promote(backend):
    x = T.fvector('x')
    out = x * np.array([1.0, 2.0])  # a float64 array promotes, as in NumPy
    assert out.dtype == 'float64'
    v = np.array([3.0, 4.0], dtype='float32')
    _check(backend, [x], out, [v], v * np.array([1.0, 2.0]))


def test_cast_and_astype(backend):
    x = T.dvector('x')
    v = np.array([1.7, -2.2, 3.5])
    _check(backend, [x], T.cast(x, 'int32'), [v], v.astype('int32'))
    _check(backend, [x], x.astype('float32'), [v], v.astype('float32'))
    _check(backend, [x], T.cast(x > 0, 'floatX'), [v], (v > 0).astype(tg.config.floatX))


REDUCTIONS = [
    ('sum', lambda x, **k: x.sum(**k), np.sum), ('mean', lambda x, **k: x.mean(**k), np.mean),
    ('max', lambda x, **k: x.max(**k), np.max), ('min', lambda x, **k: x.min(**k), np.min),
    ('prod', lambda x, **k: x.prod(**k), np.prod), ('var', lambda x, **k: T.var(x, **k), np.var),
    ('std', lambda x, **k: T.std(x, **k), np.std),
]


@pytest.mark.parametrize('axis', [None, 0, 1, (0, 2), -1])
@pytest.mark.parametrize('keepdims', [False, True])
@pytest.mark.parametrize('name,fn,ref', REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reductions(backend, name, fn, ref, axis, keepdims):
    x = T.dtensor3('x')
    v = RNG.uniform(0.5, 1.5, size=(2, 3, 4))
    _check(backend, [x], fn(x, axis=axis, keepdims=keepdims), [v], ref(v, axis=axis, keepdims=keepdims))


def test_integer_sum_and_mean(backend):
    x = T.imatrix('x')
    v = np.arange(12, dtype='int32').reshape(3, 4)
    _check(backend, [x], x.sum(axis=0), [v], v.sum(axis=0))
    _check(backend, [x], x.mean(), [v], v.mean())


@pytest.mark.parametrize('axis', [None, 0, 1])
def test_argmax_argmin(backend, axis):
    x = T.dmatrix('x')
    v = RNG.standard_normal((3, 5))
    _check(backend, [x], x.argmax(axis=axis), [v], np.argmax(v, axis=axis))
    _check(backend, [x], T.argmin(x, axis=axis), [v], np.argmin(v, axis=axis))


def test_cumsum_cumprod(backend):
    x = T.dmatrix('x')
    v = RNG.uniform(0.5, 1.5, size=(3, 4))
    _check(backend, [x], T.cumsum(x, axis=1), [v], np.cumsum(v, axis=1))
    _check(backend, [x], T.cumprod(x, axis=0), [v], np.cumprod(v, axis=0))
    _check(backend, [x], T.cumsum(x), [v], np.cumsum(v))


def test_dot_shapes(backend):
    a, b, v, w = T.dmatrix('a'), T.dmatrix('b'), T.dvector('v'), T.dvector('w')
    va, vb, vv, vw = (RNG.standard_normal(s) for s in [(3, 4), (4, 2), (4,), (4,)])
    _check(backend, [a, b], T.dot(a, b), [va, vb], va @ vb)
    _check(backend, [a, v], T.dot(a, v), [va, vv], va @ vv)
    _check(backend, [v, w], T.dot(v, w), [vv, vw], vv @ vw)
    _check(backend, [a, b], a.T.dot(a), [va, vb], va.T @ va)
    _check(backend, [a, v], a @ v, [va, vv], va @ vv)
    _check(backend, [v, w], T.outer(v, w), [vv, vw], np.outer(vv, vw))


@pytest.mark.parametrize('dtype', ['int8', 'int32', 'int64', 'bool'])
def test_integer_and_boolean_dot(backend, dtype):
    """NumPy's dtype and values: narrow integers wrap, a boolean product is `any(a & b)`."""
    v, w, A, B = (T.tensor(dtype, (None,) * n, name=k) for n, k in [(1, 'v'), (1, 'w'), (2, 'A'), (2, 'B')])
    big = np.iinfo(dtype).max // 2 if dtype != 'bool' else 1
    values = [RNG.integers(-big if dtype != 'bool' else 0, big + 1, size=s).astype(dtype)
              for s in [(9,), (9,), (5, 9), (9, 4)]]
    vv, vw, vA, vB = values
    f = tg.function([v, w, A, B], [T.dot(v, w), T.dot(A, w), T.dot(v, B), T.dot(A, B)], backend=backend)
    for got, want in zip(f(*values), [np.dot(vv, vw), np.dot(vA, vw), np.dot(vv, vB), np.dot(vA, vB)]):
        assert np.asarray(got).dtype == want.dtype and np.array_equal(got, want), (got, want)

def test_tensordot(backend):
    a, b = T.dtensor3('a'), T.dtensor3('b')
    va, vb = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((3, 4, 5))
    _check(backend, [a, b], T.tensordot(a, b, axes=2), [va, vb], np.tensordot(va, vb, axes=2))
    _check(backend, [a, b], T.tensordot(a, b, axes=[[1], [0]]), [va, vb],
           np.tensordot(va, vb, axes=[[1], [0]]))


def test_basic_indexing(backend):
    x = T.dmatrix('x')
    i = T.lscalar('i')
    v = RNG.standard_normal((5, 4))
    _check(backend, [x], x[1:3], [v], v[1:3])
    _check(backend, [x], x[-1], [v], v[-1])
    _check(backend, [x], x[::2, 1], [v], v[::2, 1])
    _check(backend, [x], x[None, 1:, :2], [v], v[None, 1:, :2])
    _check(backend, [x, i], x[i], [v, 2], v[2])
    _check(backend, [x, i], x[i:, i - 1], [v, 2], v[2:, 1])
    _check(backend, [x], x[..., 0], [v], v[..., 0])


def test_integer_array_indexing(backend):
    x = T.dmatrix('x')
    idx = T.lvector('idx')
    v = RNG.standard_normal((5, 4))
    _check(backend, [x, idx], x[idx], [v, [0, 3, 3]], v[[0, 3, 3]])
    _check(backend, [x, idx], x[idx, 1:], [v, [4, 0]], v[[4, 0], 1:])
    _check(backend, [x, idx], x[T.arange(2), idx], [v, [1, 2]], v[np.arange(2), [1, 2]])
    _check(backend, [x], x[x[:, 0] > 0], [v], v[v[:, 0] > 0])


def test_set_and_inc_subtensor(backend):
    x = T.dmatrix('x')
    y = T.dvector('y')
    idx = T.lvector('idx')
    v, w = RNG.standard_normal((4, 3)), RNG.standard_normal(3)
    expected = v.copy()
    expected[1] = w
    _check(backend, [x, y], T.set_subtensor(x[1], y), [v, w], expected)
    expected = v.copy()
    expected[1:3] += w
    _check(backend, [x, y], T.inc_subtensor(x[1:3], y), [v, w], expected)
    expected = v.copy()
    np.add.at(expected, [0, 2, 0], w)
    _check(backend, [x, y, idx], T.inc_subtensor(x[idx], y), [v, w, [0, 2, 0]], expected)


def test_shape_functions(backend):
    x = T.dtensor3('x')
    v = RNG.standard_normal((2, 3, 4))
    _check(backend, [x], x.shape, [v], np.array(v.shape, dtype='int64'))
    _check(backend, [x], x.reshape((4, 6)), [v], v.reshape(4, 6))
    _check(backend, [x], x.reshape((-1, 2)), [v], v.reshape(-1, 2))
    _check(backend, [x], x.reshape((x.shape[0], -1)), [v], v.reshape(2, -1))
    _check(backend, [x], x.flatten(), [v], v.flatten())
    _check(backend, [x], x.flatten(2), [v], v.reshape(2, -1))
    _check(backend, [x], x.dimshuffle(2, 'x', 0, 1), [v], v.transpose(2, 0, 1)[:, None])
    _check(backend, [x], x.transpose(1, 0, 2), [v], v.transpose(1, 0, 2))
    _check(backend, [x], T.shape(x)[1], [v], np.int64(3))


def test_join_and_stack(backend):
    a, b = T.dmatrix('a'), T.dmatrix('b')
    va, vb = RNG.standard_normal((2, 3)), RNG.standard_normal((4, 3))
    _check(backend, [a, b], T.concatenate([a, b], axis=0), [va, vb], np.concatenate([va, vb]))
    _check(backend, [a, b], T.stack([a, a * 2], axis=1), [va, vb], np.stack([va, va * 2], axis=1))
    s = T.dscalar('s')
    _check(backend, [s], T.stack([s, s + 1, 2 * s]), [3.0], np.array([3.0, 4.0, 6.0]))


def test_array_makers(backend):
    n = T.lscalar('n')
    x = T.dmatrix('x')
    v = RNG.standard_normal((2, 3))
    _check(backend, [n], T.zeros((n, 2)), [3], np.zeros((3, 2), dtype=tg.config.floatX))
    _check(backend, [n], T.ones((2, n), dtype='int32'), [3], np.ones((2, 3), dtype='int32'))
    _check(backend, [n], T.eye(n), [3], np.eye(3))
    _check(backend, [n], T.arange(n), [4], np.arange(4))
    _check(backend, [n], T.arange(1, n, 2), [8], np.arange(1, 8, 2))
    _check(backend, [x], T.zeros_like(x) + T.ones_like(x) * 2, [v], np.full((2, 3), 2.0))
    _check(backend, [x, n], T.alloc(x[0], n, 3), [v, 2], np.broadcast_to(v[0], (2, 3)))
    _check(backend, [x], T.fill(x, 7.0), [v], np.full((2, 3), 7.0))


def test_nnet_functions(backend):
    x = T.dmatrix('x')
    t = T.dmatrix('t')
    y = T.lvector('y')
    vx = RNG.standard_normal((4, 3))
    vt = RNG.uniform(0.05, 0.95, size=(4, 3))
    vy = np.array([0, 2, 1, 2])
    e = np.exp(vx - vx.max(axis=1, keepdims=True))
    sm = e / e.sum(axis=1, keepdims=True)
    _check(backend, [x], T.nnet.softmax(x), [vx], sm)
    p = scipy.special.expit(vx)
    _check(backend, [x, t], T.nnet.binary_crossentropy(T.nnet.sigmoid(x), t), [vx, vt],
           -(vt * np.log(p) + (1 - vt) * np.log(1 - p)))
    _check(backend, [x, y], T.nnet.categorical_crossentropy(T.nnet.softmax(x), y), [vx, vy],
           -np.log(sm[np.arange(4), vy]))
    _check(backend, [x, t], T.nnet.categorical_crossentropy(T.nnet.softmax(x), t), [vx, vt],
           -(vt * np.log(sm)).sum(axis=1))


def test_ultra_fast_sigmoid_is_close_to_sigmoid(backend):
    x = T.dvector('x')
    v = np.linspace(-8, 8, 101)
    out = _run(backend, [x], T.nnet.ultra_fast_sigmoid(x), v)
    assert np.max(np.abs(out - scipy.special.expit(v))) < 0.03


def test_ifelse_picks_a_branch(backend):
    from tracegraph.ifelse import ifelse
    a, b = T.dscalars('a', 'b')
    x = T.dvector('x')
    f = tg.function([a, b, x], ifelse(T.lt(a, b), T.mean(x), T.max(x)), backend=backend)
    v = np.array([1.0, 2.0, 6.0])
    assert float(f(1, 2, v)) == pytest.approx(3.0)
    assert float(f(3, 2, v)) == pytest.approx(6.0)
