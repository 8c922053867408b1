"""The counter-based generator every backend reproduces: Philox4x64-10.

This module is the specification.  A backend (C, CUDA, Numba, Dask chunks) that
follows it draws exactly the bits NumPy draws for the same seed.  Everything is
unsigned 64-bit arithmetic modulo 2**64 unless said otherwise.

1. The block function
---------------------
``philox4x64_10(counter, key)`` maps a 256-bit counter (four words c0..c3) and a
128-bit key (two words k0, k1) to four 64-bit words (Salmon et al., "Parallel
random numbers: as easy as 1, 2, 3", SC 2011; the Random123 library).  Ten times:

    (hi0, lo0) = mulhilo(M0, c0)        M0 = 0xD2E7470EE14C6C93
    (hi1, lo1) = mulhilo(M1, c2)        M1 = 0xCA5A826395121157
    (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0,  lo1,  hi0 ^ c3 ^ k1,  lo0)
    then, between rounds (nine times): k0 += W0, k1 += W1
                                        W0 = 0x9E3779B97F4A7C15
                                        W1 = 0xBB67AE8584CAA73B

and the output is (c0, c1, c2, c3).  ``mulhilo(a, b)`` is the full 128-bit product
split in two words: lo = a*b mod 2**64 and hi = floor(a*b / 2**64).  Where the
language has no 128-bit integers (NumPy, Numba), hi is built from 32-bit halves:

    a = aH*2**32 + aL,  b = bH*2**32 + bL                      (each half < 2**32)
    ll = aL*bL;  lh = aL*bH;  hl = aH*bL;  hh = aH*bH          (exact in 64 bits)
    mid = (ll >> 32) + (lh & 0xFFFFFFFF) + (hl & 0xFFFFFFFF)   (< 3*2**32: no overflow)
    hi  = hh + (lh >> 32) + (hl >> 32) + (mid >> 32)
    lo  = a*b mod 2**64

CUDA has ``__umul64hi(a, b)``; C compilers have ``unsigned __int128``.  This is the
same function as ``numpy.random.Philox``: ``tests/unit/test_philox.py`` checks it
against NumPy's raw bits and the Random123 known-answer vectors.

2. Keys: from a seed to a stream
--------------------------------
A stream is a key and a draw count.  ``seed_key(seed, stream)`` makes the key:
the first two output words of ``philox4x64_10((seed mod 2**64, seed >> 64 mod 2**64,
stream, 0), SEED_KEY)`` with ``SEED_KEY = (0x243F6A8885A308D3, 0x13198A2E03707344)``
(digits of pi).  ``rng.seed(n)`` uses stream 0; ``RandomStreams(seed)`` gives its
k-th random variable stream k + 1, so streams of one RandomStreams never share a key.

3. The counter layout: which words a draw reads
-----------------------------------------------
Each call of a compiled function that draws from a stream is one *draw*, numbered
by the stream's draw count ``d`` (0, 1, 2, ...; the state's update adds 1).  A draw
reads one or more *sub-sequences* ``s`` (0 for most distributions; trial ``j`` of a
binomial reads ``s = j``).  Word ``i`` (i = 0, 1, 2, ...) of sub-sequence ``s`` of
draw ``d`` is

    philox4x64_10((i // 4, d, s, 0), key)[i % 4]

so a draw of n values that reads words 0..n-1 touches a contiguous run of blocks,
and any slice [start, stop) of it can be computed on its own (a Dask chunk, a CUDA
thread, a worker thread) and agrees with drawing everything at once.

With ``numpy.random.Philox`` these words come out in order: that bit generator
increments its counter *before* each block, so ``Philox(key=key, counter=C - 1)``
with ``C = (start // 4) + d * 2**64 + s * 2**128`` (mod 2**256) produces words
``4*(start//4)``, ... ; skip ``start % 4`` of them.  :func:`words` does this.

4. From words to values (the transforms)
----------------------------------------
``u53(w) = (w >> 11) * 2**-53`` is a float64 in [0, 1), exact.

* uniform: the parameters are first cast to the output dtype and the arithmetic is
  done in that dtype: value = low + (high - low) * u, where
  float64: u = u53(word i);
  float32: two values per word, low half first: value i reads word i // 2, half
  ``h = w & 0xFFFFFFFF`` for even i and ``w >> 32`` for odd i, and ``u = float32(h
  >> 8) * 2**-24`` in [0, 1).  (This is NumPy's ``Generator.random`` layout for both
  dtypes, so the NumPy backend calls it directly.)  With low = 0 and high = 1 the
  value is u itself.
* integers in [low, high): value i = low + mulhi(word i, high - low), with ``mulhi``
  the high word above (Lemire's multiply-shift, without rejection so that each value
  reads exactly one word; the bias is at most (high - low) / 2**64 per outcome).
  ``random_integers(low, high)`` is integers(low, high + 1).  low + offset is
  computed modulo 2**64 as int64, then cast to the output dtype.
* normal (Box-Muller): values come in pairs; pair k reads words 2k and 2k + 1:
  ``a = u53(word 2k)``, ``b = u53(word 2k + 1)``, ``r = sqrt(-2 * log(1 - a))``
  (1 - a is exact and never 0).  The angle is 2*pi*b; its cosine and sine come from
  one tangent of the half angle (a tangent costs half of a cosine and a sine):
  ``s = tan(pi * b)``, ``c = s * s``, ``g = r / (1 + c)``; value 2k = g * (1 - c)
  (= r cos(2 pi b)) and value 2k + 1 = g * (2 * s) (= r sin(2 pi b)), with pi the
  float64 nearest to it (s stays below 2**54, so c never overflows).  Then avg +
  std * value.  All of it is computed in float64 and rounded to the output dtype;
  backends agree up to the rounding of log and tan.
* binomial(n, p): value i = the number of j < n with u53(word i of sub-sequence j)
  < p (n Bernoulli trials, trial j in sub-sequence j).  Exact and identical
  everywhere; the cost grows with n.
* permutation(n): the stable argsort of words 0..n-1 (ascending, ties by index).
  A batch of permutations (size given) reads words row*n .. row*n + n - 1 for row.
* choice(a, size) over m = len(a) items, k = prod(size) values:
  with replacement and no p: item i = mulhi(word i, m);
  with replacement and p: ``cdf`` = running sum of p (left to right, float64),
  item i = the number of cdf entries <= u53(word i) * cdf[-1] (at most m - 1);
  without replacement and no p: the first k items of permutation(m);
  without replacement and p: keys e_j = -log(1 - u53(word j)) / p_j for j < m, the
  k items of smallest key in increasing key order (stable; exponential-race
  sampling, Efraimidis & Spirakis).
* multinomial(n, pvals): rows of pvals (its last axis: the m categories), row b's
  trial j (j < n) reads word b of sub-sequence j and picks a category as choice with
  p = pvals[b] does; the value is the count of each category.
"""
from __future__ import annotations

