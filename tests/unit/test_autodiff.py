"""Autodiff graphs that need no backend: the seed, the scalar table, graph sizes."""
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph import pp
from tracegraph.autodiff import ZERO, scalar_grads
from tracegraph.autodiff.reverse import backprop
from tracegraph.gradient import jacobian
from tracegraph.ir.traversal import toposort
from tracegraph.tensor.scalar import SCALAR_OPS


def test_every_scalar_op_has_a_derivative_line():
    assert scalar_grads.MISSING == []
    assert set(SCALAR_OPS) <= set(scalar_grads.SCALAR_GRADS)


def test_seed_prints_as_fill():
    x = T.fscalar('x')
    text = pp(T.grad(x ** 2, x))
    assert 'fill((x ** TensorConstant{2}), TensorConstant{1.0})' in text


def test_gradient_dtype_follows_the_input():
    x = T.fvector('x')
    d = T.dvector('d')
    g = tg.grad(T.sum(x * d), [x, d])
    assert [v.dtype for v in g] == ['float32', 'float64']


def test_names_follow_theano():
    x = T.dscalar('x')
    cost = x ** 3
    cost.name = 'c'
    assert tg.grad(cost, x).name == '(dc/dx)'


def test_piecewise_constant_paths_are_zero_without_graph():
    x = T.dvector('x')
    (g,) = backprop([x], {T.floor(x): T.dvector('g')})
    assert g is ZERO


def test_jacobian_graph_does_not_grow_with_the_number_of_elements():
    def size(n):
        x = T.tensor('float64', shape=(n,), name='x')
        return len(toposort([jacobian(T.exp(x) * T.sin(x) + x ** 2, x)]))
    assert size(10) == size(1000)
    x = T.dvector('x')
    f = tg.function([x], jacobian(T.tanh(x) * 2, x), backend='numpy')
    import numpy as np
    xv = np.linspace(-1, 1, 1000)
    out = f(xv)
    assert out.shape == (1000, 1000)
    np.testing.assert_allclose(np.diag(out), 2 * (1 - np.tanh(xv) ** 2))
    assert np.count_nonzero(out) == 1000


def test_jacobian_of_an_op_without_batching_rule_loops_with_scan():
    from tracegraph.ir import Apply, Op
    from tracegraph.scan.op import Scan

    class Opaque(Op):
        __props__ = ()

        def make_node(self, x):
            return Apply(self, [x], [x.type()])

        def grad(self, inputs, output_grads):
            return [Opaque()(output_grads[0])]

    x = T.dvector('x')
    J = jacobian(Opaque()(x), x)
    assert any(isinstance(node.op, Scan) for node in toposort([J]))


def test_wrt_tuple_gives_tuple_and_list_gives_list():
    x, y = T.dscalars('x', 'y')
    cost = x * y
    assert isinstance(tg.grad(cost, (x, y)), tuple)
    assert isinstance(tg.grad(cost, [x, y]), list)


def test_theano_style_disconnected_and_undefined_grads():
    from tracegraph.gradient import (DisconnectedInputError, DisconnectedType, NullTypeGradError,
                                     grad_undefined)
    from tracegraph.ir import Apply, Op

    class Pick(Op):
        __props__ = ('undefined',)

        def __init__(self, undefined):
            self.undefined = undefined

        def make_node(self, x, y):
            return Apply(self, [x, y], [x.type()])

        def grad(self, inputs, output_grads):
            other = grad_undefined(self, 1, inputs[1]) if self.undefined else DisconnectedType()()
            return [output_grads[0], other]

    x, y = T.dvectors('x', 'y')
    gx, gy = tg.grad(T.sum(Pick(False)(x, y)), [x, y], disconnected_inputs='ignore')
    assert gx is not None and gy.owner is not None  # gy: zeros
    with pytest.raises(DisconnectedInputError):
        tg.grad(T.sum(Pick(False)(x, y)), y)
    with pytest.raises(NullTypeGradError, match='input 1'):
        tg.grad(T.sum(Pick(True)(x, y)), y)


def test_verify_grad_accepts_theano_positional_order():
    import numpy as np
    from tracegraph.gradient import verify_grad
    rng = np.random.RandomState(0)
    verify_grad(lambda x: T.exp(x), [np.array([0.1, 0.2])], 1, rng, backend='numpy')
    verify_grad(lambda x: T.exp(x), [np.array([0.1, 0.2])], rng, backend='numpy')


def test_user_ops_may_define_l_op_or_grad():
    # Reverse mode calls L_op only; the Op base class's L_op calls a user's grad.
    from tracegraph.ir import Apply, Op
    seen = []

    class Twice(Op):
        __props__ = ()

        def make_node(self, x):
            return Apply(self, [x], [x.type()])

    class TwiceByLop(Twice):
        def L_op(self, inputs, outputs, output_grads):
            seen.append(outputs)
            return [output_grads[0] * 2]

    class TwiceByGrad(Twice):
        def grad(self, inputs, output_grads):
            return [output_grads[0] * 2]

    x = T.dvector('x')
    for op in (TwiceByLop(), TwiceByGrad()):
        y = op(x)
        expected = pp(T.grad(T.sum(x * 2), x)).replace(pp(x * 2), pp(y))
        assert pp(T.grad(T.sum(y), x)) == expected
    assert len(seen) == 1 and seen[0][0].owner.op == TwiceByLop()  # L_op got the outputs
