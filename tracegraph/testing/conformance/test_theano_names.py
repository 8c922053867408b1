"""The names Theano libraries import (issue 20): sharedvar classes, gof.graph helpers,
clone, equal_computations, gradient overrides, printing.Print, map/reduce/foldl/foldr,
MRG methods, plural constructors, list-of-slices indexing, shape of a missing axis,
and a clear ImportError for sparse.  Values are checked against NumPy on every backend
in few compiled functions."""
import importlib

import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph import gradient
from tracegraph.theano.gof import graph
from tracegraph.printing import Print
from tracegraph.sandbox.rng_mrg import MRG_RandomStreams
from tracegraph.theano.scan_module.scan_utils import equal_computations
from tracegraph.theano.tensor.sharedvar import ScalarSharedVariable, TensorSharedVariable


def test_class_names_and_isinstance():
    assert T.Variable is tg.Variable and isinstance(T.dvector(), T.TensorVariable)
    assert isinstance(T.constant(1.0), T.TensorConstant)
    s, z = tg.shared(np.zeros(3)), tg.shared(1.5)
    assert isinstance(s, TensorSharedVariable) and isinstance(z, TensorSharedVariable)
    assert isinstance(z, ScalarSharedVariable) and not isinstance(s, ScalarSharedVariable)
    assert not isinstance(T.dvector(), TensorSharedVariable)
    assert not isinstance(MRG_RandomStreams(1).uniform((2,)).rng, TensorSharedVariable)


def test_graph_helpers():
    x, y = T.dvector('x'), T.dvector('y')
    z = T.exp(x) * y + 1
    assert set(graph.inputs([z])) >= {x, y}
    assert x in graph.ancestors([z]) and z in graph.ancestors([z])
    nodes = graph.io_toposort([x, y], [z])
    assert nodes[-1] is z.owner and len(nodes) == 3
    assert graph.is_same_graph(T.exp(x) * y + 1, z)
    assert not graph.is_same_graph(T.exp(x) * y + 2, z)
    assert graph.is_same_graph(T.exp(x) * y + 1, T.exp(x) * x + 1, givens={y: x})
    assert equal_computations([T.exp(x) + y], [T.exp(x) + y])
    assert not equal_computations([T.exp(x) + y], [T.exp(y) + x])
    assert equal_computations([T.exp(x) + y], [T.exp(y) + x], [x, y], [y, x])
    assert importlib.import_module('tracegraph.theano.gof').graph is graph


def test_clone_replace_and_plural_constructors():
    x, y = T.dvector('x'), T.dvector('y')
    z = T.exp(x) + 1
    w = tg.clone(z, replace={x: y})
    assert graph.inputs([w]) == [y] or y in graph.inputs([w])
    assert x not in graph.inputs([w]) and z.owner.inputs[0].owner.inputs[0] is x
    both = tg.clone([z, z * 2], replace=[(x, y)])
    assert len(both) == 2
    p, t = T.matrices('pt')
    assert (p.name, t.name, p.ndim) == ('p', 't', 2)
    assert T.dscalars('x').name == 'x' and [v.name for v in T.vectors('a', 'b')] == ['a', 'b']


def test_sparse_is_a_clear_import_error():
    with pytest.raises(ImportError, match='out of scope'):
        importlib.import_module('tracegraph.theano.sparse')


def test_values_on_every_backend(backend, capfd):
    x, v = T.dmatrix('x'), T.dvector('v')
    seq_sum, _ = tg.reduce(lambda a, acc: acc + a, sequences=v, outputs_info=T.constant(0.0))
    firsts, _ = tg.foldl(lambda a, acc: acc * 2 + a, sequences=v, outputs_info=T.constant(0.0))
    lasts, _ = tg.foldr(lambda a, acc: acc * 2 + a, sequences=v, outputs_info=T.constant(0.0))
    squares, _ = tg.map(lambda a, k: a ** 2 + k, sequences=v, non_sequences=T.constant(1.0))
    printed = Print('the value of v')(v)
    outs = [x[[slice(0, 2), slice(1, 3)]], seq_sum, firsts, lasts, squares, printed * 2,
            tg.clone(T.exp(v) + 1, replace={v: 2 * v})]
    f = tg.function([x, v], outs, backend=backend)
    xv, vv = np.arange(12.0).reshape(3, 4), np.array([1.0, 2.0, 3.0])
    got = f(xv, vv)
    expected = [xv[0:2, 1:3], vv.sum(), ((1 * 2 + 2) * 2 + 3), ((3 * 2 + 2) * 2 + 1), vv ** 2 + 1, vv * 2,
                np.exp(2 * vv) + 1]
    for k, (a, b) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(a, b, err_msg=str(k))
    assert 'the value of v __str__ = [1. 2. 3.]' in capfd.readouterr().out
    np.testing.assert_array_equal(vv, [1.0, 2.0, 3.0])  # Print passed a copy on


def test_shape_of_a_missing_axis_builds_and_fails_when_run():
    v = T.dvector('v')
    s = v.shape[1]            # Theano builds it; libraries check ranks first
    f = tg.function([v], s)
    with pytest.raises(IndexError, match='no axis 1'):
        f(np.zeros(3))


def test_gradient_overrides(backend):
    x = T.dvector('x')
    cost = (T.sum(gradient.zero_grad(x) * x) + T.sum(gradient.grad_clip(x, -0.5, 0.5) ** 2 * 10)
            + T.sum(gradient.consider_constant(x) ** 3) + T.sum(gradient.grad_scale(x, 3.0)))
    g = tg.grad(cost, x)
    xv = np.array([0.01, 1.0, -2.0])
    f = tg.function([x], [cost, g], backend=backend)
    c, gv = f(xv)
    np.testing.assert_allclose(c, np.sum(xv * xv) + 10 * np.sum(xv ** 2) + np.sum(xv ** 3) + xv.sum())
    np.testing.assert_allclose(gv, xv + np.clip(20 * xv, -0.5, 0.5) + 3.0)
    y = gradient.disconnected_grad(x)
    assert tg.grad(T.sum(y * x), x, disconnected_inputs='ignore') is not None
    with pytest.raises(Exception):
        tg.grad(T.sum(y), x)


def test_mrg_methods(backend):
    r = MRG_RandomStreams(7)
    n = r.normal((4000,), avg=1.0, std=2.0, truncate=True, dtype='float64')
    u = r.uniform((5,), low=2.0, high=3.0)
    b = r.binomial((6,), p=0.5)
    mn = r.multinomial(pvals=np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]))
    ch = r.choice(size=3, p=np.full((50, 4), 0.25), replace=False)
    chr_ = r.choice(size=4, p=np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]))
    values = tg.function([], [n, u, b, mn, ch, chr_], backend=backend)()
    nv, uv, bv, mv, cv, rv = values
    assert -3.0 <= nv.min() and nv.max() <= 5.0 and abs(nv.mean() - 1.0) < 0.15
    assert abs(nv.std() - 2.0 * 0.8796) < 0.1      # a 2-sigma truncated normal's spread
    assert np.all((uv >= 2) & (uv < 3)) and set(np.unique(bv)) <= {0, 1}
    np.testing.assert_array_equal(mv, [[0, 1, 0], [1, 0, 0]])
    assert cv.shape == (50, 3) and all(len(set(row)) == 3 for row in cv.tolist())
    np.testing.assert_array_equal(rv, [[2] * 4, [0] * 4])
    with pytest.raises(TypeError):
        r.choice(size=2, a=3, p=np.ones((1, 3)) / 3)
