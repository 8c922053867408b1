"""Which CuPy call each structural node becomes, with what arguments (no CuPy needed).

The lowerings are frozen records (`Kernel`, `Call`, `Template`); these tests read
them through the hook, as the linker does, so an override would show up here too.
"""
import numpy as np
import pytest

import tracegraph.tensor as T
from tracegraph import backends
from tracegraph.ifelse import ifelse
from tracegraph_cupy import runtime
from tracegraph_cupy.lowering import DEVICE, HOST, SAME, Call, Kernel, Lazy, Template


def lowering(variable):
    return backends.lower('cupy', variable.owner)


m, v, i = T.fmatrix('m'), T.fvector('v'), T.lvector('i')
k = T.lscalar('k')


def test_elemwise_is_one_generated_kernel():
    low = lowering(T.exp(m) + v)
    assert isinstance(low, Kernel) and low.inplace is None
    assert low.spec.in_params == 'float32 in0, float32 in1' and low.spec.name == 'tg_add'


@pytest.mark.parametrize('build, expected', [
    (lambda: m.sum(axis=0), Call('cupy.sum', (('axis', (0,)), ('dtype', 'float32')))),
    (lambda: m.prod(), Call('cupy.prod', (('axis', (0, 1)), ('dtype', 'float32')))),
    (lambda: m.max(axis=1), Call('cupy.max', (('axis', (1,)),))),
    (lambda: m.min(axis=(0, 1)), Call('cupy.min', (('axis', (0, 1)),))),
    (lambda: T.ivector().sum(), Call('cupy.sum', (('axis', (0,)), ('dtype', 'int64')))),
    (lambda: m.argmax(axis=1), Call('cupy.argmax', (('axis', 1),))),
    (lambda: T.dot(m, v), Call('cupy.dot')),
    (lambda: T.cumsum(m, axis=0), Call('cupy.cumsum', (('axis', 0), ('dtype', 'float32')))),
    (lambda: T.cumprod(v), Call('cupy.cumprod', (('axis', None), ('dtype', 'float32')))),
])
def test_reductions_dot_and_scans_are_cupy_calls(build, expected):
    assert lowering(build()) == expected


@pytest.mark.parametrize('build, text, host', [
    (lambda: m.T, '{0}.transpose((1, 0))', 'same'),
    (lambda: v.dimshuffle('x', 0), '{xp}.expand_dims({0}, (0,))', 'same'),
    (lambda: m[1:, 0], '{0}[slice(1, None, None), 0]', ()),
    (lambda: m[k], '{0}[int({1}),]', (1,)),
    (lambda: m[k:, ::2], '{0}[slice(int({1}), None, None), slice(None, None, 2)]', (1,)),
    (lambda: m.reshape((k, -1)), '{0}.reshape(tuple({1}.tolist()))', (1,)),
    (lambda: T.concatenate([m, m], axis=1), 'cupy.concatenate(({0}, {1},), axis=1)', ()),
    (lambda: T.eye(k), "cupy.eye(int({0}), int({1}), int({2}), dtype='float64')", (0, 1, 2)),
])
def test_views_and_shape_ops_are_templates(build, text, host):
    low = lowering(build())
    if host == 'same':  # a dimshuffle runs where its input lives
        assert low == Template(text, output_on=SAME)
    else:
        assert low == Template(text, host_inputs=host)


def test_shapes_live_on_the_host():
    assert lowering(m.shape) == Template('numpy.array({0}.shape, dtype=numpy.int64)', output_on=HOST)
    low = lowering(T.stack([k, k]))
    assert low == Call('runtime.make_vector', (('dtype', 'int64'),), host_inputs=(0, 1), output_on=HOST)
    low = lowering(T.alloc(v, k, 3))
    assert low.function == 'runtime.alloc' and low.host_inputs == (1, 2) and low.output_on == DEVICE


def test_inc_subtensor_uses_scatter_add_for_arrays():
    low = lowering(T.inc_subtensor(m[i], v))
    assert low.function == 'runtime.inc_subtensor'
    kwargs = dict(low.kwargs)
    assert kwargs.pop('label').startswith('IncSubtensor{?} (built at ')   # errors name it
    assert kwargs == {'entries': (('array',),), 'set_instead_of_inc': False, 'inplace': False}
    assert low.host_inputs == ()
    low = lowering(T.set_subtensor(m[k], v))
    assert dict(low.kwargs)['set_instead_of_inc'] is True and low.host_inputs == (2,)


def test_index_arrays_are_checked_before_cupy_reads_them():
    # CuPy wraps an out-of-bounds index around where NumPy raises: a runtime call checks it.
    low = lowering(m[i])
    assert low.function == 'runtime.subtensor' and dict(low.kwargs)['entries'] == (('array',),)
    x = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(runtime.subtensor(np, x, np.array([2, -3]), entries=(('array',),)),
                                  x[[2, -3]])
    with pytest.raises(IndexError, match='Subtensor.*out of bounds'):
        runtime.subtensor(np, x, np.array([0, 3]), entries=(('array',),), label='Subtensor{?}')
    with pytest.raises(ValueError, match='value array of shape'):
        runtime.inc_subtensor(np, x, np.ones((2, 3)), np.array([0, 1]), entries=(('array',),),
                              set_instead_of_inc=True, inplace=True)
    np.testing.assert_array_equal(x, np.arange(6.0).reshape(3, 2))   # nothing written


def test_ifelse_reads_its_condition_on_the_host():
    low = lowering(ifelse(T.lt(k, 2), v, v * 2))
    assert low == Lazy(1) and low.host_inputs == (0,)


def test_other_backends_are_not_answered():
    from tracegraph_cupy import plugin
    assert plugin.tracegraph_lower_op(backend='numpy', node=(m + 1).owner) is None


# The runtime helpers run with NumPy as the array module: the same code, any machine.
def test_runtime_inc_subtensor_with_numpy_as_the_array_module():
    x = np.zeros(5)
    entries = (('array',),)
    out = runtime.inc_subtensor(np, x, np.ones(3), np.array([1, 1, 4]), entries=entries,
                                set_instead_of_inc=False, inplace=False)
    np.testing.assert_array_equal(out, [0, 2, 0, 0, 1])
    assert not x.any()  # not in place: the input is untouched
    entries = (('slice', '$', None, None), ('int', 0))
    y = np.zeros((3, 2))
    runtime.inc_subtensor(np, y, 5.0, np.array(1), entries=entries, set_instead_of_inc=True, inplace=True)
    np.testing.assert_array_equal(y[:, 0], [0, 5, 5])


def test_runtime_alloc_and_make_vector():
    np.testing.assert_array_equal(runtime.alloc(np, np.array([1.0, 2.0]), np.array(2), 2, dtype='float32'),
                                  [[1, 2], [1, 2]])
    vec = runtime.make_vector(np, np.array(3), 4, dtype='int64')
    assert vec.dtype == np.int64 and vec.tolist() == [3, 4]


def test_a_dtype_without_a_kernel_type_is_a_clear_error():
    z = T.tensor('complex128', shape=(None,), name='z')
    with pytest.raises(backends.LoweringError, match=r'complex128 has no CUDA kernel type.*built at'):
        lowering(z * z)
