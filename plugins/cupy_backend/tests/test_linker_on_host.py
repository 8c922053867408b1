"""The CuPy backend's linker, end to end, on a CPU.

`hostcc.host_device()` stands in for the GPU (NumPy for CuPy's calls, g++ for the
generated kernels, copies for transfers), registered here as backend
`cupy_on_host` (`tracegraph_cupy.host_backend`).  So these tests run the exact generated `run` functions and the
exact kernel texts the GPU would run, and compare with the NumPy backend;
what they cannot prove is CuPy's own behaviour and the GPU itself.
"""
import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph import backends
from tracegraph.ifelse import ifelse
from tracegraph.tensor.elemwise import Elemwise
from tracegraph.tensor.scalar import SCALAR_OPS, Composite
from tracegraph_cupy import host_backend as host_backend_module
from tracegraph_cupy import hostcc
from tracegraph_cupy.host_backend import NAME

pytestmark = pytest.mark.skipif(hostcc.compiler() is None, reason='no host C++ compiler (g++)')

@pytest.fixture(scope='module')
def host_backend(tmp_path_factory):
    plugin = host_backend_module.register(str(tmp_path_factory.mktemp('kernels')))
    yield NAME
    backends.unregister(plugin)


def both(inputs, outputs, **kwargs):
    return (tg.function(inputs, outputs, backend='numpy', **kwargs),
            tg.function(inputs, outputs, backend=NAME, **kwargs))


def test_elementwise_reduction_dot_and_views(host_backend):
    x, w = T.fmatrix('x'), T.fmatrix('w')
    out = [T.tanh(T.dot(x, w)).sum(axis=0), (x.T * 2)[1:, ::2], T.exp(x).max(axis=1)]
    ref, dev = both([x, w], out)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 5), dtype='float32'), rng.standard_normal((5, 3), dtype='float32')
    for got, want in zip(dev(a, b), ref(a, b)):
        assert isinstance(got, np.ndarray) and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=2e-6)
    assert 'cupy.dot(' in dev.source and 'cupy.sum(' in dev.source


def test_shapes_stay_on_the_host_and_indices_are_host_ints(host_backend):
    x = T.dmatrix('x')
    k = T.lscalar('k')
    y = x.reshape((x.shape[1], -1))[k:]
    ref, dev = both([x, k], [y, T.alloc(T.constant(1.5), k, 2), T.arange(k), T.eye(k)])
    a = np.arange(12.0).reshape(3, 4)
    for got, want in zip(dev(a, 1), ref(a, 1)):
        np.testing.assert_array_equal(got, want)
    assert 'numpy.array(' in dev.source  # Shape is computed on the host


def test_inc_subtensor_accumulates_repeated_indices(host_backend):
    x, i, y = T.dvector('x'), T.lvector('i'), T.dvector('y')
    ref, dev = both([x, i, y], [T.inc_subtensor(x[i], y), T.set_subtensor(x[1:3], 7.0)])
    args = np.zeros(5), np.array([1, 1, 3, 1]), np.array([1.0, 2.0, 3.0, 4.0])
    for got, want in zip(dev(*args), ref(*args)):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(dev(*args)[0], [0, 7, 0, 3, 0])


def test_shared_state_moves_to_the_device_once_and_updates_stay_there(host_backend):
    w = tg.shared(np.ones(3), name='w')
    step = tg.function([], w.sum(), updates=[(w, w * 2)], backend=NAME)
    assert step() == 3.0
    assert step() == 6.0
    np.testing.assert_array_equal(w.get_value(), [4.0, 4.0, 4.0])
    assert 'box_w.value = to_device(w)' in step.source
    device_value = w.get_value(borrow=True, return_internal_type=True)
    assert device_value is w.container.value   # the device array itself, no copy
    w.set_value(np.zeros(3))
    assert step() == 0.0


