"""The CuPy backend's linker, end to end, on a CPU.

`hostcc.host_device()` stands in for the GPU (NumPy for CuPy's calls, g++ for the
generated kernels, copies for transfers), registered here as backend
`cupy_on_host`.  So these tests run the exact generated `run` functions and the
exact kernel texts the GPU would run, and compare with the NumPy backend;
what they cannot prove is CuPy's own behaviour and the GPU itself.
"""
import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph import backends
from tracegraph.backends import Backend
from tracegraph.hookspecs import hookimpl
from tracegraph.ifelse import ifelse
from tracegraph.tensor.elemwise import Elemwise
from tracegraph.tensor.scalar import SCALAR_OPS, Composite
from tracegraph_cupy import hostcc, linker

pytestmark = pytest.mark.skipif(hostcc.compiler() is None, reason='no host C++ compiler (g++)')

NAME = 'cupy_on_host'


class CupyOnHost(Backend):
    name = NAME

    def __init__(self, workdir):
        self.device = hostcc.host_device(workdir)

    def link(self, fgraph, options):
        return linker.link(fgraph, options, device=self.device)


@pytest.fixture(scope='module')
def host_backend(tmp_path_factory):
    class Plugin:
        @hookimpl
        def tracegraph_backends(self):
            return [CupyOnHost(str(tmp_path_factory.mktemp('kernels')))]
    plugin = backends.register(Plugin(), name='tracegraph-cupy-on-host')
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
