"""Theano's loop examples (the "Loop" tutorial and the scan documentation), on every backend.

Each result is compared with a plain NumPy loop computed here, independently.
Sizes stay small: every backend runs these.
"""
import numpy as np
import pytest

import tracegraph as theano
import tracegraph as tg
import tracegraph.tensor as T


def test_power_as_in_the_tutorial(backend):
    k = T.iscalar('k')
    A = T.vector('A')
    result, updates = theano.scan(fn=lambda prior_result, A: prior_result * A,
                                  outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
    final_result = result[-1]
    power = theano.function(inputs=[A, k], outputs=final_result, updates=updates, backend=backend)
    np.testing.assert_allclose(power(range(10), 2), np.arange(10.0) ** 2)
    np.testing.assert_allclose(power(range(10), 4), np.arange(10.0) ** 4)
    assert updates == {}


def test_power_every_step(backend):
    k = T.iscalar('k')
    A = T.vector('A')
    result, _ = tg.scan(lambda prior, A: prior * A, outputs_info=T.ones_like(A),
                        non_sequences=A, n_steps=k)
    f = tg.function([A, k], result, backend=backend)
    a = np.array([1.5, -2.0, 0.5])
    expected = np.stack([a ** p for p in range(1, 5)])
    np.testing.assert_allclose(f(a, 4), expected)
    assert f(a, 0).shape == (0, 3)


def test_polynomial_as_in_the_tutorial(backend):
    coefficients = theano.tensor.vector('coefficients')
    x = T.scalar('x')
    max_coefficients_supported = 10000
    components, updates = theano.scan(
        fn=lambda coefficient, power, free_variable: coefficient * (free_variable ** power),
        outputs_info=None,
        sequences=[coefficients, theano.tensor.arange(max_coefficients_supported)],
        non_sequences=x)
    polynomial = components.sum()
    calculate_polynomial = theano.function(inputs=[coefficients, x], outputs=polynomial,
                                           backend=backend)
    test_coefficients = np.asarray([1, 0, 2], dtype=np.float32)
    test_value = 3
    out = calculate_polynomial(test_coefficients, test_value)
    assert float(out) == pytest.approx(1.0 * (3 ** 0) + 0.0 * (3 ** 1) + 2.0 * (3 ** 2))


def test_polynomial_components_without_rewrites(backend):
    coefficients = T.dvector('c')
    x = T.dscalar('x')
    components, _ = tg.scan(lambda c, p, x: c * x ** p, sequences=[coefficients, T.arange(50)],
                            non_sequences=x)
    c = np.linspace(-1, 1, 7)
    for rewrites in ('default', 'none'):
        f = tg.function([coefficients, x], components, backend=backend, rewrites=rewrites)
        np.testing.assert_allclose(f(c, 1.3), c * 1.3 ** np.arange(7))


def test_tanh_of_rows_times_matrix_plus_bias(backend):
    X = T.dmatrix('X')
    W = T.dmatrix('W')
    b = T.dvector('b')
    results, updates = tg.scan(lambda v: T.tanh(T.dot(v, W) + b), sequences=X)
    f = tg.function([X, W, b], results, backend=backend)
    rng = np.random.default_rng(0)
    x, w, bb = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    np.testing.assert_allclose(f(x, w, bb), np.tanh(x @ w + bb))


def _fibonacci_reference(n, a, b):
    out = []
    for _ in range(n):
        a, b = b, a + b
        out.append(b)
    return np.array(out)


def test_fibonacci_with_taps(backend):
    n = T.iscalar('n')
    init = T.lvector('init')
    fib, _ = tg.scan(lambda older, old: older + old,
                     outputs_info=dict(initial=init, taps=[-2, -1]), n_steps=n)
    f = tg.function([init, n], fib, backend=backend)
    np.testing.assert_array_equal(f(np.array([0, 1]), 10), _fibonacci_reference(10, 0, 1))
    g = tg.function([init, n], fib[-1], backend=backend)
    assert int(g(np.array([0, 1]), 30)) == 1346269  # F(31): step t computes F(t + 2)


def test_sequence_taps(backend):
    x = T.dvector('x')
    out, _ = tg.scan(lambda before, now, after: before - 2 * now + after,
                     sequences=dict(input=x, taps=[-1, 0, 1]))
    f = tg.function([x], out, backend=backend)
    v = np.array([1.0, 4.0, 9.0, 16.0, 25.0, 36.0])
    np.testing.assert_allclose(f(v), v[:-2] - 2 * v[1:-1] + v[2:])


def test_several_outputs_mixing_fed_back_and_not(backend):
    x = T.dvector('x')
    # running sum (fed back), square of each element (not), running max (fed back)
    def step(xt, total, best):
        return total + xt, xt ** 2, T.maximum(best, xt)
    (total, squares, best), _ = tg.scan(step, sequences=x,
                                        outputs_info=[T.constant(np.float64(0)), None,
                                                      T.constant(np.float64(-np.inf))])
    f = tg.function([x], [total, squares, best], backend=backend)
    v = np.array([3.0, -1.0, 4.0, 1.0, 5.0])
    got = f(v)
    np.testing.assert_allclose(got[0], np.cumsum(v))
    np.testing.assert_allclose(got[1], v ** 2)
    np.testing.assert_allclose(got[2], np.maximum.accumulate(v))


def test_until_stops_early(backend):
    # Powers of two until the value passes a limit (Theano's scan_until example).
    limit = T.dscalar('limit')
    values, _ = tg.scan(lambda prev, limit: (prev * 2, tg.until(prev * 2 > limit)),
                        outputs_info=T.constant(np.float64(1)), non_sequences=limit, n_steps=1000)
    f = tg.function([limit], values, backend=backend)
    np.testing.assert_allclose(f(40.0), [2, 4, 8, 16, 32, 64])
    np.testing.assert_allclose(f(0.5), [2])


def test_go_backwards(backend):
    x = T.dvector('x')
    out, _ = tg.scan(lambda xt, acc: acc * 10 + xt, sequences=x,
                     outputs_info=T.constant(np.float64(0)), go_backwards=True)
    f = tg.function([x], out, backend=backend)
    np.testing.assert_allclose(f(np.array([1.0, 2.0, 3.0])), [3, 32, 321])


def test_shared_variable_read_without_listing_it(backend):
    W = tg.shared(np.array([[0.0, 1.0], [1.0, 1.0]]), name='W')
    h0 = T.dvector('h0')
    hs, _ = tg.scan(lambda h: T.dot(W, h), outputs_info=h0, n_steps=5)
    f = tg.function([h0], hs[-1], backend=backend)
    w = W.get_value()
    np.testing.assert_allclose(f(np.array([0.0, 1.0])), np.linalg.matrix_power(w, 5) @ [0.0, 1.0])
    W.set_value(2 * w)
    np.testing.assert_allclose(f(np.array([0.0, 1.0])), np.linalg.matrix_power(2 * w, 5) @ [0.0, 1.0])


def test_counter_updated_inside_the_loop(backend):
    count = tg.shared(np.int64(0), name='count')
    x = T.dvector('x')
    doubled, updates = tg.scan(lambda xt: (2 * xt, {count: count + 1}), sequences=x)
    assert list(updates) == [count]
    f = tg.function([x], doubled, updates=updates, backend=backend)
    np.testing.assert_allclose(f(np.array([1.0, 2.0, 3.0])), [2, 4, 6])
    assert int(count.get_value()) == 3
    f(np.array([5.0]))
    assert int(count.get_value()) == 4


def test_accumulator_update_reads_the_loop_carried_value(backend):
    total = tg.shared(np.float64(0.0), name='total')
    x = T.dvector('x')
    seen, updates = tg.scan(lambda xt: (total + xt, {total: total + xt}), sequences=x)
    f = tg.function([x], seen, updates=updates, backend=backend)
    np.testing.assert_allclose(f(np.array([1.0, 2.0, 3.0])), [1, 3, 6])
    assert float(total.get_value()) == 6.0


def test_outputs_info_dtype_pitfall_is_a_clear_error():
    up_to = T.iscalar('up_to')
    seq = T.arange(up_to)

    def accumulate_by_adding(arange_val, sum_to_date):
        return sum_to_date + arange_val
    with pytest.raises(TypeError, match=r'output 0.*int(32|64).*initial value.*int8'):
        tg.scan(fn=accumulate_by_adding, outputs_info=T.as_tensor_variable(0), sequences=seq)


def test_outputs_info_shape_pitfall_is_a_clear_error():
    x = T.dvector('x')
    with pytest.raises(TypeError, match=r'output 0.*shape=\(\?,\).*initial value.*shape=\(\)'):
        tg.scan(lambda xt, acc: acc + x, sequences=x, outputs_info=T.constant(np.float64(0)))


def test_triangular_numbers_from_the_tutorial(backend):
    up_to = T.iscalar('up_to')
    seq = T.arange(up_to)
    outputs_info = T.as_tensor_variable(np.asarray(0, seq.dtype))
    scan_result, scan_updates = tg.scan(fn=lambda arange_val, sum_to_date: sum_to_date + arange_val,
                                        outputs_info=outputs_info, sequences=seq)
    triangular_sequence = tg.function(inputs=[up_to], outputs=scan_result, backend=backend)
    np.testing.assert_array_equal(triangular_sequence(15), np.cumsum(np.arange(15)))


def test_nested_scan(backend):
    # Each row of the output is the cumulative sum of a row of M, computed by an inner scan.
    M = T.dmatrix('M')

    def row_cumsum(row):
        sums, _ = tg.scan(lambda v, acc: acc + v, sequences=row,
                          outputs_info=T.constant(np.float64(0)))
        return sums
    out, _ = tg.scan(row_cumsum, sequences=M)
    f = tg.function([M], out, backend=backend)
    m = np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(f(m), np.cumsum(m, axis=1))


def test_sequence_shorter_than_n_steps_is_an_error(backend):
    x = T.dvector('x')
    out, _ = tg.scan(lambda xt: xt * 2, sequences=x, n_steps=5)
    f = tg.function([x], out, backend=backend)
    np.testing.assert_allclose(f(np.arange(6.0)), np.arange(5.0) * 2)
    with pytest.raises(ValueError, match='sequence 0 has 3 rows.*5 steps'):
        f(np.arange(3.0))


def test_scan_graph_prints_its_inner_graph():
    x = T.dvector('x')
    out, _ = tg.scan(lambda xt, acc: acc + T.exp(xt), sequences=x,
                     outputs_info=T.constant(np.float64(0)), name='expsum')
    text = tg.printing.debugprint(out, file='str')
    assert 'Scan{expsum}' in text
    assert 'Inner graph of Scan{expsum}' in text
    assert 'exp' in text


def test_random_draws_inside_the_loop_advance_the_stream(backend):
    from tracegraph.random import RandomStreams
    srng = RandomStreams(seed=3)
    x = T.dvector('x')
    out, updates = tg.scan(lambda xt: xt + srng.uniform(size=(2,)), sequences=x)
    assert len(updates) == 1  # the stream's state, advanced by the loop
    f = tg.function([x], out, updates=updates, backend=backend)
    first = f(np.zeros(3))
    assert first.shape == (3, 2) and np.all((first >= 0) & (first < 1))
    assert len({tuple(r) for r in first}) == 3  # each step draws anew
    second = f(np.zeros(3))
    assert not np.allclose(first, second)  # the call advanced the stream
    srng.seed(3)
    np.testing.assert_array_equal(f(np.zeros(3)), first)
    reference = tg.function([x], out, updates=updates, backend='numpy')
    srng.seed(3)
    np.testing.assert_array_equal(reference(np.zeros(3)), first)


def _scans(f):
    return [n for n in f.graph.apply_nodes if type(n.op).__name__ == 'Scan']


def test_polynomial_becomes_vectorized_ops(backend):
    c, x = T.dvector('c'), T.dscalar('x')
    components, _ = tg.scan(lambda co, p, xv: co * xv ** p, sequences=[c, T.arange(100)],
                            non_sequences=x)
    f = tg.function([c, x], components.sum(), backend=backend)
    assert _scans(f) == []  # one pass over whole arrays, no Python step per coefficient
    coeffs = np.linspace(-1, 1, 9)
    assert float(f(coeffs, 0.9)) == pytest.approx(float((coeffs * 0.9 ** np.arange(9)).sum()))


def test_loop_invariant_work_leaves_the_loop(backend):
    W = T.dmatrix('W')
    h0 = T.dvector('h0')
    hs, _ = tg.scan(lambda h, W: T.dot(h, T.exp(W) / 4), outputs_info=h0, non_sequences=W, n_steps=3)
    f = tg.function([h0, W], hs, backend=backend)
    (node,) = _scans(f)
    inner_ops = {str(n.op) for n in node.op.inner.apply_nodes}
    assert not any('exp' in o for o in inner_ops), inner_ops  # exp(W) / 4 runs once
    w = np.array([[0.1, -0.3], [0.2, 0.4]])
    h, expected = np.array([1.0, 2.0]), []
    for _ in range(3):
        h = h @ (np.exp(w) / 4)
        expected.append(h)
    np.testing.assert_allclose(f(np.array([1.0, 2.0]), w), expected)


def test_unused_outputs_are_not_computed(backend):
    x = T.dvector('x')
    (total, squares), _ = tg.scan(lambda xt, acc: (acc + xt, T.exp(xt)), sequences=x,
                                  outputs_info=[T.constant(np.float64(0)), None])
    f = tg.function([x], total[-1], backend=backend)
    (node,) = _scans(f)
    assert node.op.n_nit == 0 and node.op.keep == (1,)
    assert float(f(np.array([1.0, 2.0, 4.0]))) == 7.0


def test_error_inside_a_step_names_the_step_and_the_line_of_fn():
    h0 = T.dvector('h0')
    W = T.dmatrix('W')
    hs, _ = tg.scan(lambda h, W: T.dot(h, W), outputs_info=h0, non_sequences=W, n_steps=3)
    f = tg.function([h0, W], hs, backend='numpy')
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones((2, 2)))
    text = str(info.value)
    assert 'at step 0' in text and 'dot' in text
    assert 'test_scan.py' in text and 'lambda h, W: T.dot(h, W)' in text


