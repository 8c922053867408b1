"""@tg.compile: tracing once per signature, the cache, containers, statics, updates."""
import collections
import dataclasses
import functools
import logging
import shutil

import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T


class Counted:
    """A decorated function whose body counts how often it is traced."""

    def __init__(self, body, backend, **options):
        self.traces = 0

        @functools.wraps(body)  # keeps body's signature: parameter names, defaults
        def counted(*args, **kwargs):
            self.traces += 1
            return body(*args, **kwargs)
        self.fn = tg.compile(counted, backend=backend, **options)

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)


def test_traced_once_per_signature_and_again_for_new_dtype_rank_or_pattern(backend):
    def affine(x, w):
        return T.tanh(x * w) + 1
    f = Counted(affine, backend)
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((4, 3)), rng.standard_normal(3)
    for _ in range(3):
        np.testing.assert_allclose(f(x, w), np.tanh(x * w) + 1, rtol=1e-12)
    assert f.traces == 1
    x8 = rng.standard_normal((8, 3))  # other lengths, same signature
    np.testing.assert_allclose(f(x8, w), np.tanh(x8 * w) + 1, rtol=1e-12)
    assert f.traces == 1
    out32 = f(x.astype('float32'), w.astype('float32'))  # new dtype
    assert f.traces == 2 and out32.dtype == np.float32
    np.testing.assert_allclose(out32, np.tanh(x * w) + 1, rtol=1e-5)
    x3 = rng.standard_normal((2, 4, 3))  # new rank
    np.testing.assert_allclose(f(x3, w), np.tanh(x3 * w) + 1, rtol=1e-12)
    assert f.traces == 3
    row = rng.standard_normal((1, 3))  # new broadcast pattern
    np.testing.assert_allclose(f(row, w), np.tanh(row * w) + 1, rtol=1e-12)
    assert f.traces == 4
    for args in [(x, w), (x8, w), (row, w)]:  # each signature is still cached
        f(*args)
    assert f.traces == 4 and f.fn.cache_size == 4


def test_same_results_and_dtypes_as_the_equivalent_tg_function(backend):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((5, 3)).astype('float32')
    b = rng.standard_normal((3, 2)).astype('float32')

    @tg.compile(backend=backend)
    def traced(x, y):
        h = T.dot(x, y)
        return T.nnet.sigmoid(h).sum(axis=0), T.maximum(h, 0).mean(), (x ** 2).max()

    x, y = T.fmatrix('x'), T.fmatrix('y')
    h = T.dot(x, y)
    reference = tg.function([x, y], [T.nnet.sigmoid(h).sum(axis=0), T.maximum(h, 0).mean(),
                                     (x ** 2).max()], backend=backend)
    got, want = traced(a, b), reference(a, b)
    assert isinstance(got, tuple) and len(got) == 3
    for g, w in zip(got, want):
        assert np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_allclose(g, w, rtol=1e-6)
    h64 = a.astype('float64') @ b.astype('float64')
    np.testing.assert_allclose(got[0], (1 / (1 + np.exp(-h64))).sum(axis=0), rtol=1e-5)


def test_python_and_numpy_scalars(backend):
    f = Counted(lambda x, y: x * y + 1, backend)
    assert float(f(2.0, 3.0)) == 7.0 and np.asarray(f(2.0, 3.0)).dtype == np.float64
    assert np.asarray(f(2, 3)).dtype == np.int64 and int(f(2, 3)) == 7
    out = f(np.float32(2), np.float32(3))
    assert np.asarray(out).dtype == np.float32 and float(out) == 7.0
    # a 0-d float64 array and a Python float share a signature (and a trace)
    traces = f.traces
    assert float(f(np.array(2.0), 3.0)) == 7.0 and f.traces == traces
    # alternating argument classes keeps giving the right answers
    for k in range(4):
        assert float(f(float(k), np.array(2.0))) == 2 * k + 1
        assert float(f(np.array(float(k)), 2.0)) == 2 * k + 1
    assert f.traces == traces


def test_static_arguments_drive_python_control_flow(backend):
    def power(x, n, mode='plain'):
        result = x
        for _ in range(n - 1):
            result = result * x
        if mode == 'negate':
            result = -result
        return result
    f = Counted(power, backend, static_argnums=(1,), static_argnames=('mode',))
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(f(x, 3), x ** 3)
    np.testing.assert_allclose(f(x, 3), x ** 3)
    assert f.traces == 1
    np.testing.assert_allclose(f(x, n=3), x ** 3)  # the same call, by keyword
    assert f.traces == 1
    np.testing.assert_allclose(f(x, 2), x ** 2)
    assert f.traces == 2
    np.testing.assert_allclose(f(x, 2, mode='negate'), -x ** 2)
    assert f.traces == 3
    with pytest.raises(TypeError, match='static argument.*hashable'):
        f(x, [2])


