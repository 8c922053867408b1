"""Theano's "Creating a new Op" tutorial, written as Theano code, through the alias."""
import numpy as np
import pytest

from tracegraph.theano import alias_theano

theano = alias_theano()
import theano.tensor as T  # noqa: E402
from theano.compile.ops import as_op  # noqa: E402


class DoubleOp(theano.Op):
    __props__ = ()

    def make_node(self, x):
        x = theano.tensor.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        z = output_storage[0]
        z[0] = x * 2

    def infer_shape(self, node, i0_shapes):
        return i0_shapes

    def grad(self, inputs, output_grads):
        return [output_grads[0] * 2]


class DoubleOpTypes(theano.Op):
    __props__ = ()
    itypes = [T.dmatrix]
    otypes = [T.dmatrix]

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 2


@as_op(itypes=[T.dvector], otypes=[T.dvector])
def numpy_sort(a):
    return np.sort(a)


def test_props_define_equality():
    assert DoubleOp() == DoubleOp() and hash(DoubleOp()) == hash(DoubleOp())


@pytest.mark.parametrize('op_class', [DoubleOp, DoubleOpTypes])
def test_custom_op_runs(backend, op_class):
    x = T.matrix('x', dtype='float64')
    f = theano.function([x], op_class()(x) + 1, backend=backend)
    inp = np.random.default_rng(0).random((5, 4))
    np.testing.assert_allclose(f(inp), inp * 2 + 1)


def test_as_op(backend):
    x = T.dvector('x')
    f = theano.function([x], numpy_sort(x) * 3, backend=backend)
    np.testing.assert_array_equal(f(np.array([3.0, 1.0, 2.0])), [3.0, 6.0, 9.0])


def test_wrong_input_type_is_refused():
    with pytest.raises(TypeError, match='expected'):
        DoubleOpTypes()(T.fmatrix())