def test_scan_and_until_import_as_functions(backend):
    from tracegraph import scan, until
    x = T.dvector('x')
    out, updates = scan(lambda xt: (xt + 1, until(xt > 2)), sequences=x, return_list=True)
    assert isinstance(out, list) and len(out) == 1 and updates == {}
    f = tg.function([x], out[0], backend=backend)
    np.testing.assert_allclose(f(np.array([1.0, 2.0, 3.0, 4.0])), [2.0, 3.0, 4.0])


def test_strict_requires_every_outer_variable_to_be_listed():
    W = tg.shared(np.eye(2), name='W')
    h0 = T.dvector('h0')
    with pytest.raises(ValueError, match='strict=True.*W'):
        tg.scan(lambda h: T.dot(h, W), outputs_info=h0, n_steps=2, strict=True)
    out, _ = tg.scan(lambda h, W: T.dot(h, W), outputs_info=h0, non_sequences=W, n_steps=2, strict=True)
    assert out.ndim == 2


def test_wrong_number_of_outputs_info_is_a_clear_error():
    x = T.dvector('x')
    with pytest.raises(ValueError, match='returned 2 output.*outputs_info describes 1'):
        tg.scan(lambda xt, acc: (acc + xt, xt), sequences=x, outputs_info=[T.constant(np.float64(0))])


