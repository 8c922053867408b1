"""Statistics of every distribution at large sample sizes, with fixed seeds (so each
test is deterministic): moments, a Kolmogorov-Smirnov test for continuous
distributions, a chi-square test for discrete ones, and independence of streams."""
import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.random import RandomStreams

from .test_random_tutorial import on_backend  # noqa: F401  (fixture)

stats = pytest.importorskip('scipy.stats', reason='the statistical tests use scipy.stats')

N = 200_000
ALPHA = 1e-3   # a fixed seed passes or fails forever; this only guards against a bad one


def draw(on_backend, make, seed=2024, calls=1):
    srng = RandomStreams(seed)
    f = tg.function([], make(srng))
    return [f() for _ in range(calls)] if calls > 1 else f()


def sd_of_mean(sd, n=N):
    return sd / np.sqrt(n)


def assert_chi_square(values, probabilities):
    counts = np.bincount(values, minlength=len(probabilities))
    assert len(counts) == len(probabilities), f'values outside the support: {counts}'
    expected = np.asarray(probabilities) * len(values)
    keep = expected > 0
    assert counts[~keep].sum() == 0, 'values drawn with probability zero'
    assert stats.chisquare(counts[keep], expected[keep]).pvalue > ALPHA


@pytest.mark.parametrize('dtype', ['float64', 'float32'])
def test_uniform(on_backend, dtype):
    x = draw(on_backend, lambda s: s.uniform((N,), low=-2.0, high=3.0, dtype=dtype))
    assert x.dtype == dtype and x.min() >= -2 and x.max() < 3
    assert abs(x.mean() - 0.5) < 5 * sd_of_mean(5 / np.sqrt(12))
    assert abs(x.var() - 25 / 12) < 0.02 * 25 / 12
    assert stats.kstest(x.astype(np.float64), stats.uniform(loc=-2, scale=5).cdf).pvalue > ALPHA


@pytest.mark.parametrize('dtype', ['float64', 'float32'])
def test_normal(on_backend, dtype):
    x = draw(on_backend, lambda s: s.normal((N + 1,), avg=1.0, std=2.0, dtype=dtype))
    assert x.dtype == dtype and np.all(np.isfinite(x))
    assert abs(x.mean() - 1) < 5 * sd_of_mean(2)
    assert abs(x.std() - 2) < 0.02
    assert abs(stats.skew(x)) < 0.03 and abs(stats.kurtosis(x)) < 0.06
    assert stats.kstest(x.astype(np.float64), stats.norm(loc=1, scale=2).cdf).pvalue > ALPHA


def test_normal_pairs_are_independent(on_backend):
    """Box-Muller makes values in pairs (cos, sin of one angle): they must not correlate."""
    x = draw(on_backend, lambda s: s.normal((N,), dtype='float64')).reshape(-1, 2)
    assert abs(np.corrcoef(x[:, 0], x[:, 1])[0, 1]) < 5 / np.sqrt(len(x))
    assert abs(np.corrcoef(x[:, 0] ** 2, x[:, 1] ** 2)[0, 1]) < 5 / np.sqrt(len(x))


def test_integers_and_random_integers(on_backend):
    a, b = draw(on_backend, lambda s: [s.integers(-5, 7, size=(N,)), s.random_integers((N,), 1, 6)])
    assert_chi_square(a + 5, np.full(12, 1 / 12))
    assert_chi_square(b - 1, np.full(6, 1 / 6))
    assert abs(a.mean() - 0.5) < 5 * sd_of_mean(np.sqrt((12 ** 2 - 1) / 12))


def test_integers_over_a_huge_range(on_backend):
    x = draw(on_backend, lambda s: s.integers(0, 3 * 2**61, size=(N,)))
    assert x.min() >= 0 and x.max() < 3 * 2**61
    u = x / float(3 * 2**61)
    assert stats.kstest(u, stats.uniform.cdf).pvalue > ALPHA