def test_containers_in_and_out(backend):
    Pair = collections.namedtuple('Pair', 'w b')

    @dataclasses.dataclass
    class Layer:
        w: object
        b: object

    def body(params, batch):
        x, y = batch['x'], batch['y']
        layer = params[0]
        pred = T.dot(x, layer.w) + layer.b + params[1].w * params[1].b
        err = pred - y
        return {'loss': (err ** 2).mean(), 'parts': [pred, Pair(err, params[1].b)],
                'layer': Layer(layer.w * 2, layer.b)}
    f = Counted(body, backend)
    rng = np.random.default_rng(2)
    w, b = rng.standard_normal((3, 2)), rng.standard_normal(2)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    out = f((Layer(w, b), Pair(1.5, 2.0)), {'x': x, 'y': y})
    pred = x @ w + b + 3.0
    assert set(out) == {'loss', 'parts', 'layer'}
    np.testing.assert_allclose(out['loss'], ((pred - y) ** 2).mean(), rtol=1e-12)
    assert isinstance(out['parts'], list) and isinstance(out['parts'][1], Pair)
    np.testing.assert_allclose(out['parts'][0], pred, rtol=1e-12)
    np.testing.assert_allclose(out['parts'][1].w, pred - y, rtol=1e-12)
    assert isinstance(out['layer'], Layer)
    np.testing.assert_allclose(out['layer'].w, 2 * w)
    f((Layer(w, b), Pair(0.5, 2.0)), {'x': x, 'y': y})
    assert f.traces == 1
    f([Layer(w, b), Pair(0.5, 2.0)], {'x': x, 'y': y})  # a list, not a tuple: new structure
    assert f.traces == 2


def test_keyword_arguments_and_defaults(backend):
    f = Counted(lambda x, scale=2.0, *, shift: x * scale + shift, backend)
    x = np.arange(3.0)
    np.testing.assert_allclose(f(x, shift=1.0), x * 2 + 1)
    np.testing.assert_allclose(f(x, 3.0, shift=1.0), x * 3 + 1)
    np.testing.assert_allclose(f(x, scale=4.0, shift=1.0), x * 4 + 1)
    assert f.traces == 2  # scale given or not: two signatures
    with pytest.raises(TypeError, match='shift'):
        f(x)


def test_updates_inside_have_tg_function_semantics(backend):
    state = tg.shared(0, name='state')

    @tg.compile(backend=backend)
    def accumulator(inc):
        tg.update(state, state + inc)
        return state  # the OLD value, as with tg.function's updates

    assert int(accumulator(np.int64(1))) == 0
    assert int(accumulator(np.int64(300))) == 1
    assert int(state.get_value()) == 301
    state.set_value(-1)  # the captured shared variable is read at each call, not traced in
    assert int(accumulator(np.int64(3))) == -1
    assert int(state.get_value()) == 2

    a, b = tg.shared(np.float64(1.0), name='a'), tg.shared(np.float64(10.0), name='b')

    @tg.compile(backend=backend)
    def swap():
        tg.update(a, b)
        tg.update(b, a)  # both read the values from before the call

    assert swap() is None
    assert (float(a.get_value()), float(b.get_value())) == (10.0, 1.0)


def test_update_errors(backend):
    state = tg.shared(0.0, name='state')
    with pytest.raises(RuntimeError, match='no trace is in progress'):
        tg.update(state, state + 1)

    @tg.compile(backend=backend)
    def twice(x):
        tg.update(state, state + x)
        tg.update(state, state - x)
        return x
    with pytest.raises(ValueError, match='updated twice'):
        twice(1.0)

    @tg.compile(backend=backend)
    def not_shared(x):
        tg.update(x, x + 1)
        return x
    with pytest.raises(TypeError, match='not a shared variable'):
        not_shared(1.0)


def test_compiled_functions_compose(backend):
    inner = Counted(lambda x: T.exp(x) - 1, backend)

    @tg.compile(backend=backend)
    def outer(x):
        return inner(x) * 2  # called with a placeholder: builds the graph in place

    x = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(outer(x), 2 * np.expm1(x), rtol=1e-12)
    assert inner.fn.cache_size == 0
    np.testing.assert_allclose(inner(x), np.expm1(x), rtol=1e-12)


def test_results_do_not_alias_arguments(backend):
    f = tg.compile(lambda x: x, backend=backend)
    x = np.arange(3.0)
    out = f(x)
    out[0] = 99.0
    assert x[0] == 0.0


def test_donated_arguments(backend):
    f = tg.compile(lambda x, y: x * 2 + y, backend=backend, donate_argnums=(0,))
    y = np.ones(4)
    for k in range(3):
        x = np.full(4, float(k))
        np.testing.assert_allclose(f(x, y), 2 * k + 1)
    with pytest.raises(ValueError, match='static and donated'):
        tg.compile(lambda x, n: x, static_argnums=1, donate_argnums=1)
    with pytest.raises(ValueError, match=r'donate_argnums \[2\]'):
        tg.compile(lambda x, n: x, donate_argnums=2)
    with pytest.raises(ValueError, match=r"static_argnames \['nn'\] name no parameter"):
        tg.compile(lambda x, n: x, static_argnames='nn')