def test_ifelse_inside_the_step(backend):
    from tracegraph.ifelse import ifelse
    x = T.dvector('x')
    out, _ = tg.scan(lambda xt, acc: ifelse(xt > 0, acc + xt, acc * 2), sequences=x,
                     outputs_info=T.constant(np.float64(1)))
    f = tg.function([x], out, backend=backend)
    expected, acc = [], 1.0
    for v in [1.0, -1.0, 2.0, -3.0]:
        acc = acc + v if v > 0 else acc * 2
        expected.append(acc)
    np.testing.assert_allclose(f(np.array([1.0, -1.0, 2.0, -3.0])), expected)


def test_two_loops_over_the_same_sequence_run_as_one(backend):
    x = T.dvector('x')
    sums, _ = tg.scan(lambda xt, acc: acc + xt, sequences=x, outputs_info=T.constant(np.float64(0)))
    prods, _ = tg.scan(lambda xt, acc: acc * xt, sequences=x, outputs_info=T.constant(np.float64(1)))
    f = tg.function([x], [sums, prods[-1]], backend=backend)
    assert len(_scans(f)) == 1
    v = np.array([1.0, 2.0, 3.0, 4.0])
    got = f(v)
    np.testing.assert_allclose(got[0], np.cumsum(v))
    assert float(got[1]) == 24.0


