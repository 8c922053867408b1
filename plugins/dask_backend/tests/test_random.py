"""Random draws cut into Dask chunks give exactly the NumPy backend's numbers."""
import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.random import RandomStreams

DRAWS = {
    'uniform': lambda s: s.uniform(size=(11, 3), low=-2.0, high=5.0),
    'normal': lambda s: s.normal(size=(7, 3), avg=1.0, std=2.0),  # pairs straddle chunks
    'normal_odd': lambda s: s.normal(size=(9,)),
    'binomial': lambda s: s.binomial(size=(10, 2), n=5, p=0.3),
    'integers': lambda s: s.random_integers(size=(13,), low=-4, high=9),
    'permutation': lambda s: s.permutation(n=10),
}


def _draws(backend, make, chunks=None, calls=2):
    srng = RandomStreams(seed=1234)
    rv = make(srng)
    options = {} if chunks is None else {'chunks': chunks}
    f = tg.function([], rv, backend=backend, backend_options=options)
    return [f() for _ in range(calls)]


@pytest.mark.parametrize('name', sorted(DRAWS))
@pytest.mark.parametrize('chunks', ['split:1', 'split:3', 'split:4', 1, 2, '64B', 'auto'])
def test_draws_equal_numpy_whatever_the_chunking(name, chunks):
    want = _draws('numpy', DRAWS[name])
    got = _draws('dask', DRAWS[name], chunks)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(got[0], got[1])  # each call advances the stream


def test_float32_uniform_two_values_per_word_across_chunk_borders():
    make = lambda s: s.uniform(size=(5, 3), dtype='float32')  # noqa: E731
    want = _draws('numpy', make)
    for chunks in ('split:2', 'split:5', 1):
        got = _draws('dask', make, chunks)
        np.testing.assert_array_equal(got[0], want[0])


def test_parameters_given_as_arrays_are_cut_with_the_draw():
    srng = RandomStreams(seed=5)
    low = T.dvector('low')
    rv = srng.uniform(size=(6, 4), low=low, high=low + 1)
    f_np = tg.function([low], rv, backend='numpy')
    f_dask = tg.function([low], rv, backend='dask', backend_options={'chunks': 'split:3'})
    lows = np.arange(4.0)
    srng.seed(5)
    want = f_np(lows)
    srng.seed(5)
    np.testing.assert_array_equal(f_dask(lows), want)


def test_a_large_draw_is_lazy_and_chunked_on_the_leading_axis():
    import dask.array as da
    srng = RandomStreams(seed=0)
    rv = srng.normal(size=(1000, 10))
    f = tg.function([], rv.mean(), backend='dask', backend_options={'chunks': 100, 'lazy': True})
    lazy = f()
    assert isinstance(lazy, da.Array)
    g = tg.function([], rv, backend='numpy')
    srng.seed(0)
    np.testing.assert_allclose(lazy.compute(), g().mean())
