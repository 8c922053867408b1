"""Each built-in rewrite: the graph before and after (printed with pp)."""
import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.ir import FunctionGraph
from tracegraph.printing import pp
from tracegraph.rewrite import REWRITES
from tracegraph.rewrite.engine import run
from tracegraph.tensor.elemwise import DimShuffle
from tracegraph.tensor.scalar import Composite

x, y, z = T.dvectors('x', 'y', 'z')
m = T.dmatrix('m')


def rewritten(outputs, names, inputs=None):
    """pp of the outputs after running only the rewrites called `names`."""
    outputs = outputs if isinstance(outputs, list) else [outputs]
    inputs = inputs or [v for v in (x, y, z, m) if v in tg.ir.ancestors(outputs)]
    fg = FunctionGraph(inputs, outputs)
    run(fg, [REWRITES[n] for n in names])
    return [pp(o) for o in fg.outputs] if len(outputs) > 1 else pp(fg.outputs[0]), fg


CANONICAL = [
    ((x + 1) + 2, ['canonical_add'], '(x + TensorConstant{3.0})'),
    (x + 0, ['canonical_add'], 'identity(x)'),
    (x + (y - x), ['canonical_add'], 'fill(x, y)'),
    (x - x, ['canonical_add'], 'fill(x, TensorConstant{0.0})'),
    (-(x - y), ['canonical_add'], '(y - x)'),
    (x - (-y), ['canonical_add'], '(x + y)'),
    (2 * (x * 3), ['canonical_mul'], '(TensorConstant{6.0} * x)'),
    (x * 1, ['canonical_mul'], 'identity(x)'),
    (x * -1, ['canonical_mul'], '-x'),
    ((-x) * y, ['canonical_mul'], '-(x * y)'),
    (T.exp(x) / T.exp(x), ['merge', 'canonical_mul', 'fill_remove'], 'fill(x, TensorConstant{1.0})'),
    (-(-x), ['double_negation'], 'identity(x)'),
    (x ** 2, ['pow_specialize'], 'sqr(x)'),
    (x ** 1, ['pow_specialize'], 'identity(x)'),
    (x ** 0.5, ['pow_specialize'], 'sqrt(x)'),
    (T.switch(1, x, y), ['constant_switch'], 'fill(y, x)'),
    (T.maximum(x, x), ['idempotent'], 'identity(x)'),
]


@pytest.mark.parametrize('expr, names, expected', CANONICAL, ids=[c[2] for c in CANONICAL])
def test_canonical_forms(expr, names, expected):
    assert pp(expr) != expected
    assert rewritten(expr, names)[0] == expected


def test_x_over_x_is_kept_where_x_may_be_zero():
    assert rewritten(x / x, ['canonical_mul'])[0] == '(x / x)'


def test_constant_folding_uses_the_numpy_backend():
    expr = x * (T.constant(3.0) - T.exp(T.constant(0.0)))
    text, fg = rewritten(expr, ['constant_folding'])
    assert text == '(x * TensorConstant{2.0})'
    assert set(fg.rewrites_applied) == {'constant_folding'}


def test_large_constants_are_not_folded():
    big = T.constant(np.ones(200_000)) * 2
    _, fg = rewritten(x + big, ['constant_folding'])
    assert fg.rewrites_applied == []


def test_merge_reads_one_copy_of_equal_subgraphs_and_constants():
    a = T.exp(x) + T.exp(x)
    b = (T.tanh(y) * T.constant(2.0)) - (T.constant(2.0) * T.tanh(y))  # commutative mul
    text, fg = rewritten([a, b], ['merge'])
    assert text == ['(exp(x) + exp(x))', '((tanh(y) * TensorConstant{2.0}) - (tanh(y) * TensorConstant{2.0}))']
    exp_nodes = [n for n in fg.apply_nodes if n.op == T.exp(x).owner.op]
    assert len(exp_nodes) == 1
    muls = [n for n in fg.apply_nodes if str(n.op) == 'Elemwise{mul}']
    assert len(muls) == 1


def test_dead_code_drops_unreachable_nodes():
    fg = FunctionGraph([x], [T.exp(x)])
    orphan = T.tanh(x).owner
    fg.apply_nodes.add(orphan)
    assert REWRITES['dead_code'].fn(fg) is True
    assert orphan not in fg.apply_nodes
    assert REWRITES['dead_code'].fn(fg) is None