def test_explicit_tap_minus_one_takes_an_initial_value_shaped_like_an_output(backend):
    x = T.dvector('x')
    h0 = T.dvector('h0')
    out, _ = tg.scan(lambda xt, h: h * 2 + xt, sequences=x,
                     outputs_info=[dict(initial=h0, taps=[-1])])
    f = tg.function([x, h0], out, backend=backend)
    np.testing.assert_allclose(f(np.array([1.0, 2.0]), np.array([1.0, 1.0])), [[3.0, 3.0], [8.0, 8.0]])


def test_fn_returning_only_updates(backend):
    count = tg.shared(np.int64(5), name='count')
    outputs, updates = tg.scan(lambda: {count: count * 2}, n_steps=3)
    assert outputs == [] and list(updates) == [count]
    f = tg.function([], [], updates=updates, backend=backend)
    f()
    assert int(count.get_value()) == 40


def test_work_on_sequences_alone_leaves_the_loop_as_whole_array_ops(backend):
    x, W, U = T.dmatrix('x'), T.dmatrix('W'), T.dmatrix('U')
    h0 = T.dvector('h0')
    hs, _ = tg.scan(lambda xt, h, W, U: T.tanh(T.dot(xt * 2, W) + T.dot(h, U)),
                    sequences=x, outputs_info=h0, non_sequences=[W, U])
    f = tg.function([x, h0, W, U], hs, backend=backend)
    (node,) = _scans(f)
    inner_dots = [n for n in node.op.inner.apply_nodes if 'dot' in str(n.op)]
    assert len(inner_dots) == 1  # dot(x_t * 2, W) for every t is one product before the loop
    rng = np.random.default_rng(0)
    xv, wv, uv, h = rng.standard_normal((5, 3)), rng.standard_normal((3, 4)), rng.standard_normal((4, 4)), np.ones(4)
    expected = []
    for row in xv:
        h = np.tanh((row * 2) @ wv + h @ uv)
        expected.append(h)
    np.testing.assert_allclose(f(xv, np.ones(4), wv, uv), expected, rtol=1e-12)
    assert f(xv[:0], np.ones(4), wv, uv).shape == (0, 4)


