"""scan(..., checkpoint=K): the gradient stores every K-th state and recomputes the rest;
its values equal the unchecked gradient's.  Each check compiles one graph holding the
loop once per checkpoint value, next to the unchecked loop (few per graph: Numba's
analysis of one graph function recurses once per loop it holds)."""
import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.scan.grad import ScanGradientError

STEPS = 7  # 3 does not divide it, 10 exceeds it, 'auto' takes 3, 'nested' 4 (sub-blocks of 2)


def _loop(x, y0, W, c, **kw):
    """y_t = tanh(y_{t-1} @ W + c * y_{t-2} + x_t * x_{t-1}), o_t = sum(y_t * x_t): taps on a
    sequence and on a state, non-sequences, a per-step output."""
    def step(x_prev, x_t, y_older, y_old, W, c):
        y = T.tanh(T.dot(y_old, W) + c * y_older + x_t * x_prev)
        return y, (y * x_t).sum()
    (ys, os), _ = tg.scan(step, sequences=dict(input=x, taps=[-1, 0]),
                          outputs_info=[dict(initial=y0, taps=[-2, -1]), None],
                          non_sequences=[W, c], **kw)
    return ys, os


def _point():
    rng = np.random.default_rng(0)
    return [rng.normal(size=(STEPS + 1, 3)), rng.normal(size=(2, 3)) * 0.5,
            rng.normal(size=(3, 3)) * 0.5, np.float64(0.3)]


def _symbols():
    return T.dmatrix('x'), T.dmatrix('y0'), T.dmatrix('W'), T.dscalar('c')


def _check(backend, cost_of, checkpoints, **kw):
    x, y0, W, c = wrt = _symbols()
    outputs = []
    for every in (None,) + checkpoints:
        cost = cost_of(*_loop(x, y0, W, c, checkpoint=every, **kw))
        outputs += [cost] + T.grad(cost, list(wrt))
    f = tg.function(list(wrt), outputs, backend=backend)
    got = f(*_point())
    per = len(wrt) + 1
    want = got[:per]
    for k, every in enumerate(checkpoints, start=1):
        for g, w in zip(got[k * per:(k + 1) * per], want):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12, err_msg=f'checkpoint={every}')
    return f


def test_gradient_of_the_last_states_equals_the_unchecked_one(backend):
    # 'nested' holds more loops: minutes more of Numba compile for the same builder.
    checkpoints = (1, 'auto') if backend == 'numba' else (1, 'auto', 'nested')
    f = _check(backend, lambda ys, os: ys[-1].sum() + (ys[-2] ** 2).sum(), checkpoints)
    # Read only at its last rows, each checkpointed loop runs once, as its segments.
    checkpointed = [n for n in f.graph.apply_nodes if 'checkpoint=' in str(n.op)]
    assert checkpointed == []


def test_gradient_of_every_step_and_truncated_gradients(backend):
    if backend == 'numba':  # ~6 min of cold Numba compile on 2 cores for what the builder
        pytest.skip('does the same on every backend; the test above lowers it on Numba')
    def cost(ys, os):
        return (os ** 2).sum() + (ys ** 2).sum()
    _check(backend, cost, (3, 'nested'))
    _check(backend, cost, (10, 'nested'), truncate_gradient=4)


def test_checkpoint_option_is_checked():
    x, y0, W, c = _symbols()
    with pytest.raises(ValueError, match='checkpoint must be'):
        _loop(x, y0, W, c, checkpoint=0)


def test_a_rerun_that_would_redraw_random_numbers_is_a_clear_error():
    pytest.importorskip('tracegraph.random')
    from tracegraph.random import RandomStreams
    srng = RandomStreams(seed=1)
    h0 = T.dvector('h0')

    def step(k, h):  # the integer state k reads a draw; h reads k
        return k + srng.binomial(size=(), n=3, p=0.5).astype('int64'), h * T.cast(k, 'float64')
    (_, hs), _ = tg.scan(step, outputs_info=[T.constant(np.int64(1)), h0], n_steps=4,
                         checkpoint=2, name='counter')
    with pytest.raises(ScanGradientError, match='counter.*could not draw the same numbers') as info:
        T.grad(hs[-1].sum(), h0)
    assert 'test_scan_checkpoint.py' in str(info.value)  # names the user's scan line


def _rnn_gradient(backend, checkpoint):
    """An IndRNN's gradient (bench/scan_checkpoint.py's, smaller): h_t = tanh(x_t W + u h_{t-1} + b)."""
    x, W, h0, u, b = T.dmatrix('x'), T.dmatrix('W'), T.dvector('h0'), T.dvector('u'), T.dvector('b')
    hs, _ = tg.scan(lambda xt, h, W, u, b: T.tanh(T.dot(xt, W) + u * h + b), sequences=x,
                    outputs_info=h0, non_sequences=[W, u, b], checkpoint=checkpoint)
    cost = hs[-1].sum()
    return tg.function([x, h0, W, u, b], [cost] + T.grad(cost, [W, u, b, h0]), backend=backend)


def test_nested_checkpoints_hold_fewer_than_2_sqrt_steps_states(backend):
    if backend != 'numpy':  # the loops and their builder are shared; Numba's compile of the
        pytest.skip('nested loops takes minutes; dask/cupy allocate outside tracemalloc')
    import tracemalloc
    steps, width = 3000, 256
    rng = np.random.default_rng(0)
    data = [rng.normal(size=(steps, 2)) * 0.1, rng.normal(size=width) * 0.1,
            rng.normal(size=(2, width)) * 0.1, rng.uniform(-1, 1, width), rng.normal(size=width) * 0.1]
    peaks, results = {}, {}
    for every in (None, 'nested'):
        f = _rnn_gradient(backend, every)
        f(*data)  # compiled, caches filled
        tracemalloc.start()
        try:
            results[every] = f(*data)
            peaks[every] = tracemalloc.get_traced_memory()[1] / (width * 8)  # in states (rows)
        finally:
            tracemalloc.stop()
    for g, want in zip(results['nested'], results[None]):
        np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-12)
    assert peaks[None] > steps  # the unchecked gradient holds every state (and more)
    # b = 15: 13 checkpoints, 14 sub-block windows, a sub-block's history and gradient
    # rows (16 + 15), then the sums and cotangents of u, b, h0 and W (2 rows): 101 measured.
    assert peaks['nested'] <= 2 * np.sqrt(steps), peaks  # 110 states