def test_shape_of_an_elementwise_result_comes_from_its_inputs():
    text, fg = rewritten(T.exp(T.tanh(x) * 2).shape, ['shape_lift'])
    assert text == 'Shape(x)'
    text, _ = rewritten((x * y).shape[0], ['shape_lift', 'shape_index'])
    assert text == 'maximum(Subtensor{0}(Shape(x)), Subtensor{0}(Shape(y)))'
    text, _ = rewritten(T.dot(m, x).shape, ['shape_lift'])
    assert text == 'MakeVector(Subtensor{0}(Shape(m)))'
    static = T.tensor('float64', shape=(3, 4), name='s')
    text, _ = rewritten(T.exp(static).shape, ['shape_lift'], inputs=[static])
    assert text == 'identity(TensorConstant{[3 4]})'  # an output is never a bare constant


def test_shape_of_a_pool_or_conv_result_comes_from_the_ops_infer_shape():
    from tracegraph.tensor.nnet import conv2d
    from tracegraph.tensor.signal.pool import pool_2d
    img, kern = T.dtensor4('img'), T.dtensor4('kern')
    results = [pool_2d(img, ws=(3, 2), stride=(2, 1), ignore_border=False),
               conv2d(img, kern, border_mode='full', subsample=(2, 1))]
    _, fg = rewritten([r.shape for r in results], ['shape_lift'], inputs=[img, kern])
    assert {type(n.op).__name__ for n in fg.apply_nodes}.isdisjoint({'Pool', 'AbstractConv2d'})
    values = np.zeros((2, 3, 9, 7)), np.zeros((4, 3, 3, 2))
    shapes = tg.function([img, kern], fg.outputs)(*values)
    computed = tg.function([img, kern], results)(*values)
    for shape, value in zip(shapes, computed):
        np.testing.assert_array_equal(shape, value.shape)


def test_no_shape_work_left_in_a_compiled_shape():
    f = tg.function([x], T.exp(T.tanh(x) * 2).shape)
    assert all(n.op.__class__.__name__ not in ('Elemwise',) for n in f.fgraph.apply_nodes)
    np.testing.assert_array_equal(f(np.zeros(5)), [5])


def test_gradient_seed_is_folded_so_grad_of_x_squared_is_2x():
    s = T.dscalar('s')
    f = tg.function([s], tg.grad(s ** 2, s))
    assert pp(f.fgraph.outputs[0]) == '(TensorConstant{2.0} * s)'
    assert float(f(3.0)) == 6.0


def test_fill_removal_rules():
    text, _ = rewritten(T.fill(T.exp(x), y), ['fill_remove'])
    assert text == 'fill(x, y)'
    text, _ = rewritten(T.fill(x, x * y), ['fill_remove'])
    assert text == '(x * y)'
    text, _ = rewritten(T.fill(x, 1.0) * (x + y), ['fill_in_reader'])
    assert text == '(TensorConstant{1.0} * (x + y))'
    text, _ = rewritten(T.fill(x, 2.0) * y, ['fill_sink'])
    assert text == 'fill(x, (TensorConstant{2.0} * y))'


STABLE = [
    (T.log(1 + T.exp(x)), ['softplus_from_log1p_exp'], 'softplus(x)'),
    (T.log1p(T.exp(x)), ['softplus_from_log1p_exp'], 'softplus(x)'),
    (1 / (1 + T.exp(-x)), ['sigmoid_from_reciprocal'], 'sigmoid(x)'),
    (1 - T.sigmoid(x), ['one_minus_sigmoid'], 'sigmoid(-x)'),
    (T.log(T.sigmoid(x)), ['log_sigmoid'], '-softplus(-x)'),
    (T.log(1 + x), ['log1p'], 'log1p(x)'),
    (T.exp(x) - 1, ['expm1'], 'expm1(x)'),
    (T.log(T.exp(x) / T.sum(T.exp(x))), ['log_softmax'], '(x - log(Sum{axes=[0]}(exp(x))))'),
]


@pytest.mark.parametrize('expr, names, expected', STABLE, ids=[s[2] for s in STABLE])
def test_stable_forms(expr, names, expected):
    assert rewritten(expr, names)[0] == expected


def test_logsumexp():
    text, _ = rewritten(T.log(T.sum(T.exp(x))), ['logsumexp'])
    assert text.startswith('(log(Sum{axes=[0]}(exp((x - switch(isinf(Max{axes=[0]}(x))')
    text, fg = rewritten(text and T.log(T.sum(T.exp(x))), ['logsumexp'])
    assert fg.rewrites_applied == ['logsumexp']  # the shifted form is left alone


def test_log_softmax_under_an_index_as_categorical_crossentropy_builds_it():
    labels = T.lvector('labels')
    xent = T.nnet.categorical_crossentropy(T.nnet.softmax(m), labels)
    fg = FunctionGraph([m, labels], [xent])
    run(fg, [REWRITES[n] for n in ('merge', 'log_softmax')])
    assert 'log_softmax' in fg.rewrites_applied
    assert pp(fg.outputs[0]).startswith('-Subtensor{?, ?}(((m - Max{axes=[1]}(m)) - log(Sum{axes=[1]}')


