"""The IR: graphs are data, walked without recursion, with the user's line on each node."""
import sys

import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.ir import FunctionGraph, clone_graph, graph_inputs, toposort


def _chain(n):
    x = T.dvector('x')
    y = x
    for _ in range(n):
        y = T.tanh(y * 1.01 + 0.1)
    return x, y


def test_graph_structure_walks_through_owner():
    x = T.fmatrix('x')
    y = T.fmatrix('y')
    z = x + y
    node = z.owner
    assert str(node.op) == 'Elemwise{add}'
    assert node.inputs == [x, y]
    assert node.outputs == [z]
    assert z.index == 0 and x.owner is None
    assert z.type == T.TensorType('float32', (None, None))
    assert z.dtype == 'float32' and z.ndim == 2


def test_ops_are_hashable_data():
    a, b = T.dvector('a'), T.dvector('b')
    assert (a + b).owner.op == (b + a).owner.op
    assert hash((a + b).owner.op) == hash((b + a).owner.op)
    assert (a + b).owner.op != (a * b).owner.op
    assert a.sum(axis=0).owner.op == b.sum(axis=0).owner.op


def test_nodes_record_the_users_line():
    x = T.dvector('x')
    y = T.exp(x)  # this line
    assert y.owner.source.filename == __file__
    assert 'y = T.exp(x)' in y.owner.source.line


def test_static_shapes_catch_errors_at_build_time():
    a = T.tensor('float64', shape=(2, 3), name='a')
    b = T.tensor('float64', shape=(4, 3), name='b')
    with pytest.raises(ValueError, match='cannot broadcast'):
        a + b
    with pytest.raises(ValueError, match='not aligned'):
        T.dot(a, b)
    assert (a + T.dvector()).type.shape == (2, 3)


def test_ten_thousand_node_chain_needs_no_recursion():
    limit = sys.getrecursionlimit()
    x, y = _chain(5000)  # 10,000 Elemwise nodes (mul+add per step, plus tanh)
    assert len(toposort([y])) >= 10000
    assert graph_inputs([y]) == [x] or x in graph_inputs([y])
    clone_graph([x], [y])
    FunctionGraph([x], [y])
    text = tg.printing.debugprint(y, file='str')
    assert text.count('\n') >= 10000
    tg.pp(y)
    f = tg.function([x], y)
    ref = np.array([0.5])
    for _ in range(5000):
        ref = np.tanh(ref * 1.01 + 0.1)
    np.testing.assert_allclose(f([0.5]), ref)
    assert sys.getrecursionlimit() == limit


def test_function_graph_replace_keeps_clients_consistent():
    x = T.dvector('x')
    y = T.exp(x) + 1
    fg = FunctionGraph([x], [y * 2])
    add_node = next(n for n in fg.apply_nodes if str(n.op) == 'Elemwise{add}')
    exp_out = add_node.inputs[0]
    replacement = T.sin(fg.inputs[0])
    fg.replace(exp_out, replacement, reason='test')
    assert all(str(n.op) != 'Elemwise{exp}' for n in fg.apply_nodes)
    assert any(str(n.op) == 'Elemwise{sin}' for n in fg.apply_nodes)
    assert (add_node, 0) in fg.clients[replacement]
    assert fg.rewrites_applied == ['test']


def test_constructors_and_dtypes():
    assert T.fscalar().dtype == 'float32' and T.dmatrix().dtype == 'float64'
    assert T.ivector().dtype == 'int32' and T.lscalar().dtype == 'int64'
    assert T.bscalar().dtype == 'int8'
    assert T.matrix().dtype == tg.config.floatX
    assert T.row().broadcastable == (True, False) and T.col().broadcastable == (False, True)
    assert T.tensor3().ndim == 3 and T.tensor4().ndim == 4
    x, y = T.fscalars('x', 'y')
    assert (x.name, y.name) == ('x', 'y')
    assert [v.ndim for v in T.dmatrices('a', 'b')] == [2, 2]
    assert T.tensor('int16', shape=(None, 3), name='t').type.shape == (None, 3)
    assert T.TensorType('float64', (False, True)).broadcastable == (False, True)


def test_floatx_can_be_set_at_run_time(monkeypatch):
    monkeypatch.setattr(tg.config, 'floatX', 'float32')
    assert T.matrix().dtype == 'float32'
    with pytest.raises(ValueError):
        tg.config.floatX = 'float128'