def test_indexing_rows_inside_the_step_vectorizes(backend):
    M = T.dmatrix('M')
    k = T.lscalar('k')
    out, _ = tg.scan(lambda row, k: row[0] * 2 + row[1:3].sum() + row[k], sequences=M, non_sequences=k)
    f = tg.function([M, k], out, backend=backend)
    assert _scans(f) == []
    m = np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(f(m, 3), m[:, 0] * 2 + m[:, 1:3].sum(axis=1) + m[:, 3])


def test_matrix_times_row_and_reshape_inside_the_step_vectorize(backend):
    # The step's ops are batched by the same rules as jacobian's (tensor/batching.py).
    X, W = T.dmatrix('X'), T.dmatrix('W')
    out, _ = tg.scan(lambda row, W: T.dot(W, row).sum() + T.reshape(row, (2, -1))[1].sum(),
                     sequences=X, non_sequences=W)
    f = tg.function([X, W], out, backend=backend)
    assert _scans(f) == []
    x, w = np.arange(12.0).reshape(3, 4), np.linspace(-1, 1, 8).reshape(2, 4)
    np.testing.assert_allclose(f(x, w), (x @ w.T).sum(axis=1) + x[:, 2:].sum(axis=1), rtol=1e-12)


def test_a_draw_made_outside_the_loop_and_listed_as_non_sequence_is_one_value(backend):
    # Theano: "if you want d not updated through the loop, pass it as a non_sequence"
    # (a draw made outside and not listed is redrawn at every step: test_reliability_errors)
    from tracegraph.random import RandomStreams
    srng = RandomStreams(seed=5)
    noise = srng.uniform(size=(2,))
    x = T.dvector('x')
    out, updates = tg.scan(lambda xt, n: xt + n, sequences=x, non_sequences=noise)
    assert updates == {}  # the loop does not draw: `noise` is drawn once, outside
    f = tg.function([x], [out, noise], backend=backend)
    rows, drawn = f(np.array([0.0, 10.0, 20.0]))
    np.testing.assert_allclose(rows, np.array([0.0, 10.0, 20.0])[:, None] + drawn)


def test_outer_expression_read_inside_is_computed_once(backend):
    x = T.dvector('x')
    w = T.dscalar('w')
    scale = T.exp(w) * 2  # built outside fn
    out, _ = tg.scan(lambda xt, acc: acc * scale + xt, sequences=x,
                     outputs_info=T.constant(np.float64(0)))
    (node,) = [out.owner]
    assert not any('exp' in str(n.op) for n in node.op.inner.apply_nodes)
    f = tg.function([x, w], out, backend=backend)
    s = np.exp(0.5) * 2
    np.testing.assert_allclose(f(np.array([1.0, 2.0]), 0.5), [1.0, s + 2.0])
