"""Theano tutorial, "Using random numbers", and the random-number contract of API.md:
seeded streams, drawn once per call, advanced by default updates, and the same
numbers on every backend (checked against the Philox specification itself)."""
import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph import backends, config
from tracegraph.random import philox

MASK = (1 << 64) - 1


@pytest.fixture
def on_backend(backend, monkeypatch):
    """Make `backend` the default (the tutorial calls function() without backend=);
    a backend whose plugin does not lower random variables is skipped, saying so."""
    skip_unless_it_draws(backend)
    monkeypatch.setattr(config, 'backend', backend)
    return backend


def skip_unless_it_draws(backend):
    from tracegraph.random import RandomStreams
    probe = RandomStreams(0).uniform((1,)).owner
    try:
        backends.lower(backend, probe, 'tracegraph_lower_random')
    except backends.LoweringError as exc:
        pytest.skip(f'backend {backend!r} does not lower random variables yet: {exc}')


# -- the specification, written independently of tracegraph.random.distributions -----------
def spec_words(seed, stream, draw, n, sub=0):
    return philox.reference_words(philox.seed_key(seed, stream), draw, sub, 0, n)


def spec_uniform64(seed, stream, draw, n):
    return (spec_words(seed, stream, draw, n) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def spec_uniform32(seed, stream, draw, n):
    w = spec_words(seed, stream, draw, (n + 1) // 2)
    halves = np.stack([w & np.uint64(0xFFFFFFFF), w >> np.uint64(32)], axis=1).reshape(-1)[:n]
    return (halves >> np.uint64(8)).astype(np.float32) * np.float32(2.0 ** -24)


def spec_integers(seed, stream, draw, n, low, high):
    w = spec_words(seed, stream, draw, n)
    return np.array([low + ((int(x) * (high - low)) >> 64) for x in w], dtype=np.int64)


def spec_normal(seed, stream, draw, n):
    u = spec_uniform64(seed, stream, draw, 2 * ((n + 1) // 2)).reshape(-1, 2)
    r = np.sqrt(-2.0 * np.log(1.0 - u[:, 0]))
    t = 2 * np.pi * u[:, 1]
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=1).reshape(-1)[:n]


# -- the tutorial, as written ------------------------------------------------------------------
def test_tutorial_random_streams(on_backend):
    from tracegraph.tensor.shared_randomstreams import RandomStreams
    from tracegraph import function
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    rv_n = srng.normal((2, 2))
    f = function([], rv_u)
    g = function([], rv_n, no_default_updates=True)  # not updating rv_n.rng
    nearly_zeros = function([], rv_u + rv_u - 2 * rv_u)

    first, second = f(), f()
    assert first.shape == (2, 2) and first.dtype == config.floatX
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(g(), g())  # the stream of rv_n is left alone
    np.testing.assert_allclose(nearly_zeros(), np.zeros((2, 2)), atol=1e-6)
    # rv_u was made first: stream 1 of seed 234; two calls of f and one of nearly_zeros.
    np.testing.assert_array_equal(first, spec_uniform64(234, 1, 0, 4).reshape(2, 2))
    np.testing.assert_array_equal(second, spec_uniform64(234, 1, 1, 4).reshape(2, 2))
    np.testing.assert_allclose(g(), spec_normal(234, 2, 0, 4).reshape(2, 2), rtol=1e-12)


def test_tutorial_seeding_and_sharing_streams(on_backend):
    from tracegraph.tensor.shared_randomstreams import RandomStreams
    from tracegraph import function
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    f = function([], rv_u)

    rng_val = rv_u.rng.get_value(borrow=True)  # get the rng for rv_u
    rng_val.seed(12345)  # seed the generator
    rv_u.rng.set_value(rng_val, borrow=True)  # assign back seeded rng
    np.testing.assert_array_equal(f(), spec_uniform64(12345, 0, 0, 4).reshape(2, 2))

    state_after_v0 = rv_u.rng.get_value().get_state()
    v0 = f()
    v1 = f()
    rng = rv_u.rng.get_value(borrow=True)
    rng.set_state(state_after_v0)
    rv_u.rng.set_value(rng, borrow=True)
    v2 = f()  # v2 == v0
    v3 = f()  # v3 == v1
    np.testing.assert_array_equal(v2, v0)
    np.testing.assert_array_equal(v3, v1)
    assert not np.array_equal(v0, v1)


@pytest.mark.parametrize('kind', ['RandomStreams', 'MRG_RandomStreams'])
def test_tutorial_copying_random_state_between_graphs(on_backend, kind):
    from tracegraph.sandbox.rng_mrg import MRG_RandomStreams
    from tracegraph.tensor.shared_randomstreams import RandomStreams
    streams = {'RandomStreams': RandomStreams, 'MRG_RandomStreams': MRG_RandomStreams}[kind]

    class Graph:
        def __init__(self, seed=123):
            self.rng = streams(seed)
            self.y = self.rng.uniform(size=(1,))

    g1 = Graph(seed=123)
    f1 = tg.function([], g1.y)
    g2 = Graph(seed=987)
    f2 = tg.function([], g2.y)
    assert f1() != f2()  # by default, the two functions are out of sync

    def copy_random_state(g1, g2):
        if isinstance(g1.rng, MRG_RandomStreams):
            g2.rng.rstate = g1.rng.rstate
        for (su1, su2) in zip(g1.rng.state_updates, g2.rng.state_updates):
            su2[0].set_value(su1[0].get_value())

    copy_random_state(g1, g2)
    assert f1() == f2()
    assert f1() == f2()


# -- the contract beyond the tutorial -------------------------------------------------------
def test_same_seed_same_draws_on_every_backend(on_backend):
    """Uniform and integer draws equal the specification (hence the NumPy backend) bit
    for bit; normal draws to float rounding."""
    from tracegraph.random import RandomStreams
    srng = RandomStreams(seed=42)
    n = T.lscalar('n')
    outs = [srng.uniform((n,), dtype='float64'), srng.uniform((n,), dtype='float32'),
            srng.integers(-1000, 10**12, size=(n,)), srng.random_integers((n,), 0, 9),
            srng.normal((n,), dtype='float64')]
    f = tg.function([n], outs)
    for draw in range(2):
        u64, u32, big, digits, z = f(1001)
        np.testing.assert_array_equal(u64, spec_uniform64(42, 1, draw, 1001))
        np.testing.assert_array_equal(u32, spec_uniform32(42, 2, draw, 1001))
        np.testing.assert_array_equal(big, spec_integers(42, 3, draw, 1001, -1000, 10**12))
        np.testing.assert_array_equal(digits, spec_integers(42, 4, draw, 1001, 0, 10))
        np.testing.assert_allclose(z, spec_normal(42, 5, draw, 1001), rtol=1e-12, atol=1e-14)
    if on_backend != 'numpy':
        g = tg.function([n], outs, backend='numpy')
        srng.seed(7)
        here = f(333)
        srng.seed(7)
        reference = g(333)
        for a, b in zip(here[:4], reference[:4]):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(here[4], reference[4], rtol=1e-12, atol=1e-14)


def test_large_draws_equal_the_specification(on_backend):
    """Big enough that backends split the work (threads, chunks): still the same numbers."""
    from tracegraph.random import RandomStreams
    srng = RandomStreams(seed=3)
    n = 600_001
    f = tg.function([], [srng.uniform((n,), dtype='float64'), srng.uniform((n,), dtype='float32'),
                         srng.normal((n,), dtype='float64')])
    u64, u32, z = f()
    key = philox.seed_key(3, 1)
    w = philox.words(key, 0, 0, 0, n)
    np.testing.assert_array_equal(u64, (w >> np.uint64(11)).astype(np.float64) * 2.0 ** -53)
    np.testing.assert_array_equal(u32, spec_uniform32(3, 2, 0, n))
    np.testing.assert_allclose(z[-1001:], spec_normal(3, 3, 0, n)[-1001:], rtol=1e-12, atol=1e-14)


def test_a_variable_is_drawn_once_per_call(on_backend):
    from tracegraph.random import RandomStreams
    srng = RandomStreams(seed=1)
    u = srng.uniform((5,))
    f = tg.function([], [u, u * 2, u.sum()])
    a, b, s = f()
    np.testing.assert_array_equal(b, 2 * a)
    np.testing.assert_allclose(s, a.sum())


def test_srng_seed_reseeds_every_stream(on_backend):
    from tracegraph.random import RandomStreams
    srng = RandomStreams(seed=10)
    u, i = srng.uniform((3,)), srng.integers(100, size=(3,))
    f = tg.function([], [u, i])
    first = f()
    f()
    srng.seed(10)
    again = f()
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    srng.seed(11)
    other = f()
    assert not np.array_equal(first[0], other[0])
    np.testing.assert_array_equal(other[0], spec_uniform64(11, 1, 0, 3))


def test_no_default_updates_as_a_list(on_backend):
    from tracegraph.random import RandomStreams
    srng = RandomStreams(seed=5)
    a, b = srng.uniform((2,)), srng.uniform((2,))
    f = tg.function([], [a, b], no_default_updates=[a.rng])
    a0, b0 = f()
    a1, b1 = f()
    np.testing.assert_array_equal(a0, a1)
    assert not np.array_equal(b0, b1)


def test_symbolic_size_and_broadcast_parameters(on_backend):
    from tracegraph.random import RandomStreams
    srng = RandomStreams(seed=8)
    rows, low = T.lscalar('rows'), T.dvector('low')
    u = srng.uniform((rows, 3), low=low, high=low + 1.0, dtype='float64')
    z = srng.normal(avg=low, std=0.0, dtype='float64')  # no size: the parameters' shape
    f = tg.function([rows, low], [u, z])
    lows = np.array([0.0, 10.0, 100.0])
    out, mean = f(4, lows)
    assert out.shape == (4, 3)
    assert np.all((out >= lows) & (out < lows + 1))
    np.testing.assert_array_equal(out, lows + spec_uniform64(8, 1, 0, 12).reshape(4, 3))
    np.testing.assert_array_equal(mean, lows)
    assert f(0, lows)[0].shape == (0, 3)


def test_dtype_follows_floatx(on_backend, monkeypatch):
    from tracegraph.random import RandomStreams
    monkeypatch.setattr(config, 'floatX', 'float32')
    srng = RandomStreams(seed=2)
    u, z = srng.uniform((3,)), srng.normal((3,))
    assert u.dtype == 'float32' and z.dtype == 'float32'
    out_u, out_z = tg.function([], [u, z])()
    assert out_u.dtype == np.float32 and out_z.dtype == np.float32
    np.testing.assert_array_equal(out_u, spec_uniform32(2, 1, 0, 3))
    np.testing.assert_allclose(out_z, spec_normal(2, 2, 0, 3).astype(np.float32), rtol=1e-6)
    assert srng.binomial((3,), p=0.5, dtype=config.floatX).dtype == 'float32'


def test_other_distributions_follow_the_spec(on_backend):
    from tracegraph.random import RandomStreams
    srng = RandomStreams(seed=99)
    perm = srng.permutation((2,), n=6)
    pick = srng.choice((5,), a=[3, 1, 4, 1, 5, 9])
    bino = srng.binomial((4,), n=3, p=0.5)
    got_perm, got_pick, got_bino = tg.function([], [perm, pick, bino])()
    w = spec_words(99, 1, 0, 12).reshape(2, 6)
    np.testing.assert_array_equal(got_perm, np.argsort(w, axis=1, kind='stable'))
    index = spec_integers(99, 2, 0, 5, 0, 6)
    np.testing.assert_array_equal(got_pick, np.array([3, 1, 4, 1, 5, 9])[index])
    trials = [spec_uniform64(99, 3, 0, 4) if j == 0 else
              (spec_words(99, 3, 0, 4, sub=j) >> np.uint64(11)) * 2.0 ** -53 for j in range(3)]
    np.testing.assert_array_equal(got_bino, sum((t < 0.5).astype(np.int64) for t in trials))


def test_scan_draws_advance_per_step(on_backend):
    """A draw made inside the step function advances its stream once per step and
    scan returns the update; one made outside and passed as a non-sequence is an
    input, drawn once per call."""
    from tracegraph.random import RandomStreams
    srng = RandomStreams(seed=17)
    outer = srng.uniform(())
    inner = []

    def step(prev, once):
        inner.append(srng.uniform(()))
        return prev + inner[-1] + 0 * once

    out, updates = tg.scan(step, outputs_info=T.constant(np.float64(0.0)), non_sequences=outer,
                           n_steps=4)
    assert inner[0].rng in updates
    f = tg.function([], [out, outer], updates=updates)
    steps = np.array([spec_uniform64(17, 2, d, 1)[0] for d in range(8)])
    got, drawn = f()
    np.testing.assert_allclose(got, np.cumsum(steps[:4]), rtol=1e-15)
    assert drawn == spec_uniform64(17, 1, 0, 1)[0]
    got, drawn = f()
    np.testing.assert_allclose(got, np.cumsum(steps[4:]), rtol=1e-15)
    assert drawn == spec_uniform64(17, 1, 1, 1)[0]


def test_bad_arguments_are_clear_errors(on_backend):
    from tracegraph.random import RandomStreams
    srng = RandomStreams(seed=0)
    with pytest.raises(TypeError, match='float'):
        srng.uniform((2,), dtype='int32')
    with pytest.raises(ValueError, match='ndim'):
        srng.uniform(T.lvector('shape'))
    lo = T.lscalar('lo')
    f = tg.function([lo], srng.integers(lo, 5, size=(2,)))
    with pytest.raises(ValueError, match='high must be greater than low'):
        f(5)
    low = T.dvector('low')
    g = tg.function([low], srng.uniform((2, 2), low=low, dtype='float64'))
    with pytest.raises(ValueError, match='low'):
        g(np.zeros(3))
    with pytest.raises(TypeError, match='RandomState'):
        srng.uniform((2,)).rng.set_value(np.random.RandomState(0))
    with pytest.raises(ValueError, match='get_state'):
        srng.uniform((2,)).rng.get_value().set_state(('MT19937', 1, 2))