def test_lower_returns_the_traced_graph_without_running_it(backend, tmp_path):
    f = Counted(lambda x, y: {'s': T.tanh(x).sum(), 'd': x * y}, backend)
    traced = f.fn.lower(np.ones(3), 2.0)
    assert f.traces == 1
    assert [p.name for p in traced.inputs] == ['x', 'y']
    assert [p.type.dtype for p in traced.inputs] == ['float64', 'float64']
    assert len(traced.outputs) == 2
    text = tg.debugprint(traced, file='str')
    assert 'tanh' in text.lower() and 'x' in text
    if shutil.which('dot'):  # pydotprint needs Graphviz's program
        tg.pydotprint(traced, str(tmp_path / 'graph.svg'))
        assert (tmp_path / 'graph.svg').read_text().lstrip().startswith(('<?xml', '<svg'))
    out = f(np.ones(3), 2.0)  # compiles the trace made by lower, does not trace again
    assert f.traces == 1
    np.testing.assert_allclose(out['s'], 3 * np.tanh(1.0))


def test_explain_cache_miss(backend, caplog):
    f = tg.compile(lambda x, n: x * n, backend=backend, static_argnums=1,
                   explain_cache_misses=True)
    f(np.ones(3), 2)
    assert f.explain_cache_miss(np.zeros(5), 2).startswith('cache hit')
    assert 'dtype float32' in f.explain_cache_miss(np.ones(3, 'float32'), 2)
    assert '2 dimension(s)' in f.explain_cache_miss(np.ones((2, 3)), 2)
    assert 'axis 0' in f.explain_cache_miss(np.ones(1), 2)
    assert "static argument 1 is 3" in f.explain_cache_miss(np.ones(3), 3)
    assert 'structure' in f.explain_cache_miss((np.ones(3),), 2)
    with caplog.at_level(logging.WARNING, logger='tracegraph.trace'):
        f(np.ones(3, 'float32'), 2)
    assert 'dtype float32' in caplog.text


def test_bad_arguments_get_clear_errors(backend):
    f = tg.compile(lambda x, mode: x, backend=backend)
    with pytest.raises(TypeError, match=r"argument mode is a str.*static_argnames=\('mode',\)"):
        f(np.ones(2), 'fast')
    g = tg.compile(lambda x: x, backend=backend)
    with pytest.raises(TypeError, match='g|<lambda>'):
        g(np.ones(2), np.ones(2))
    leaked = []

    @tg.compile(backend=backend)
    def keep(x):
        leaked.append(x)
        return x

    keep(1.0)

    @tg.compile(backend=backend)
    def use_leaked(y):
        return y + leaked[0]
    with pytest.raises(TypeError, match='not one of its arguments'):
        use_leaked(1.0)


def test_decorated_methods_bind_their_instance(backend):
    class Scaler:
        def __init__(self, k):
            self.k = k

        @tg.compile(backend=backend, static_argnums=0)
        def apply(self, x):
            return x * self.k  # the instance is static: its attributes are Python values

    np.testing.assert_allclose(Scaler(3).apply(np.ones(2)), [3.0, 3.0])
    np.testing.assert_allclose(Scaler(4).apply(np.ones(2)), [4.0, 4.0])


def test_results_must_be_arrays_or_numbers(backend):
    f = tg.compile(lambda x: (x, 'done'), backend=backend)
    with pytest.raises(TypeError, match=r"returned a str .*result leaf 1"):
        f(np.ones(2))
    g = tg.compile(lambda x: (x * 2, 3), backend=backend)  # a number is a constant result
    doubled, three = g(np.ones(2))
    np.testing.assert_allclose(doubled, [2.0, 2.0])
    assert int(three) == 3
    assert 'not been traced' in tg.compile(lambda x: x).explain_cache_miss(1.0)


def test_calls_alternating_between_signatures_each_run_their_own_trace():
    """The generated check of the last signature must send every other call elsewhere."""
    Pair = collections.namedtuple('Pair', 's t')

    @tg.compile(static_argnums=2)
    def f(x, p, k):
        return {'a': x * p['s'] + k, 'b': (x.sum(), p['pair'].t)}

    makers = [lambda: np.ones(3), lambda: np.ones((1, 3)), lambda: np.full((2, 3), 2, 'float32'),
              lambda: 2.0, lambda: np.float32(3), lambda: 3, lambda: np.array(2.0), lambda: None]
    rng = np.random.default_rng(4)
    for _ in range(60):
        x, s, t = (makers[i]() for i in rng.integers(0, 7, size=3))
        k = [1, 2, 1.5, True][rng.integers(0, 4)]
        extra = makers[rng.integers(0, 8)]()  # sometimes None, sometimes an array
        p = {'s': s, 'pair': Pair(extra, t)} if rng.random() < 0.5 else {'s': s, 'pair': Pair(t, t)}
        out = f(x, p, k)
        want = np.asarray(x) * np.asarray(s) + k
        assert np.shape(out['a']) == np.shape(want)
        np.testing.assert_allclose(out['a'], want, rtol=1e-6)
        np.testing.assert_allclose(out['b'][1], t)
