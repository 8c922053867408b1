"""What is particular to the Numba backend (the conformance suite covers behaviour)."""
import glob
import os
import warnings
from dataclasses import dataclass

import numpy as np
import pytest

pytest.importorskip('numba')

import tracegraph as tg  # noqa: E402
import tracegraph.tensor as T  # noqa: E402
from tracegraph import backends, config  # noqa: E402
from tracegraph.ir import Apply, Op  # noqa: E402
from tracegraph.tensor.type import TensorType  # noqa: E402

pytestmark = pytest.mark.skipif(not backends.available().get('numba'), reason='numba backend unavailable')


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(config, 'cache_dir', str(tmp_path))
    return tmp_path


def test_the_whole_graph_is_one_njit_function():
    x, y = T.dmatrices('x', 'y')
    f = tg.function([x, y], [T.exp(x) * y + 1, (x - y).sum(axis=0)], backend='numba')
    module = f.executable.source.split('\n# --- ')[0]
    assert module.count('\ndef run(') == 1
    assert module.count('@njit') == 1
    a, b = np.random.rand(3, 4), np.random.rand(3, 4)
    out = f(a, b)
    np.testing.assert_allclose(out[0], np.exp(a) * b + 1)
    np.testing.assert_allclose(out[1], (a - b).sum(axis=0))
    jit = f.executable.extra['jit']
    assert len(jit.signatures) == 1  # compiled once, at function() time


def test_a_missing_lowering_names_the_op_and_the_backend():
    @dataclass(frozen=True)
    class Mystery(Op):
        def make_node(self, x):
            return Apply(self, [x], [x.type()])

        def __str__(self):
            return 'Mystery'
    x = T.dvector('x')
    with pytest.raises(TypeError, match=r"backend 'numba' has no lowering for op Mystery.*test_numba_backend"):
        tg.function([x], Mystery()(x), backend='numba')


def test_a_python_perform_op_runs_through_objmode():
    @dataclass(frozen=True)
    class Twice(Op):
        def make_node(self, x):
            return Apply(self, [x], [TensorType(x.dtype, x.type.shape)()])

        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = 2 * inputs[0]
    x = T.dvector('x')
    f = tg.function([x], Twice()(x) + 1, backend='numba')
    np.testing.assert_array_equal(f(np.arange(3.0)), [1.0, 3.0, 5.0])


def test_objmode_outputs_come_back_as_declared():
    # callbacks.as_returned: a Python number for a 0-d output, a reversed view, and a
    # list of ints for a float64 vector all cross back in their declared types.
    @dataclass(frozen=True)
    class Loose(Op):
        def make_node(self, x):
            return Apply(self, [x], [TensorType('float64', ())(), TensorType('float64', (None,))(),
                                     TensorType('float64', (None,))()])

        def perform(self, node, inputs, output_storage):
            a = inputs[0]
            output_storage[0][0] = float(a.sum())
            output_storage[1][0] = a[::-1]
            output_storage[2][0] = [int(v) for v in a]
    x = T.dvector('x')
    total, backwards, ints = Loose()(x)
    f = tg.function([x], [total * 2, backwards + 0, ints + 0], backend='numba')
    a = np.array([1.5, 2.0, 4.0])
    got = f(a)
    assert np.asarray(got[0]).shape == () and got[0] == 15.0
    np.testing.assert_array_equal(got[1], a[::-1])
    np.testing.assert_array_equal(got[2], [1.0, 2.0, 4.0])


def test_transposed_dot_goes_to_blas_without_a_copy(tmp_path, monkeypatch):
    from numba.core.errors import NumbaPerformanceWarning
    # A fresh cache and names of its own: LLVM IR exists only for a function compiled
    # in this process, not for one loaded from the disk cache.
    monkeypatch.setattr(tg.config, 'cache_dir', str(tmp_path))
    X, g = T.dmatrix('X_blas_check'), T.dvector('g_blas_check')
    with warnings.catch_warnings():
        warnings.simplefilter('error', NumbaPerformanceWarning)
        f = tg.function([X, g], T.dot(X.T, g), backend='numba')
    a, v = np.random.rand(40, 78), np.random.rand(40)
    np.testing.assert_allclose(f(a, v), a.T @ v)
    ir = ''.join(f.executable.extra['jit'].inspect_llvm().values())
    assert 'numba_xxgemv' in ir or 'numba_xxgemm' in ir


