"""The Dask backend's own behaviour: chunking, Dask-array inputs, lazy outputs, the
generated graph (one task per chunk for a fused expression), and errors."""
import dask
import dask.array as da
import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T


def _expression():
    x = T.dmatrix('x')
    y = T.dvector('y')
    return [x, y], T.tanh(x * 2.0 + y) - T.exp(-x)


def _reference(a, b):
    return np.tanh(a * 2.0 + b) - np.exp(-a)


@pytest.mark.parametrize('chunks', ['split:1', 'split:3', 2, 'auto', (3, 2), '128B'])
def test_results_do_not_depend_on_the_chunking(chunks):
    ins, out = _expression()
    f = tg.function(ins, [out, out.sum(axis=0), out.max()], backend='dask',
                    backend_options={'chunks': chunks})
    a, b = np.random.default_rng(0).normal(size=(7, 5)), np.linspace(-1, 1, 5)
    got = f(a, b)
    want = _reference(a, b)
    np.testing.assert_allclose(got[0], want)
    np.testing.assert_allclose(got[1], want.sum(axis=0))
    np.testing.assert_allclose(got[2], want.max())


def test_dask_arrays_are_accepted_as_inputs_without_being_computed_first():
    ins, out = _expression()
    f = tg.function(ins, out, backend='dask', backend_options={'lazy': True, 'chunks': 'auto'})
    a = da.random.default_rng(1).normal(size=(6, 4), chunks=(2, 4))
    b = np.arange(4.0)
    lazy = f(a, b)
    assert isinstance(lazy, da.Array)
    assert lazy.chunks == a.chunks  # the elementwise work kept the caller's chunks
    np.testing.assert_allclose(lazy.compute(), _reference(a.compute(), b))


def test_dask_input_type_checks_name_the_input():
    x = T.fmatrix('x')
    f = tg.function([x], x * 2, backend='dask')
    with pytest.raises(TypeError, match="input 'x'.*float64.*allow_input_downcast"):
        f(da.ones((2, 2), dtype='float64'))
    with pytest.raises(TypeError, match="input 'x' must have 2 dimension"):
        f(da.ones((2,), dtype='float32'))
    g = tg.function([x], x * 2, backend='dask', allow_input_downcast=True)
    out = g(da.ones((2, 2), dtype='float64'))
    np.testing.assert_array_equal(out, np.full((2, 2), 2, 'float32'))
    assert out.dtype == np.float32


def test_lazy_outputs_can_be_stored_chunk_by_chunk():
    x = T.dvector('x')
    f = tg.function([x], T.sqrt(x) + 1, backend='dask',
                    backend_options={'lazy': True, 'chunks': 4})
    out = f(np.arange(10.0))
    assert isinstance(out, da.Array) and out.chunks == ((4, 4, 2),)
    target = np.zeros(10)
    da.store(out, target)
    np.testing.assert_allclose(target, np.sqrt(np.arange(10.0)) + 1)


def test_lazy_is_read_from_dask_config_at_compile_time():
    x = T.dvector('x')
    with dask.config.set({'tracegraph.lazy': True}):
        f = tg.function([x], x + 1, backend='dask')
    g = tg.function([x], x + 1, backend='dask')
    assert isinstance(f(np.ones(3)), da.Array)
    assert isinstance(g(np.ones(3)), np.ndarray)


def test_unknown_backend_option_is_a_clear_error():
    x = T.dvector('x')
    with pytest.raises(TypeError, match="unknown option.*'chunk'"):
        tg.function([x], x + 1, backend='dask', backend_options={'chunk': 3})


def test_fused_elementwise_is_one_blockwise_layer_with_one_task_per_chunk():
    ins, out = _expression()
    f = tg.function(ins, out, backend='dask',
                    backend_options={'lazy': True, 'chunks': (2, 5)})
    elemwise = [n for n in f.graph.toposort() if type(n.op).__name__ == 'Elemwise']
    assert len(elemwise) == 1  # the rewrites fused the whole expression
    lazy = f(np.ones((6, 5)), np.ones(5))
    layers = [name for name in lazy.dask.layers if name.startswith('composite-')]
    assert len(layers) == 1  # one blockwise layer ...
    assert len(lazy.dask.layers[layers[0]]) == 3  # ... of one task per output chunk


def test_results_never_alias_the_inputs():
    x = T.dmatrix('x')
    f = tg.function([x], [x.T, x[0]], backend='dask', backend_options={'chunks': 'split:1'})
    a = np.ones((3, 3))
    t, row = f(a)
    t[...] = 5
    row[...] = 7
    np.testing.assert_array_equal(a, np.ones((3, 3)))


def test_shared_updates_are_numpy_and_applied_together():
    w = tg.shared(np.zeros(3), name='w')
    n = tg.shared(np.int64(0), name='n')
    x = T.dmatrix('x')
    f = tg.function([x], w.sum(), updates=[(w, w + x.sum(axis=0)), (n, n + 1)], backend='dask')
    old = f(np.ones((5, 3)))
    assert old == 0
    assert isinstance(w.get_value(borrow=True), np.ndarray)
    np.testing.assert_array_equal(w.get_value(), [5, 5, 5])
    assert n.get_value() == 1
    with pytest.raises(ValueError):
        f(np.ones((5, 4)))  # a shape error: nothing changes
    np.testing.assert_array_equal(w.get_value(), [5, 5, 5])
    assert n.get_value() == 1


def test_a_shape_error_names_the_op_and_the_user_line():
    x, y = T.dvector('x'), T.dvector('y')
    f = tg.function([x, y], x * y, backend='dask')
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones(4))
    assert 'test_chunks_and_inputs.py' in str(info.value)


def test_an_op_without_a_dask_lowering_is_an_error_at_function_time():
    from dataclasses import dataclass

    from tracegraph.backends import LoweringError
    from tracegraph.ir import Apply, Op

    @dataclass(frozen=True)
    class Mystery(Op):
        def make_node(self, x):
            return Apply(self, [x], [x.type()])

    x = T.dvector('x')
    with pytest.raises(LoweringError, match="'dask' has no lowering for op Mystery"):
        tg.function([x], Mystery()(x), backend='dask')


def test_source_shows_the_graph_building_code():
    ins, out = _expression()
    f = tg.function(ins, out, backend='dask')
    assert 'chunked(x)' in f.source and 'return finish(' in f.source
