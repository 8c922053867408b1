"""Theano tutorial, "Basic Algebra": adding scalars and matrices."""
import numpy as np

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph import function, pp


def test_add_two_scalars(backend):
    x = T.fscalar('x')
    y = T.fscalar('y')
    z = x + y
    assert pp(z) == '(x + y)'
    f = function([x, y], z, backend=backend)
    assert f.backend == backend
    out = f(2, 3)
    assert np.asarray(out).dtype == np.float32
    np.testing.assert_allclose(out, np.float32(2) + np.float32(3))
    np.testing.assert_allclose(f(np.float32(16.3), np.float32(12.1)), np.float32(16.3) + np.float32(12.1))


def test_python_float_into_float32_input_is_refused_unless_downcast_allowed(backend):
    import pytest
    x, y = T.fscalars('x', 'y')
    f = function([x, y], x + y, backend=backend)
    with pytest.raises(TypeError, match="input 'x'.*float32.*allow_input_downcast"):
        f(16.3, 12.1)
    g = function([x, y], x + y, backend=backend, allow_input_downcast=True)
    np.testing.assert_allclose(g(16.3, 12.1), np.float32(16.3) + np.float32(12.1))


def test_add_two_matrices(backend):
    x = T.fmatrix('x')
    y = T.fmatrix('y')
    f = function([x, y], x + y, backend=backend)
    a = np.array([[1, 2], [3, 4]], dtype='float32')
    b = np.array([[10, 20], [30, 40]], dtype='float32')
    out = f(a, b)
    np.testing.assert_array_equal(out, a + b)
    np.testing.assert_array_equal(f([[1, 2], [3, 4]], [[10, 20], [30, 40]]), a + b)


def test_tutorial_as_theano(backend):
    import tracegraph as theano
    x = theano.tensor.dscalar('x')
    f = theano.function([x], 2 * x, backend=backend)
    assert float(f(4)) == 8.0