def test_ifelse_and_a_fused_composite_kernel(host_backend):
    x, c = T.dvector('x'), T.lscalar('c')
    composite = Composite(('float64', 'float64'),
                          ((SCALAR_OPS['mul'], (0, 1), 'float64'), (SCALAR_OPS['exp'], (2,), 'float64'),
                           (SCALAR_OPS['add'], (3, 0), 'float64')), (4, 2))
    fused = Elemwise(composite)(x, x)
    ref, dev = both([x, c], [ifelse(T.lt(c, 2), x * 2, x + 1), *fused])
    a = np.linspace(-1, 1, 5)
    for cond in (0, 5):
        for got, want in zip(dev(a, cond), ref(a, cond)):
            np.testing.assert_allclose(got, want, rtol=1e-15)


def test_runtime_errors_name_the_node(host_backend):
    x = T.dmatrix('x')
    f = tg.function([x], x.reshape((5, 7)), backend=NAME)
    with pytest.raises(ValueError, match='Reshape'):
        f(np.zeros((2, 3)))


def test_random_streams_draw_what_the_numpy_backend_draws(host_backend):
    from tracegraph.random import RandomStreams
    results = {}
    for backend in ('numpy', NAME):
        srng = RandomStreams(seed=234)
        draws = [srng.uniform((3, 4)), srng.uniform((5,), low=-1.0, high=2.0, dtype='float32'),
                 srng.random_integers((6,), 1, 6), srng.normal((7,)), srng.permutation(n=5),
                 srng.binomial((4,), n=3, p=0.4)]
        f = tg.function([], draws, backend=backend)
        results[backend] = [f(), f()]  # two calls: the stream advances between them
    for got_call, want_call in zip(results[NAME], results['numpy']):
        for got, want in zip(got_call, want_call):
            assert got.dtype == want.dtype
            if got.dtype.kind == 'f' and got.dtype.itemsize == 8 and got.size == 7:
                np.testing.assert_allclose(got, want, rtol=1e-14)   # normal: libm rounding
            else:
                assert got.tobytes() == want.tobytes()
    assert not np.array_equal(results[NAME][0][0], results[NAME][1][0])


def test_scan_keeps_its_state_on_the_device(host_backend):
    X, h0 = T.dmatrix('X'), T.dvector('h0')
    W = tg.shared(np.eye(3) * 0.5, name='W')
    hs, _ = tg.scan(lambda x, h, W: T.tanh(T.dot(h, W) + x), sequences=X, outputs_info=h0,
                    non_sequences=W)
    k, A, f0 = T.lscalar('k'), T.dvector('A'), T.dvector('f0')
    powers, _ = tg.scan(lambda prior, A: prior * A, outputs_info=T.ones_like(A), non_sequences=A,
                        n_steps=k)
    fib, _ = tg.scan(lambda a, b: a + b, outputs_info=dict(initial=f0, taps=[-2, -1]), n_steps=k)
    doubling, _ = tg.scan(lambda p: (p * 2, tg.until(T.gt(p, 50))), outputs_info=T.constant(1.0),
                          n_steps=k)
    sums, _ = tg.scan(lambda x: x.sum(), sequences=X)
    ref, dev = both([X, h0, k, A, f0], [hs, hs[-1], powers[-1], fib, doubling, sums])
    args = np.linspace(-1, 1, 12).reshape(4, 3), np.zeros(3), 9, np.arange(4.0), np.array([0.0, 1.0])
    for got, want in zip(dev(*args), ref(*args)):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-13)
    assert 'runtime.scan(' in dev.source


def test_host_scalars_go_to_kernels_by_value(host_backend):
    x, lr, k = T.fvector('x'), T.fscalar('lr'), T.lscalar('k')
    ref, dev = both([x, lr, k], [x * lr, T.maximum(k, 3) * 2])
    args = np.arange(4, dtype='float32'), np.float32(0.5), 7
    for got, want in zip(dev(*args), ref(*args)):
        np.testing.assert_array_equal(got, want)
    assert 'to_device' not in dev.source.replace('to_device(x)', '')  # only x is uploaded
    assert ".reshape(())[()]" in dev.source          # lr, made (1,) by dimshuffle, by value
    assert "cupy.empty((), dtype='int64')" in dev.source  # only scalars in: 0-d output given
