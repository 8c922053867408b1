"""Property: the rewritten graph computes what the unrewritten one (rewrites='none')
computes, on every backend, for random expressions over inputs of random shapes and
broadcast patterns.  Where the naive graph overflows, the rewritten one may do
better (that is the point of the stable forms), so only finite reference values
are compared."""
import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T

hypothesis = pytest.importorskip('hypothesis')
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

UNARY = {
    'neg': lambda a: -a, 'exp': T.exp, 'tanh': T.tanh, 'sigmoid': T.sigmoid,
    'softplus': T.softplus, 'sqr': T.sqr, 'abs': T.abs_, 'log1p_abs': lambda a: T.log1p(abs(a)),
    # naive forms the rewrites look for
    'log_1p_exp': lambda a: T.log(1 + T.exp(a)), 'logistic': lambda a: 1 / (1 + T.exp(-a)),
    'log_sigmoid': lambda a: T.log(T.sigmoid(a)), 'log_1m_sigmoid': lambda a: T.log(1 - T.sigmoid(a)),
    'exp_m1': lambda a: T.exp(a) - 1, 'log_1p': lambda a: T.log(1 + abs(a)),
    'pow2': lambda a: a ** 2, 'pow1': lambda a: a ** 1, 'times1': lambda a: a * 1,
    'plus0': lambda a: a + 0, 'negneg': lambda a: -(-a), 'self_minus': lambda a: a - a + a,
    'consts': lambda a: 2 * (a * 3) + 1 + 2, 'fill1': lambda a: T.fill(a, 1.0) * a,
}
BINARY = {
    'add': lambda a, b: a + b, 'sub': lambda a, b: a - b, 'mul': lambda a, b: a * b,
    'div': lambda a, b: a / (b * b + 1), 'max': T.maximum,
    'cancel': lambda a, b: a + (b - a), 'fill': T.fill, 'switch': lambda a, b: T.switch(a > 0, a, b),
}
REDUCING = {
    'logsumexp': lambda a: T.log(T.sum(T.exp(a), axis=-1, keepdims=True)) if a.ndim else a,
    'log_softmax': lambda a: T.log(T.nnet.softmax(a)) if a.ndim else a,
    'mean': lambda a: a - T.mean(a, axis=0, keepdims=True) if a.ndim else a,
}


@st.composite
def programs(draw):
    """(input variables, input values, output expression)."""
    ndim = draw(st.integers(0, 2))
    full = draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim))
    dtype = draw(st.sampled_from(['float64', 'float64', 'float32']))
    n_inputs = draw(st.integers(1, 3))
    inputs, values = [], []
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    for k in range(n_inputs):
        rank = draw(st.integers(0, ndim))
        shape = [draw(st.sampled_from([n, 1])) for n in full[ndim - rank:]]
        inputs.append(T.tensor(dtype, shape=[1 if s == 1 else None for s in shape], name=f'i{k}'))
        values.append(rng.uniform(-3, 3, size=shape).astype(dtype))
    pool = list(inputs)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(['unary', 'unary', 'binary', 'binary', 'reducing']))
        a = draw(st.sampled_from(pool))
        if kind == 'unary':
            pool.append(UNARY[draw(st.sampled_from(sorted(UNARY)))](a))
        elif kind == 'binary':
            pool.append(BINARY[draw(st.sampled_from(sorted(BINARY)))](a, draw(st.sampled_from(pool))))
        else:
            pool.append(REDUCING[draw(st.sampled_from(sorted(REDUCING)))](a))
    outputs = [pool[-1]] + ([pool[-2]] if len(pool) > n_inputs + 1 and draw(st.booleans()) else [])
    return inputs, values, outputs


def _max_examples(backend):
    return 25 if backend == 'numpy' else 6


def test_rewritten_graphs_compute_the_same_values(backend):
    @settings(max_examples=_max_examples(backend), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(programs())
    def check(program):
        inputs, values, outputs = program
        naive = tg.function(inputs, outputs, backend='numpy', rewrites='none', on_unused_input='ignore')
        fast = tg.function(inputs, outputs, backend=backend, on_unused_input='ignore')
        with np.errstate(all='ignore'):
            expected = naive(*values)
            got = fast(*values)
        for e, g, out in zip(expected, got, outputs):
            e, g = np.asarray(e), np.asarray(g)
            assert g.shape == e.shape and g.dtype == e.dtype
            tol = 2e-4 if out.dtype == 'float32' else 1e-9
            finite = np.isfinite(e)
            np.testing.assert_allclose(g[finite], e[finite], rtol=tol, atol=tol)
    check()
