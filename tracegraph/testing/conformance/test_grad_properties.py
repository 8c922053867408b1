"""Property tests: gradients of broadcasting expressions, over random shapes and
broadcast patterns, agree with finite differences and come back in the input's shape.

Every example is a new graph, hence a new compile; they run on the reference
backend (test_grad_ops and test_grad_elemwise check each backend's gradients).
"""
import numpy as np
import pytest

hypothesis = pytest.importorskip('hypothesis')
from hypothesis import given, settings, strategies as st  # noqa: E402

import tracegraph.tensor as T  # noqa: E402
from tracegraph.autodiff import verify_grad  # noqa: E402

_BINARY = [T.add, T.sub, T.mul, lambda a, b: a * T.tanh(b), lambda a, b: T.maximum(a, b) * a]


@st.composite
def broadcast_pair(draw):
    """Two shapes that broadcast together: each axis of the second may be 1 or dropped."""
    ndim = draw(st.integers(1, 3))
    full = draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim))
    other = [draw(st.sampled_from([n, 1])) for n in full]
    drop = draw(st.integers(0, ndim - 1))
    return tuple(full), tuple(other[drop:])


@settings(max_examples=15, deadline=None)
@given(shapes=broadcast_pair(), op=st.sampled_from(range(len(_BINARY))), seed=st.integers(0, 2 ** 16),
       swap=st.booleans())
def test_broadcast_binary_gradient(shapes, op, seed, swap):
    rng = np.random.default_rng(seed)
    a, b = (rng.uniform(0.5, 1.5, s) * rng.choice([-1, 1], s) for s in shapes)
    points = [b, a] if swap else [a, b]
    verify_grad(_BINARY[op], points, rng=rng, backend='numpy')


@settings(max_examples=15, deadline=None)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3), seed=st.integers(0, 2 ** 16),
       data=st.data())
def test_reduction_gradient_over_axes(shape, seed, data):
    ndim = len(shape)
    axes = data.draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim))
    reducer = data.draw(st.sampled_from(['sum', 'mean', 'prod', 'max']))
    keepdims = data.draw(st.booleans())
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 1.5, shape) + np.arange(int(np.prod(shape))).reshape(shape) * 0.1
    axis = tuple(axes) if axes else None
    verify_grad(lambda v: getattr(T, reducer)(v, axis=axis, keepdims=keepdims) * 1.5, [x],
                rng=rng, backend='numpy')


@settings(max_examples=15, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=3), seed=st.integers(0, 2 ** 16))
def test_gradient_has_the_shape_of_the_input(shape, seed):
    import tracegraph as tg
    x = T.tensor('float64', shape=(None,) * len(shape), name='x')
    row = T.tensor('float64', shape=(1,) + (None,) * (len(shape) - 1), name='row')
    cost = T.sum(T.exp(x * row) + row)
    gx, grow = tg.grad(cost, [x, row])
    assert grow.type.shape[0] == 1
    rng = np.random.default_rng(seed)
    xv = rng.normal(size=shape)
    rv = rng.normal(size=(1,) + tuple(shape[1:]))
    out = tg.function([x, row], [gx, grow], backend='numpy')(xv, rv)
    np.testing.assert_allclose(out[0], np.exp(xv * rv) * rv)
    np.testing.assert_allclose(out[1], (np.exp(xv * rv) * xv).sum(0, keepdims=True) + shape[0])
