"""Property: any expression of + - * / and negation over constants and variables
compiles (the canonical forms reach a fixed point, never oscillate) and computes what
NumPy computes, on every backend.

`-x + 0.8` once made 'canonical_add' fire without end: the rebuilt sum kept the
negation it had just absorbed.  Each example here is one function of several
outputs, so a backend compiles few graphs."""
import operator

import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T

hypothesis = pytest.importorskip('hypothesis')
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

BINARY = {'+': operator.add, '-': operator.sub, '*': operator.mul, '/': operator.truediv}
CONSTANTS = [0.0, 1.0, -1.0, 0.8, 2.0, -3.5]


def expressions(depth):
    """A tree: ('var', k) | ('const', c) | ('neg', e) | (op, e1, e2)."""
    leaf = st.one_of(st.tuples(st.just('var'), st.integers(0, 1)),
                     st.tuples(st.just('const'), st.sampled_from(CONSTANTS)))
    if depth == 0:
        return leaf
    inner = expressions(depth - 1)
    return st.one_of(leaf, st.tuples(st.just('neg'), inner),
                     st.tuples(st.sampled_from(sorted(BINARY)), inner, inner))


def evaluate(tree, variables):
    """The same tree over `variables` (symbolic or NumPy): one interpreter for both."""
    kind = tree[0]
    if kind == 'var':
        return variables[tree[1]]
    if kind == 'const':
        return tree[1]
    if kind == 'neg':
        return -evaluate(tree[1], variables)
    a, b = evaluate(tree[1], variables), evaluate(tree[2], variables)
    if kind == '/':
        b = b * b + 1.0  # keeps the denominator away from zero, the same on both sides
    return BINARY[kind](a, b)


def _max_examples(backend):
    return 20 if backend == 'numpy' else 4


@pytest.mark.parametrize('dtype', ['float64', 'float32'])
def test_arithmetic_expressions_compile_and_match_numpy(backend, dtype):
    x, y = T.tensor(dtype, shape=(None,), name='x'), T.matrix('y', dtype=dtype)
    rng = np.random.default_rng(0)
    values = [rng.uniform(-2, 2, 5).astype(dtype), rng.uniform(-2, 2, (3, 5)).astype(dtype)]
    tol = 1e-10 if dtype == 'float64' else 2e-4

    @settings(max_examples=_max_examples(backend), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(expressions(3), min_size=4, max_size=8))
    def check(trees):
        outputs = [evaluate(t, [x, y]) + 0 * x for t in trees]  # every output an array
        f = tg.function([x, y], outputs, backend=backend, on_unused_input='ignore')
        got = f(*values)
        for tree, value in zip(trees, got):
            expected = evaluate(tree, [v.astype('float64') for v in values]) + 0 * values[0]
            np.testing.assert_allclose(value, expected, rtol=tol, atol=tol, err_msg=repr(tree))

    check()


@pytest.mark.parametrize('build', [lambda x: -x + 0.8, lambda x: 0.8 - x, lambda x: -x * 2.0 + 0.8,
                                   lambda x: -(x - 0.8), lambda x: -x + (-x) + 1.0])
def test_negated_sum_with_a_constant_compiles(build):
    x = T.dmatrix('x')
    v = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(tg.function([x], build(x))(v), build(v))


def test_indexing_a_constant_array_keeps_its_type(backend):
    """'shape_index' once replaced a float32 constant's row by an int64 constant."""
    value = np.arange(30.0).reshape(3, 5, 2).astype('float32')
    row = T.as_tensor_variable(value)[0]
    i = T.lscalar('i')
    got = tg.function([i], [row, T.as_tensor_variable(value)[i, 1]], backend=backend)(2)
    np.testing.assert_array_equal(got[0], value[0])
    np.testing.assert_array_equal(got[1], value[2, 1])
    assert got[0].dtype == got[1].dtype == np.float32