def test_large_transcendental_work_matches_numpy():
    # Large work runs NumPy's loops (log1p and sin on every CPU; float64 exp and tanh
    # stay in vector_math.py where NumPy's loops lack AVX-512).
    x, y = T.dvectors('x', 'y')
    expr = (x * y + 2 * x - T.log1p(y)) * T.sin(x)
    f = tg.function([x, y], expr, backend='numba')
    g = tg.function([x, y], expr, backend='numpy')
    a, b = np.random.rand(200_003), np.random.rand(200_003)
    np.testing.assert_allclose(f(a, b), g(a, b), rtol=1e-14)
    np.testing.assert_allclose(f(a[:7], b[:7]), g(a[:7], b[:7]), rtol=1e-14)


def test_random_draws_are_bit_identical_to_numpy():
    from tracegraph.random import RandomStreams
    draws = {}
    for backend in ('numpy', 'numba'):
        srng = RandomStreams(seed=7)
        f = tg.function([], [srng.uniform((3, 2)), srng.normal((4,))], backend=backend)
        draws[backend] = [f(), f()]
    for a, b in zip(draws['numpy'], draws['numba']):
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)


def _compile(expr_maker):
    x = T.dvector('x')
    return tg.function([x], expr_maker(x), backend='numba')


def test_a_corrupted_cache_entry_is_detected_and_rebuilt(cache_dir):
    def make(x):
        return T.sin(x) * 3 + x
    f = _compile(make)
    path = f.executable.extra['module_path']
    assert path.startswith(str(cache_dir))
    good = open(path).read()
    with open(path, 'w') as fh:             # a half-written module file
        fh.write(good[:len(good) // 2])
    for found in glob.glob(os.path.join(os.path.dirname(path), '__pycache__', '*')):
        with open(found, 'wb') as fh:       # and garbage where Numba keeps machine code
            fh.write(b'\x00not a numba cache file')
    g = _compile(make)
    assert open(path).read() == good
    v = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(g(v), np.sin(v) * 3 + v)


def _numba_index_files(cache_dir):
    """Numba's index files of the modules in our cache: beside them, or under
    NUMBA_CACHE_DIR when the environment sets one (Numba then keeps them there)."""
    import numba
    beside = glob.glob(os.path.join(str(cache_dir), 'numba', '__pycache__', '*.nbi'))
    if not numba.config.CACHE_DIR:
        return beside
    ours = {name[:-3] for name in os.listdir(os.path.join(str(cache_dir), 'numba')) if name.endswith('.py')}
    found = glob.glob(os.path.join(numba.config.CACHE_DIR, '**', '*.nbi'), recursive=True)
    return beside + [f for f in found if os.path.basename(f).split('.')[0] in ours]


def test_a_second_compile_of_the_same_graph_loads_from_disk(cache_dir):
    def make(x):
        return T.cos(x) - x ** 2
    _compile(make)
    files = sorted(os.listdir(os.path.join(str(cache_dir), 'numba')))
    assert any(name.startswith('tg_') and name.endswith('.py') for name in files)
    assert _numba_index_files(cache_dir)
    g = _compile(make)
    assert sorted(os.listdir(os.path.join(str(cache_dir), 'numba'))) == files
    np.testing.assert_allclose(g(np.arange(3.0)), np.cos(np.arange(3.0)) - np.arange(3.0) ** 2)


def test_scan_runs_inside_the_compiled_function():
    k = T.iscalar('k')
    A = T.dvector('A')
    result, updates = tg.scan(lambda prior, A: prior * A, outputs_info=T.ones_like(A),
                              non_sequences=A, n_steps=k)
    f = tg.function([A, k], result[-1], updates=updates, backend='numba')
    assert 'for _t' in f.executable.source
    assert 'objmode' not in f.executable.source.split('\n# --- ')[0].split('def run(')[1]
    np.testing.assert_allclose(f(np.arange(5.0), 3), np.arange(5.0) ** 3)


# Past 2**32 for the integers, past int64 for uint64 (which stays a NumPy scalar).
SCALARS = {'float64': 0.1, 'int64': 2 ** 61, 'bool': True, 'complex128': 0.5 + 1j, 'float32': 0.1,
           'uint64': 2 ** 63 + 5}


@pytest.mark.parametrize('dtype', list(SCALARS))
def test_0d_inputs_keep_their_dtype_as_python_or_numpy_scalars(dtype):
    """0-d inputs cross into the compiled code as Python scalars where Numba types those
    alike (linker._wrapper), else as NumPy scalars: the results and their dtypes are the
    NumPy backend's, for 0-d arrays, NumPy scalars and a shared value its update replaced."""
    x = T.scalar('x', dtype=dtype)
    s = tg.shared(np.array(1, dtype=dtype), name='s')
    step = x ^ s if dtype == 'bool' else x - s
    fs = [tg.function([x], step, updates=[(s, step)], backend=b) for b in ('numba', 'numpy')]
    for value in (np.array(SCALARS[dtype], dtype=dtype), np.array(SCALARS[dtype], dtype=dtype)[()]):
        results = []
        for f in fs:
            s.set_value(np.array(1, dtype=dtype))
            results.append([f(value), f(value), s.get_value()])
        for got, want in zip(*results):
            assert np.asarray(got).dtype == np.asarray(want).dtype
            np.testing.assert_array_equal(got, want)


def test_large_copies_and_joins_on_huge_pages_equal_numpy():
    # 4 MiB and more: helpers.nb_copy and lowering._join allocate with nb_huge_pages and
    # copy C-contiguous input by memcpy; a transposed (Fortran-ordered) input, and a join
    # along axis 1, take the loops.
    x, y = T.dmatrix('x'), T.dmatrix('y')
    outs = [T.set_subtensor(x[3], y[0]), T.concatenate([x, y], axis=0), T.concatenate([x, y.T], axis=1)]
    f, ref = (tg.function([x, y], outs, backend=b) for b in ('numba', 'numpy'))
    a = np.random.default_rng(0).standard_normal((800, 800))
    for b in (a[::-1].copy(), np.asfortranarray(a)):
        for got, expected in zip(f(a, b), ref(a, b)):
            np.testing.assert_array_equal(got, expected)
    assert not np.shares_memory(f(a, b)[0], a)


@pytest.mark.parametrize('ndim', [1, 3])
def test_nonzero_agrees_with_numpy_on_dense_sparse_and_strided_input(ndim):
    x = T.TensorType('float64', (None,) * ndim)('x')
    f, ref = (tg.function([x], T.nonzero(x, return_matrix=True), backend=b) for b in ('numba', 'numpy'))
    a = np.random.default_rng(1).standard_normal((6, 5, 4)[:ndim] if ndim == 3 else (120,))
    a[a > 0.3] = 0.0
    a.flat[7] = np.nan                               # NaN counts as nonzero, as in NumPy
    for value in (a, np.zeros_like(a), a[::-1], np.swapaxes(a, 0, -1)):
        np.testing.assert_array_equal(f(value), ref(value))


def test_rows_gathered_at_an_index_vector_equal_numpy():
    # helpers.nb_take_rows for C-contiguous input (negative indices wrap), Numba's own
    # indexing for any other layout; the bounds are checked before either.
    x, i = T.dtensor3('x'), T.lvector('i')
    f, ref = (tg.function([x, i], [x[i], x[i, :, :]], backend=b) for b in ('numba', 'numpy'))
    a = np.random.default_rng(2).standard_normal((5, 4, 3))
    for value in (a, a[:, ::-1], np.asfortranarray(a)):
        for index in (np.array([4, -1, 0, 0, -5]), np.array([], dtype=np.int64)):
            for got, expected in zip(f(value, index), ref(value, index)):
                np.testing.assert_array_equal(got, expected)
    with pytest.raises(IndexError):
        f(a, np.array([5]))