def test_fusion_makes_one_composite_of_a_chain():
    expr = (x * y + 2 * x - T.exp(-y)) * T.tanh(x)
    _, fg = rewritten(expr, ['elemwise_fusion'])
    (node,) = fg.apply_nodes
    assert isinstance(node.op.scalar_op, Composite)
    assert str(node.op.scalar_op) == \
        'Composite{mul(sub(add(mul(i0, i1), mul(i2, i0)), exp(neg(i1))), tanh(i0))}'
    assert node.inputs[:2] == [x, y]


def test_fusion_stops_at_values_read_twice():
    shared_part = T.exp(x)
    _, fg = rewritten([shared_part * 2, shared_part + y], ['elemwise_fusion'])
    assert len(fg.apply_nodes) == 3


def test_inplace_update_and_what_blocks_it():
    w = tg.shared(np.zeros(3), name='w')
    f = tg.function([x], [], updates=[(w, w + x)])
    (node,) = [n for n in f.fgraph.apply_nodes if getattr(n.op, 'inplace', ())]
    assert node.op.inplace == ((0, 0),) and node.inputs[0] is w
    old = tg.function([x], w, updates=[(w, w + x)])  # returns the old value: a copy first
    assert any(getattr(n.op, 'inplace', ()) for n in old.fgraph.apply_nodes)
    wm = tg.shared(np.zeros((2, 3)), name='wm')
    view = tg.function([m], wm.T, updates=[(wm, wm + m)])  # an output may alias wm: no
    assert not any(getattr(n.op, 'inplace', ()) for n in view.fgraph.apply_nodes)
    before = wm.get_value(borrow=True)
    out = view(np.ones((2, 3)))
    np.testing.assert_array_equal(out, np.zeros((3, 2)))
    assert wm.get_value(borrow=True) is not before
    i = tg.shared(np.zeros(3, dtype='int64'))
    ints = tg.function([], [], updates=[(i, i + 1)])  # integer kernels may raise: no
    assert not any(getattr(n.op, 'inplace', ()) for n in ints.fgraph.apply_nodes)


def test_inplace_updates_that_read_each_other_are_ordered_or_dropped():
    from tracegraph.rewrite.destroy import order_inplace, schedule
    a = tg.shared(np.ones(3), name='a')
    b = tg.shared(np.ones(3), name='b')
    swap = tg.function([], [], updates=[(a, a + b), (b, b * a)])
    inplace = [n for n in swap.fgraph.apply_nodes if getattr(n.op, 'inplace', ())]
    assert len(inplace) == 1  # each reads the other's target: only one may write in place
    order = schedule(swap.fgraph.toposort())
    assert order[-1] is inplace[0]
    swap()
    np.testing.assert_allclose(a.get_value(), [2, 2, 2])
    np.testing.assert_allclose(b.get_value(), [1, 1, 1])
    ordered, dropped = order_inplace([])
    assert ordered == [] and dropped == []


def test_dimshuffles_in_a_row_merge_or_vanish():
    text, fg = rewritten(m.dimshuffle(1, 0).dimshuffle(1, 0), ['dimshuffle_merge'])
    assert text == 'identity(m)' and fg.rewrites_applied == ['dimshuffle_merge']
    expr = x.dimshuffle('x', 0).dimshuffle(1, 0, 'x')
    _, fg = rewritten(expr, ['dimshuffle_merge'])
    (node,) = fg.apply_nodes
    assert node.op.new_order == (0, 'x', 'x')



SQUARE, WIDE, ROW = np.arange(9.0).reshape(3, 3), np.arange(12.0).reshape(3, 4), np.arange(3.0)
TRANSPOSES = [      # expression, its inputs' values, whether its transposes sink
    (m.T + m.T * 2, [WIDE], True),
    (m.T * x.dimshuffle('x', 0), [WIDE, ROW], True),
    (m.T.max(axis=1), [WIDE], True),
    (m.T + m, [SQUARE], False),        # one input in order and one not: left as written
]


@pytest.mark.parametrize('expr, values, sinks', TRANSPOSES, ids=[pp(c[0]) for c in TRANSPOSES])
def test_transposes_sink_below_elementwise_ops_and_reductions(expr, values, sinks):
    names = ['transpose_below_elemwise', 'transpose_below_reduce']
    text, fg = rewritten(expr, names)
    assert bool(fg.rewrites_applied) == sinks
    transposes_m = any(isinstance(n.op, DimShuffle) and n.inputs[0] is m for n in fg.apply_nodes)
    assert transposes_m != sinks, text      # sunk: the loops read m as it lies
    inputs = [v for v in (m, x) if v in tg.ir.ancestors([expr])]
    np.testing.assert_array_equal(tg.function(inputs, expr)(*values),
                                  tg.function(inputs, expr, rewrites='none')(*values))