import numpy as np

M0 = 0xD2E7470EE14C6C93
M1 = 0xCA5A826395121157
W0 = 0x9E3779B97F4A7C15
W1 = 0xBB67AE8584CAA73B
ROUNDS = 10
SEED_KEY = (0x243F6A8885A308D3, 0x13198A2E03707344)
MASK64 = (1 << 64) - 1
_MASK32 = np.uint64(0xFFFFFFFF)
_32 = np.uint64(32)


def mulhilo(a, b):
    """(hi, lo) words of the 128-bit product of uint64 arrays (or scalars) a and b,
    built from 32-bit halves exactly as the module docstring says."""
    a = np.asarray(a, dtype=np.uint64)
    b = np.asarray(b, dtype=np.uint64)
    a_lo, a_hi = a & _MASK32, a >> _32
    b_lo, b_hi = b & _MASK32, b >> _32
    ll, lh, hl, hh = a_lo * b_lo, a_lo * b_hi, a_hi * b_lo, a_hi * b_hi
    mid = (ll >> _32) + (lh & _MASK32) + (hl & _MASK32)
    hi = hh + (lh >> _32) + (hl >> _32) + (mid >> _32)
    return hi, a * b


def mulhi(a, b):
    """The high word of a * b (uint64): how a word maps onto range(b)."""
    return mulhilo(a, b)[0]


def philox4x64_10(counter, key):
    """The block function.  `counter`: four uint64 arrays (or ints) c0..c3 that
    broadcast together; `key`: two words.  Returns four uint64 arrays."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) for c in counter)
    k0, k1 = (np.uint64(k & MASK64) for k in map(int, key))
    m0, m1 = np.uint64(M0), np.uint64(M1)
    w0, w1 = np.uint64(W0), np.uint64(W1)
    with np.errstate(over='ignore'):
        for r in range(ROUNDS):
            if r:
                k0, k1 = k0 + w0, k1 + w1
            hi0, lo0 = mulhilo(m0, c0)
            hi1, lo1 = mulhilo(m1, c2)
            c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


def seed_key(seed, stream=0):
    """The 128-bit key (two ints) of `stream` under integer `seed` (section 2)."""
    seed = int(seed)
    if seed < 0:
        raise ValueError(f'a seed must be a non-negative integer, got {seed}')
    counter = (seed & MASK64, (seed >> 64) & MASK64, int(stream) & MASK64, 0)
    out = philox4x64_10(counter, SEED_KEY)
    return int(out[0]), int(out[1])


def reference_words(key, draw, sub, start, stop):
    """Words [start, stop) of sub-sequence `sub` of draw `draw`, straight from the
    block function (slow; the definition that :func:`words` must equal)."""
    index = np.arange(start, stop, dtype=np.uint64)
    blocks = philox4x64_10((index // np.uint64(4), int(draw) & MASK64, int(sub) & MASK64, 0), key)
    lanes = (index % np.uint64(4)).astype(np.intp)
    return np.choose(lanes, blocks) if len(index) else np.empty(0, np.uint64)


def bit_generator(key, draw, sub, start):
    """A ``numpy.random.Philox`` positioned so that its next raw word is word
    `start` of (draw, sub) under `key` (section 3)."""
    counter = ((start // 4) + (int(draw) << 64) + (int(sub) << 128) - 1) % (1 << 256)
    key128 = (int(key[0]) & MASK64) | ((int(key[1]) & MASK64) << 64)
    gen = np.random.Philox(counter=counter, key=key128)
    skip = start % 4
    if skip:
        gen.random_raw(skip)
    return gen


def words(key, draw, sub, start, stop):
    """Words [start, stop) of sub-sequence `sub` of draw `draw` (fast: NumPy's Philox)."""
    return bit_generator(key, draw, sub, start).random_raw(stop - start)
