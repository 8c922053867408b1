"""The CUDA Philox kernels, compiled on the host, against the specification.

Uniform and integer draws must be bit-identical to `tracegraph.random` (the NumPy
backend runs exactly those functions); normal draws agree up to the rounding of
log and tan; binomial counts are exact.
"""
import numpy as np
import pytest

from tracegraph.random import distributions, philox
from tracegraph_cupy import hostcc
from tracegraph_cupy.elemwise_kernel import ElementwiseSpec
from tracegraph_cupy.random import draw_spec

pytestmark = pytest.mark.skipif(hostcc.compiler() is None, reason='no host C++ compiler (g++)')

M = philox.MASK64

WORD_SPEC = ElementwiseSpec('tg_words', ('uint64', 'uint64', 'uint64', 'uint64'), ('uint64',),
                            'out0 = tg_philox_word(in0, in1, in2, in3, (unsigned long long)i);')
DRAWS = [('uniform', 'float64'), ('uniform', 'float32'), ('normal', 'float64'),
         ('normal', 'float32'), ('integers', 'int64'), ('integers', 'int32'), ('binomial', 'int64')]


@pytest.fixture(scope='module')
def kernels(tmp_path_factory):
    specs = [WORD_SPEC] + [draw_spec(d, t) for d, t in DRAWS]
    return hostcc.compile_elementwise(specs, workdir=str(tmp_path_factory.mktemp('philox')))


def _key_args(key, draw):
    return np.uint64(key[0]), np.uint64(key[1]), np.uint64(draw & M)


@pytest.mark.parametrize('seed, stream, draw, sub', [(0, 0, 0, 0), (2024, 7, 3, 0), (1, 1, M, 5),
                                                     (2**63 + 5, 2, 12345, M)])
def test_words_equal_the_block_function(kernels, seed, stream, draw, sub):
    key = philox.seed_key(seed, stream)
    out = np.empty(103, np.uint64)
    kernels[WORD_SPEC](*_key_args(key, draw), np.uint64(sub), out)
    np.testing.assert_array_equal(out, philox.reference_words(key, draw, sub, 0, 103))


def test_known_answer_through_the_kernel(kernels):
    # Random123's philox4x64-10 answer for counter 0, key 0: lanes of block 0.
    out = np.empty(4, np.uint64)
    kernels[WORD_SPEC](np.uint64(0), np.uint64(0), np.uint64(0), np.uint64(0), out)
    assert [int(w) for w in out] == [0x16554d9eca36314c, 0xdb20fe9d672d0fdc,
                                     0xd7e772cee186176b, 0x7e68b68aec7ba23b]


def _reference(dist, dtype, key, draw, n, params):
    out = np.empty(n, dtype)
    flat = [np.ascontiguousarray(np.broadcast_to(p, (n,))) if np.ndim(p) else p for p in params]
    distributions.DISTRIBUTIONS[dist].fill(key, draw, 0, n, out, *flat)
    return out


PARAMS = {
    'uniform': [(0.0, 1.0), (-2.5, 7.0), (np.linspace(-1, 1, 1001), 3.0)],
    'normal': [(0.0, 1.0), (3.0, 0.25)],
    'integers': [(0, 10), (-2**40, 2**62), (-5, np.arange(1001) + 1 - 5), (0, 2**31 + 7)],
    'binomial': [(1, 0.5), (20, 0.3), (np.arange(1001) % 7, 0.9)],
}


@pytest.mark.parametrize('dist, dtype', DRAWS)
@pytest.mark.parametrize('draw', [0, 9])
def test_draws_match_the_numpy_reference(kernels, dist, dtype, draw):
    key = philox.seed_key(234, 3)
    n = 1001
    param_dtypes = draw_spec(dist, dtype).in_dtypes[3:]
    for params in PARAMS[dist]:
        params = [np.asarray(p, d) for p, d in zip(params, param_dtypes)]
        want = _reference(dist, dtype, key, draw, n, params)
        got = np.empty(n, dtype)
        kernels[draw_spec(dist, dtype)](*_key_args(key, draw), *params, got)
        if dist == 'normal':
            np.testing.assert_allclose(got, want, rtol=8 * np.finfo(dtype).eps, atol=1e-13)
        else:
            np.testing.assert_array_equal(got, want)  # bit for bit
            assert got.tobytes() == want.tobytes()
