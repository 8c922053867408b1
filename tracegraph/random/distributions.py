"""The transforms of ``philox.py`` section 4, in NumPy: from a stream's words to values.

Two kinds of distribution:

* *elementwise* ones (uniform, normal, integers, binomial) define value i of a draw
  from words at position i alone, so they offer ``fill(key, draw, start, stop, out,
  *params)``: write values [start, stop) of the flattened draw into `out`, with each
  parameter a scalar or an array already broadcast to the draw and sliced the same
  way.  Any split of [0, n) into slices gives the same numbers (threads, Dask chunks).
* *whole* ones (permutation, choice, multinomial) need all their values at once and
  offer ``draw(key, draw, shape, *params)``.

This is the reference every backend is checked against.  The NumPy backend runs
these functions directly (they use ``numpy.random.Generator`` over the positioned
Philox bit generator, whose float conversions are exactly the specified ones).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .philox import bit_generator, mulhi, words

_M32 = np.uint64(0xFFFFFFFF)
_32 = np.uint64(32)
_11 = np.uint64(11)


@dataclass(frozen=True)
class Distribution:
    """One distribution: its parameter names and dtype kinds, how its output shape
    follows from size and parameters, and its NumPy implementation."""

    name: str
    params: tuple            # parameter names, in input order
    param_kinds: tuple       # 'float' (the output dtype), 'f8', 'i8' or 'any', per parameter
    fill: Callable = None    # elementwise: fill(key, draw, start, stop, out, *params)
    draw: Callable = None    # whole: draw(key, draw, shape, *params) -> array
    float_only: bool = False  # uniform and normal draw float32/float64 only
    shape_rule: str = 'size'  # 'size' (or the parameters' broadcast shape when no size),
                              # 'size+n' (a trailing axis of length n), 'pvals' (its shape)

    @property
    def elementwise(self):
        return self.fill is not None


def u53(w):
    """float64 in [0, 1) from the top 53 bits of each word."""
    return (w >> _11).astype(np.float64) * 2.0 ** -53


def _generator(key, draw, sub, start):
    return np.random.Generator(bit_generator(key, draw, sub, start))


def _uniform01(key, draw, sub, start, out):
    """u53 of words start.. of (draw, sub) into float64 `out` (NumPy's `random` is u53)."""
    _generator(key, draw, sub, start).random(out=out)


# -- uniform ---------------------------------------------------------------------------
def fill_uniform(key, draw, start, stop, out, low, high):
    if out.dtype == np.float64:
        _uniform01(key, draw, 0, start, out)
    elif out.dtype == np.float32:
        # Two float32 values per word, low half first: NumPy's next_uint32 order.
        gen = _generator(key, draw, 0, start // 2)
        if start % 2:
            gen.random(1, dtype=np.float32)
        gen.random(out=out, dtype=np.float32)
    else:
        raise TypeError(f'uniform draws float32 or float64, not {out.dtype}')
    low = np.asarray(low, out.dtype)
    high = np.asarray(high, out.dtype)
    if low.ndim or high.ndim or low != 0 or high != 1:
        np.multiply(out, high - low, out=out)
        np.add(out, low, out=out)


# -- normal ----------------------------------------------------------------------------
def standard_normal(key, draw, start, stop):
    """float64 Box-Muller values [start, stop): pair k reads words 2k and 2k + 1; the
    angle's cosine and sine come from one tangent of the half angle (section 4)."""
    first, last = start // 2, (stop + 1) // 2
    u = np.empty((last - first, 2))
    _uniform01(key, draw, 0, 2 * first, u.reshape(-1))
    r = np.subtract(1.0, u[:, 0])
    np.log(r, out=r)
    np.multiply(r, -2.0, out=r)
    np.sqrt(r, out=r)
    s = np.multiply(u[:, 1], np.pi)
    np.tan(s, out=s)
    c = np.multiply(s, s)
    g = np.add(c, 1.0)
    np.divide(r, g, out=g)
    z = u   # reuse: column 0 gets g*(1 - c), column 1 gets g*(2*s)
    np.subtract(1.0, c, out=z[:, 0])
    z[:, 0] *= g
    np.multiply(s, 2.0, out=z[:, 1])
    z[:, 1] *= g
    offset = start - 2 * first
    return z.reshape(-1)[offset:offset + stop - start]


def fill_normal(key, draw, start, stop, out, avg, std):
    z = standard_normal(key, draw, start, stop)
    avg = np.asarray(avg, np.float64)
    std = np.asarray(std, np.float64)
    if avg.ndim or std.ndim or avg != 0 or std != 1:
        np.multiply(z, std, out=z)
        np.add(z, avg, out=z)
    out[...] = z


# -- integers --------------------------------------------------------------------------
def bounded(w, span):
    """mulhi(w, span): each word onto range(span) (span: uint64 scalar or array)."""
    span = np.asarray(span, np.uint64)
    if span.ndim == 0 and span <= _M32:
        # The high word when span < 2**32: (aH*s + (aL*s >> 32)) >> 32 cannot overflow.
        return ((w >> _32) * span + (((w & _M32) * span) >> _32)) >> _32
    return mulhi(w, span)


def fill_integers(key, draw, start, stop, out, low, high):
    low = np.asarray(low, np.int64)
    high = np.asarray(high, np.int64)
    if np.any(high <= low):
        raise ValueError(f'integers: high must be greater than low (got low={low}, high={high}; '
                         'random_integers takes an inclusive high)')
    with np.errstate(over='ignore'):
        span = high.astype(np.uint64) - low.astype(np.uint64)
        offset = bounded(words(key, draw, 0, start, stop), span)
        out[...] = (low.astype(np.uint64) + offset).view(np.int64)


# -- binomial --------------------------------------------------------------------------
def fill_binomial(key, draw, start, stop, out, n, p):
    n = np.asarray(n, np.int64)
    p = np.asarray(p, np.float64)
    if np.any(n < 0) or np.any(p < 0) or np.any(p > 1) or np.any(np.isnan(p)):
        raise ValueError(f'binomial needs n >= 0 and 0 <= p <= 1 (got n={n}, p={p})')
    count = np.zeros(stop - start, np.int64)
    u = np.empty(stop - start)
    for trial in range(int(n.max()) if n.size else 0):
        _uniform01(key, draw, trial, start, u)   # trial j reads sub-sequence j
        hit = u < p
        if n.ndim:
            hit &= trial < n
        count += hit
    out[...] = count


# -- permutation, choice, multinomial (whole draws) ------------------------------------
def _check_count(what, m):
    m = int(m)
    if m < 0:
        raise ValueError(f'{what} must be non-negative, got {m}')
    return m


def draw_permutation(key, draw, shape, n):
    """shape = size + (n,): each row a permutation of range(n) by sorting its words."""
    n = _check_count('permutation: n', n)
    rows = int(np.prod(shape[:-1], dtype=np.int64))
    keys = words(key, draw, 0, 0, rows * n).reshape(rows, n)
    return np.argsort(keys, axis=1, kind='stable').reshape(shape)


def _cdf(p, what):
    p = np.asarray(p, np.float64)
    if p.ndim < 1 or np.any(p < 0) or np.any(np.isnan(p)) or not np.all(p.sum(axis=-1) > 0):
        raise ValueError(f'{what}: probabilities must be non-negative with a positive sum, got {p}')
    return np.cumsum(p, axis=-1)   # left to right, as the spec says


def _choice_with_replacement(key, draw, k, m, p):
    w = words(key, draw, 0, 0, k)
    if p is None:
        return bounded(w, np.uint64(m)).astype(np.int64)
    cdf = _cdf(p, 'choice')
    index = np.searchsorted(cdf, u53(w) * cdf[-1], side='right')
    return np.minimum(index, m - 1)


def _choice_without_replacement(key, draw, k, m, p):
    if k > m:
        raise ValueError(f'choice without replacement: cannot take {k} of {m} items')
    w = words(key, draw, 0, 0, m)
    if p is None:
        return np.argsort(w, kind='stable')[:k]
    p = np.asarray(p, np.float64)
    _cdf(p, 'choice')
    with np.errstate(divide='ignore'):
        race = -np.log(1.0 - u53(w)) / p   # exponential race; p = 0 never wins
    return np.argsort(race, kind='stable')[:k]


def make_choice(replace):
    pick = _choice_with_replacement if replace else _choice_without_replacement

    def draw_choice(key, draw, shape, m, p=None):
        m = _check_count('choice: the number of items', m)
        if p is not None and np.shape(p) != (m,):
            raise ValueError(f'choice: p has shape {np.shape(p)}, expected ({m},)')
        k = int(np.prod(shape, dtype=np.int64))
        if m == 0 and k:
            raise ValueError('choice from an empty set')
        return pick(key, draw, k, m, p).astype(np.int64).reshape(shape)
    return draw_choice


def draw_multinomial(key, draw, shape, n, pvals):
    """Counts per category: row b, trial j picks by u53(word b of sub-sequence j)."""
    n = _check_count('multinomial: n', n)
    cdf = _cdf(pvals, 'multinomial')
    m = cdf.shape[-1]
    cdf = cdf.reshape(-1, m)
    rows = cdf.shape[0]
    counts = np.zeros((rows, m), np.int64)
    scale = cdf[:, -1:]
    for trial in range(n):
        u = u53(words(key, draw, trial, 0, rows))[:, None] * scale
        index = np.minimum((cdf <= u).sum(axis=1), m - 1)
        counts[np.arange(rows), index] += 1
    return counts.reshape(shape)


DISTRIBUTIONS = {d.name: d for d in [
    Distribution('uniform', ('low', 'high'), ('float', 'float'), fill=fill_uniform,
                 float_only=True),
    Distribution('normal', ('avg', 'std'), ('float', 'float'), fill=fill_normal,
                 float_only=True),
    Distribution('integers', ('low', 'high'), ('i8', 'i8'), fill=fill_integers),
    Distribution('binomial', ('n', 'p'), ('i8', 'f8'), fill=fill_binomial),
    Distribution('permutation', ('n',), ('i8',), draw=draw_permutation,
                 shape_rule='size+n'),
    Distribution('choice', ('m',), ('i8',), draw=make_choice(True)),
    Distribution('choice_p', ('m', 'p'), ('i8', 'f8'), draw=make_choice(True)),
    Distribution('choice_unique', ('m',), ('i8',), draw=make_choice(False)),
    Distribution('choice_unique_p', ('m', 'p'), ('i8', 'f8'), draw=make_choice(False)),
    Distribution('multinomial', ('n', 'pvals'), ('i8', 'f8'), draw=draw_multinomial,
                 shape_rule='pvals'),
]}
