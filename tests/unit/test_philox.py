"""The Philox4x64-10 specification against Random123's known answers and NumPy's bits."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tracegraph.random import philox

M = philox.MASK64

# Random123's kat_vectors for philox4x64 with 10 rounds: (counter, key, expected output).
KAT = [
    ((0, 0, 0, 0), (0, 0),
     (0x16554d9eca36314c, 0xdb20fe9d672d0fdc, 0xd7e772cee186176b, 0x7e68b68aec7ba23b)),
    ((M, M, M, M), (M, M),
     (0x87b092c3013fe90b, 0x438c3c67be8d0224, 0x9cc7d7c69cd777b6, 0xa09caebf594f0ba0)),
    ((0x243f6a8885a308d3, 0x13198a2e03707344, 0xa4093822299f31d0, 0x082efa98ec4e6c89),
     (0x452821e638d01377, 0xbe5466cf34e90c6c),
     (0xa528f45403e61d95, 0x38c72dbd566e9788, 0xa5a1610e72fd18b5, 0x57bd43b5e52b7fe6)),
]


@pytest.mark.parametrize('counter, key, expected', KAT)
def test_known_answers(counter, key, expected):
    assert [int(w) for w in philox.philox4x64_10(counter, key)] == list(expected)


def test_mulhilo_matches_python_integers():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2**64, size=1000, dtype=np.uint64, endpoint=False)
    b = rng.integers(0, 2**64, size=1000, dtype=np.uint64, endpoint=False)
    a[:3] = [0, M, M]
    b[:3] = [M, M, 1]
    hi, lo = philox.mulhilo(a, b)
    for x, y, h, low in zip(a.tolist(), b.tolist(), hi.tolist(), lo.tolist()):
        assert (h, low) == divmod(x * y, 1 << 64)


@pytest.mark.parametrize('draw, sub, start, stop', [
    (0, 0, 0, 37), (3, 0, 1, 9), (7, 5, 6, 7), (M, 2, 1001, 1040), (1, M, 2**40, 2**40 + 11)])
def test_fast_words_equal_the_block_function(draw, sub, start, stop):
    key = philox.seed_key(2024, 7)
    fast = philox.words(key, draw, sub, start, stop)
    assert fast.dtype == np.uint64
    np.testing.assert_array_equal(fast, philox.reference_words(key, draw, sub, start, stop))


def test_words_of_a_slice_equal_the_whole_draw():
    key = philox.seed_key(5)
    whole = philox.words(key, 4, 0, 0, 1000)
    for start, stop in [(0, 3), (3, 17), (17, 999), (999, 1000)]:
        np.testing.assert_array_equal(philox.words(key, 4, 0, start, stop), whole[start:stop])


def test_counter_layout_matches_numpy_philox_raw_bits():
    key = (0x0123456789ABCDEF, 0xFEDCBA9876543210)
    draw, sub = 9, 3
    bits = np.random.Philox(key=key[0] | (key[1] << 64),
                            counter=(draw << 64) + (sub << 128) - 1).random_raw(12)
    np.testing.assert_array_equal(bits, philox.reference_words(key, draw, sub, 0, 12))


def test_seed_keys_differ_by_seed_and_stream():
    keys = {philox.seed_key(s, k) for s in (0, 1, 2**64, 2**70) for k in range(4)}
    assert len(keys) == 16
    assert philox.seed_key(1, 2) == philox.seed_key(1, 2)
    with pytest.raises(ValueError, match='non-negative'):
        philox.seed_key(-1)


@pytest.mark.parametrize('name, dtype, params', [
    ('uniform', 'float64', (-1.0, 2.0)), ('uniform', 'float32', (0.0, 1.0)),
    ('normal', 'float64', (0.5, 3.0)), ('normal', 'float32', (0.0, 1.0)),
    ('integers', 'int64', (-7, 2**40)), ('integers', 'int32', (0, 10)),
    ('binomial', 'int64', (5, 0.25))])
def test_any_split_of_a_draw_gives_the_same_values(name, dtype, params):
    """What Dask chunks and worker threads rely on: values [start, stop) alone."""
    from tracegraph.random.distributions import DISTRIBUTIONS
    fill = DISTRIBUTIONS[name].fill
    key = philox.seed_key(77, 1)
    whole = np.empty(1001, dtype)
    fill(key, 3, 0, 1001, whole, *params)
    pieces = np.empty(1001, dtype)
    for start, stop in [(0, 1), (1, 2), (2, 7), (7, 500), (500, 501), (501, 1001)]:
        fill(key, 3, start, stop, pieces[start:stop], *params)
    np.testing.assert_array_equal(pieces, whole)


@settings(max_examples=60, deadline=None)
@given(draw=st.integers(0, philox.MASK64), sub=st.integers(0, philox.MASK64),
       start=st.integers(0, 2**62), length=st.integers(0, 9))
def test_words_anywhere_in_the_counter_space(draw, sub, start, length):
    key = philox.seed_key(draw % 1000, sub % 7)
    np.testing.assert_array_equal(philox.words(key, draw, sub, start, start + length),
                                  philox.reference_words(key, draw, sub, start, start + length))