@pytest.mark.parametrize('n, p', [(1, 0.3), (10, 0.3), (40, 0.9)])
def test_binomial(on_backend, n, p):
    x = draw(on_backend, lambda s: s.binomial((N,), n=n, p=p))
    assert_chi_square(x, stats.binom(n, p).pmf(np.arange(n + 1)))
    assert abs(x.mean() - n * p) < 5 * sd_of_mean(np.sqrt(n * p * (1 - p)))
    assert abs(x.var() - n * p * (1 - p)) < 0.03 * n * p * (1 - p)


def test_permutation(on_backend):
    x = draw(on_backend, lambda s: s.permutation((N // 5,), n=5))
    np.testing.assert_array_equal(np.sort(x, axis=1), np.broadcast_to(np.arange(5), x.shape))
    for position in range(5):
        assert_chi_square(x[:, position], np.full(5, 0.2))
    codes = (x[:, :3] * np.array([25, 5, 1])).sum(axis=1)   # first three entries: 60 orders
    observed = np.unique(codes)
    assert len(observed) == 60
    assert stats.chisquare(np.unique(codes, return_counts=True)[1]).pvalue > ALPHA


def test_choice(on_backend):
    p = np.array([0.1, 0.0, 0.6, 0.3])
    with_p, uniform, unique = draw(on_backend, lambda s: [
        s.choice((N,), a=4, p=p), s.choice((N,), a=7), s.choice((3,), a=10, replace=False)])
    assert_chi_square(with_p, p)
    assert_chi_square(uniform, np.full(7, 1 / 7))
    assert len(set(unique.tolist())) == 3


def test_choice_without_replacement_is_uniform_over_items(on_backend):
    srng = RandomStreams(11)
    pick = srng.choice((2,), a=6, replace=False)
    pick_p = srng.choice((1,), a=3, replace=False, p=[0.2, 0.5, 0.3])
    f = tg.function([], [pick, pick_p])
    firsts, weighted = [], []
    for _ in range(3000):
        a, b = f()
        assert a[0] != a[1]
        firsts.append(a[0])
        weighted.append(b[0])
    assert_chi_square(np.array(firsts), np.full(6, 1 / 6))
    assert_chi_square(np.array(weighted), [0.2, 0.5, 0.3])


def test_multinomial(on_backend):
    from tracegraph.sandbox.rng_mrg import MRG_RandomStreams
    pvals = np.tile([[0.2, 0.5, 0.3]], (N // 10, 1))
    counts = tg.function([], MRG_RandomStreams(3).multinomial(pvals=pvals, n=10))()
    assert counts.shape == pvals.shape
    np.testing.assert_array_equal(counts.sum(axis=1), 10)
    tolerance = 5 * np.sqrt(10 * 0.25 / len(pvals))
    np.testing.assert_allclose(counts.mean(axis=0), [2, 5, 3], atol=tolerance)
    assert_chi_square(counts[:, 0], stats.binom(10, 0.2).pmf(np.arange(11)))


def test_streams_of_one_random_streams_are_independent(on_backend):
    srng = RandomStreams(5)
    u = [srng.uniform((N,), dtype='float64') for _ in range(3)]
    f = tg.function([], u)
    first, second = f(), f()
    samples = first + second   # three streams, two draws each
    bound = 5 / np.sqrt(N)
    for i in range(len(samples)):
        for j in range(i):
            assert abs(np.corrcoef(samples[i], samples[j])[0, 1]) < bound
    lagged = np.corrcoef(first[0][:-1], first[0][1:])[0, 1]   # neighbours within a draw
    assert abs(lagged) < bound
    # The six samples, pooled, are still one uniform sample.
    assert stats.kstest(np.concatenate(samples), stats.uniform.cdf).pvalue > ALPHA


def test_symbolic_size_draws_have_the_same_statistics(on_backend):
    n = T.lscalar('n')
    srng = RandomStreams(9)
    f = tg.function([n], srng.normal((n,), dtype='float64'))
    x = f(N)
    assert x.shape == (N,)
    assert stats.kstest(x, stats.norm.cdf).pvalue > ALPHA
