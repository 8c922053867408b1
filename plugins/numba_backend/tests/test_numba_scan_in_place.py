"""Scan states written in place (scan.py, elemwise `into`): same results as the NumPy
backend, the caller's arrays untouched, and the swap refused where values alias."""
import re

import numpy as np
import pytest

pytest.importorskip('numba')

import tracegraph as tg  # noqa: E402
import tracegraph.tensor as T  # noqa: E402


def _both(inputs, outputs, **kwargs):
    return [tg.function(inputs, outputs, backend=b, **kwargs) for b in ('numpy', 'numba')]


def _body(f):
    return f.executable.source.split('\n# --- ')[0]


def test_a_carried_state_swaps_two_arrays_and_leaves_the_initial_value_alone():
    h0, A = T.dvector('h0'), T.dvector('A')
    hs, _ = tg.scan(lambda h, A: h * A + 1, outputs_info=h0, non_sequences=A, n_steps=7)
    ref, f = _both([h0, A], hs[-1])
    assert '_spare' in _body(f)
    init, a = np.array([1.0, -2.0, 0.5]), np.array([0.9, 1.1, -1.0])
    kept = init.copy()
    np.testing.assert_array_equal(f(init, a), ref(init, a))
    np.testing.assert_array_equal(init, kept)
    np.testing.assert_array_equal(f(init, a), ref(init, a))  # a second call starts afresh


def test_a_full_history_is_written_row_by_row():
    h0, x = T.dvector('h0'), T.dmatrix('x')
    hs, _ = tg.scan(lambda xt, h: T.tanh(h + xt), sequences=x, outputs_info=h0)
    ref, f = _both([h0, x], hs)
    assert '_row' in _body(f)
    xv = np.random.default_rng(0).standard_normal((6, 4))
    np.testing.assert_allclose(f(np.zeros(4), xv), ref(np.zeros(4), xv), rtol=1e-15)
    assert f(np.zeros(4), xv[:0]).shape == (0, 4)


def test_states_that_swap_values_are_not_written_in_place():
    a0, b0 = T.dvector('a0'), T.dvector('b0')
    (a, b), _ = tg.scan(lambda a, b: (b, a * 2), outputs_info=[a0, b0], n_steps=5)
    ref, f = _both([a0, b0], [a[-1], b[-1]])
    assert '_spare' not in _body(f)  # state 0 carries an input along: a swap would alias it
    args = (np.array([1.0, 2.0]), np.array([3.0, 5.0]))
    for got, want in zip(f(*args), ref(*args)):
        np.testing.assert_array_equal(got, want)


def test_a_step_of_the_wrong_shape_is_refused_with_the_scan_message():
    h0, x = T.dvector('h0'), T.dmatrix('x')
    hs, _ = tg.scan(lambda xt, h: h * xt, sequences=x, outputs_info=h0)
    f = tg.function([h0, x], hs[-1], backend='numba')
    with pytest.raises(ValueError, match='a step returned the wrong shape for state 0'):
        f(np.ones(1), np.ones((3, 4)))  # h broadcasts to 4 values, its initial value has 1


def test_a_state_carried_unchanged_does_not_stop_the_swap_but_a_view_of_it_does():
    h0, c0 = T.dvector('h0'), T.dvector('c0')
    (h, c), _ = tg.scan(lambda h, c: (h * c, c), outputs_info=[h0, c0], n_steps=4)
    ref, f = _both([h0, c0], [h[-1], c[-1]])
    assert '_spare' in _body(f)
    args = (np.array([1.0, 2.0]), np.array([3.0, 0.5]))
    for got, want in zip(f(*args), ref(*args)):
        np.testing.assert_array_equal(got, want)

    (h, g), _ = tg.scan(lambda h, g: (h * 2, (h * 2)[::-1]), outputs_info=[h0, c0], n_steps=4)
    ref, f = _both([h0, c0], [h[-1], g[-1]])
    assert '_spare' not in _body(f)  # g would be a view of the array h swaps into
    for got, want in zip(f(*args), ref(*args)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_a_wide_state_runs_numpys_loops_into_its_row(dtype):
    # 300 elements: the chunked loop nest writes the row (elemwise INTO_CHUNKED_MIN_WORK);
    # `b` of one element broadcasts at run time; 3 elements take the inlined loop.
    x, h0, u, b = T.matrix('x', dtype=dtype), T.vector('h0', dtype=dtype), T.vector('u', dtype=dtype), T.vector('b', dtype=dtype)
    hs, _ = tg.scan(lambda xt, h, u, b: T.tanh(xt + u * h + b), sequences=x, outputs_info=h0, non_sequences=[u, b])
    rng = np.random.default_rng(3)
    for outputs in (hs, hs[-1]):
        ref, f = _both([x, h0, u, b], outputs)
        assert re.search(r'k_\w+\(.*, _(row|spare)0\)', _body(f))
        for width in (300, 3):
            args = [rng.standard_normal(s).astype(dtype) for s in ((5, width), width, width, 1)]
            np.testing.assert_allclose(f(*args), ref(*args), rtol=2e-6 if dtype == 'float32' else 1e-14)
