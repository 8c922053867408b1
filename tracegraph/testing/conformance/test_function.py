"""tg.function: inputs, defaults, keywords, outputs, givens, updates and their errors."""
import collections

import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph import In, Out, Param, function, shared


def test_logistic_function(backend):
    x = T.fmatrix('x')
    s = 1 / (1 + T.exp(-x))
    logistic = function([x], s, backend=backend)
    data = np.array([[0, 1], [-1, -2]], dtype='float32')
    out = logistic([[0, 1], [-1, -2]])
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-data)), rtol=1e-6)


def test_param_default_and_keywords(backend):
    x, y = T.fscalars('x', 'y')
    f = function([x, Param(y, default=1)], x + y, backend=backend)
    assert float(f(10)) == 11.0
    assert float(f(10, 2)) == 12.0
    assert float(f(10, y=5)) == 15.0
    assert float(f(x=1, y=2)) == 3.0
    g = function([x, In(y, value=2, name='why')], x * y, backend=backend)
    assert float(g(3)) == 6.0
    assert float(g(3, why=4)) == 12.0


def test_several_outputs_and_out(backend):
    a, b = T.dmatrices('a', 'b')
    diff = a - b
    f = function([a, b], [diff, abs(diff), Out(diff ** 2, borrow=True)], backend=backend)
    va, vb = np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([[0.0, 1.0], [-1.0, -2.0]])
    d, ad, sq = f(va, vb)
    np.testing.assert_array_equal(d, va - vb)
    np.testing.assert_array_equal(ad, np.abs(va - vb))
    np.testing.assert_array_equal(sq, (va - vb) ** 2)
    assert isinstance(f(va, vb), list)


def test_output_never_aliases_an_input(backend):
    x = T.dvector('x')
    f = function([x], x, backend=backend)
    v = np.array([1.0, 2.0])
    out = f(v)
    out[0] = 99.0
    assert v[0] == 1.0


@pytest.mark.parametrize('make', [lambda x, c: x[1:], lambda x, c: x.T,
                                  lambda x, c: tg.ifelse.ifelse(c, x, x * 2)],
                         ids=['slice', 'transpose', 'ifelse branch'])
def test_an_output_that_could_view_an_input_is_a_copy(backend, make):
    x, c = T.dvector('x'), T.bscalar('c')
    f = function([x, c], make(x, c), backend=backend, on_unused_input='ignore')
    v = np.array([1.0, 2.0, 3.0])
    f(v, 1)[...] = 99.0
    np.testing.assert_array_equal(v, [1.0, 2.0, 3.0])


def test_accumulator_returns_old_state(backend):
    state = shared(0)
    inc = T.iscalar('inc')
    accumulator = function([inc], state, updates=[(state, state + inc)], backend=backend)
    assert state.get_value() == 0
    assert int(accumulator(1)) == 0
    assert state.get_value() == 1
    assert int(accumulator(300)) == 1
    assert state.get_value() == 301
    state.set_value(-1)
    assert int(accumulator(3)) == -1
    assert state.get_value() == 2
    decrementor = function([inc], state, updates=[(state, state - inc)], backend=backend)
    assert int(decrementor(2)) == 2
    assert state.get_value() == 0


def test_updates_use_values_before_the_call(backend):
    a, b = shared(1.0, name='a'), shared(10.0, name='b')
    swap = function([], [], updates=collections.OrderedDict([(a, b), (b, a + b)]), backend=backend)
    swap()
    assert a.get_value() == 10.0 and b.get_value() == 11.0
    as_dict = function([], a + b, updates={a: a * 2}, backend=backend)
    assert float(as_dict()) == 21.0
    assert a.get_value() == 20.0


def test_givens(backend):
    state = shared(0)
    inc = T.iscalar('inc')
    fn_of_state = state * 2 + inc
    foo = T.scalar(dtype=state.dtype)
    skip_shared = function([inc, foo], fn_of_state, givens=[(state, foo)], backend=backend)
    assert int(skip_shared(1, 3)) == 7
    assert state.get_value() == 0


def test_givens_slice_a_shared_dataset(backend):
    data = shared(np.arange(20, dtype=tg.config.floatX).reshape(10, 2), name='data')
    x = T.matrix('x')
    i = T.lscalar('i')
    f = function([i], x.sum(), givens={x: data[i * 3:(i + 1) * 3]}, backend=backend)
    np.testing.assert_allclose(f(1), np.arange(20).reshape(10, 2)[3:6].sum())


def test_shared_variable_used_by_two_functions(backend):
    w = shared(np.ones(3), name='w')
    x = T.dvector('x')
    f = function([x], T.dot(w, x), backend=backend)
    g = function([], [], updates=[(w, w * 2)], backend=backend)
    assert float(f(np.ones(3))) == 3.0
    g()
    assert float(f(np.ones(3))) == 6.0


def test_no_default_updates(backend):
    counter = shared(0, name='counter')
    counter.default_update = counter + 1
    f = function([], counter * 10, backend=backend)
    f()
    f()
    assert counter.get_value() == 2
    g = function([], counter * 10, no_default_updates=True, backend=backend)
    g()
    assert counter.get_value() == 2
    h = function([], counter * 10, no_default_updates=[counter], backend=backend)
    h()
    assert counter.get_value() == 2


# -- errors --------------------------------------------------------------------------
def test_wrong_ndim_names_the_input(backend):
    x = T.dmatrix('x')
    f = function([x], x * 2, backend=backend)
    with pytest.raises(TypeError, match="input 'x'.*2 dimension"):
        f(np.ones(3))


def test_float64_value_into_float32_input_is_refused(backend):
    x = T.fvector('x')
    f = function([x], x * 2, backend=backend)
    with pytest.raises(TypeError, match="input 'x'.*float64.*float32.*allow_input_downcast"):
        f(np.ones(3))
    g = function([x], x * 2, backend=backend, allow_input_downcast=True)
    np.testing.assert_array_equal(g(np.ones(3)), np.full(3, 2, dtype='float32'))


def test_python_numbers_for_scalar_inputs_follow_the_precision_rules(backend):
    k, y, b = T.iscalar('k'), T.fscalar('y'), T.bscalar('b')
    f = function([k, y, b], k + y + b, backend=backend)
    assert f(3, 0.25, True) == 4.25     # each exact in int32, float32 and int8
    assert f(3, 2.0 ** 24, -1) == 2.0 ** 24 + 2
    for bad, name in (((2 ** 40, 0.5, 1), 'k'), ((1.5, 0.5, 1), 'k'), ((3, 0.1, 1), 'y'),
                      ((3, 2 ** 24 + 1, 1), 'y'), ((3, 0.5, 200), 'b')):
        with pytest.raises(TypeError, match=f"input '{name}'.*lose precision"):
            f(*bad)
    g = function([k, y, b], k + y + b, backend=backend, allow_input_downcast=True)
    assert g(3, 0.1, 1) == np.int32(3) + np.float32(0.1) + np.int8(1)


def test_missing_input_and_unknown_keyword(backend):
    x, y = T.dscalars('x', 'y')
    f = function([x, y], x + y, backend=backend)
    with pytest.raises(TypeError, match="missing input 'y'"):
        f(1.0)
    with pytest.raises(TypeError, match="unknown keyword 'z'"):
        f(1.0, z=2.0)
    with pytest.raises(TypeError, match='takes 2 input'):
        f(1.0, 2.0, 3.0)


def test_variable_missing_from_inputs(backend):
    x, y = T.dscalars('x', 'y')
    with pytest.raises(ValueError, match='y.*neither an input'):
        function([x], x + y, backend=backend)


def test_unused_input(backend):
    x, y = T.dscalars('x', 'y')
    with pytest.raises(ValueError, match='input 1 \\(y\\) is not used'):
        function([x, y], x * 2, backend=backend)
    f = function([x, y], x * 2, backend=backend, on_unused_input='ignore')
    assert float(f(1.0, 5.0)) == 2.0


def test_unknown_backend_lists_the_available_ones():
    x = T.dscalar('x')
    with pytest.raises(ValueError, match="(?s)backend 'nonexistent' is not registered.*numpy: available"):
        function([x], x, backend='nonexistent')


def test_mismatched_update_is_refused_at_compile_time(backend):
    w = shared(np.zeros(3), name='w')
    with pytest.raises(TypeError, match="update of shared variable 'w' has dtype float32.*float64"):
        function([], [], updates=[(w, w.astype('float32'))], backend=backend)
    with pytest.raises(TypeError, match="update of shared variable 'w' has 2 dimension"):
        function([], [], updates=[(w, T.outer(w, w))], backend=backend)
    with pytest.raises(TypeError, match='not a shared variable'):
        function([], [], updates=[(T.dvector(), w)], backend=backend)


def test_failing_call_leaves_shared_variables_untouched(backend):
    w = shared(np.ones(3), name='w')
    count = shared(0, name='count')
    x = T.dvector('x')
    f = function([x], (w * x).sum(), updates=[(w, w + x), (count, count + 1)], backend=backend)
    f(np.ones(3))
    before_w, before_count = w.get_value(), count.get_value()
    with pytest.raises(ValueError):
        f(np.ones(4))  # shapes (3,) and (4,) do not broadcast: fails at run time
    np.testing.assert_array_equal(w.get_value(), before_w)
    assert count.get_value() == before_count


def test_runtime_shape_error_names_the_op_and_the_user_line(backend):
    a, b = T.dvector('a'), T.dvector('b')
    c = a * b  # the line the error must name
    f = function([a, b], c, backend=backend)
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones(4))
    message = str(info.value)
    assert 'mul' in message
    assert 'test_function.py' in message and 'c = a * b' in message


def test_a_fused_expression_still_names_the_users_line(backend):
    a, b = T.dvectors('a', 'b')
    c = (T.exp(a) + b) * 2  # fused into one node by the rewrites; the error must name this line
    f = function([a, b], c, backend=backend)
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones(4))
    assert 'c = (T.exp(a) + b) * 2' in str(info.value)


def test_bool_of_a_variable_raises():
    x = T.dscalar('x')
    with pytest.raises(TypeError, match='symbolic.*T.switch'):
        if x > 0:
            pass


def test_compiled_function_shows_backend_graph_and_source(backend):
    x = T.dvector('x')
    f = function([x], T.exp(x) + 1, backend=backend, name='expplus')
    assert f.backend == backend
    assert f.graph.outputs and f.graph.inputs
    assert isinstance(f.source, str) and f.source
    text = tg.printing.debugprint(f, file='str')
    assert 'exp' in text


def test_backend_from_config(monkeypatch):
    monkeypatch.setattr(tg.config, 'backend', 'numpy')
    x = T.dscalar('x')
    assert function([x], x + 1).backend == 'numpy'
    monkeypatch.setattr(tg.config, 'backend', 'nope')
    with pytest.raises(ValueError, match="'nope' is not registered"):
        function([x], x + 1)


def test_eval_compiles_on_the_default_backend(backend, monkeypatch):
    monkeypatch.setattr(tg.config, 'backend', backend)
    x = T.dvector('x')
    np.testing.assert_array_equal((x * 2 + 1).eval({x: [1.0, 2.0]}), [3.0, 5.0])
