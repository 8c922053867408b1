"""RandomStreams: a factory of random variables, each with its own seeded stream.

    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))        # rv_u.rng holds the stream's RandomState
    f = tg.function([], rv_u)          # each call draws once and advances rv_u.rng

The k-th variable a RandomStreams makes gets stream k + 1 of its seed (see
``philox.py``, section 2), so variables never share numbers and `srng.seed(n)`
restarts all of them deterministically.
"""
from __future__ import annotations

import secrets

import numpy as np

from .. import config
from ..ir import Variable
from ..tensor.basic import as_tensor_variable
from ..tensor.shared import shared
from .op import RandomVariable, size_input
from .state import RandomState


class RandomStreams:
    """Theano's ``RandomStreams(seed)``; `state_updates` lists (rng, update) pairs."""

    def __init__(self, seed=None):
        self.default_instance_seed = secrets.randbits(63) if seed is None else int(seed)
        self.state_updates = []
        self.next_stream = 1

    # -- seeding ----------------------------------------------------------------------
    def seed(self, seed=None):
        """Restart every stream made so far (and those made later) from `seed`."""
        if seed is not None:
            self.default_instance_seed = int(seed)
        for rng, _ in self.state_updates:
            rng.set_value(RandomState(self.default_instance_seed, rng.tag.stream), borrow=True)

    def updates(self):
        """The (rng, new state) pairs of every variable made, as a list."""
        return list(self.state_updates)

    # -- the draw every method goes through ----------------------------------------------
    def gen(self, dist, size, params, dtype, ndim=None):
        """A random variable of distribution `dist` with its own new stream."""
        stream, self.next_stream = self.next_stream, self.next_stream + 1
        rng = shared(RandomState(self.default_instance_seed, stream))
        rng.tag.stream = stream
        has_size = size is not None
        inputs = [size_input(size, ndim)] if has_size else []
        op = RandomVariable(dist, np.dtype(config.resolve_dtype(dtype)).name, has_size)
        new_rng, value = op.make_node(rng, *inputs, *params).outputs
        rng.default_update = new_rng
        value.rng = rng
        value.update = (rng, new_rng)
        self.state_updates.append((rng, new_rng))
        return value

    # -- distributions ----------------------------------------------------------------
    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None):
        """Floats in [low, high) (float64: top 53 bits of a word; float32: 24 bits)."""
        return self.gen('uniform', size, (low, high), dtype or config.floatX, ndim)

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None):
        """Gaussian floats of mean `avg` and standard deviation `std` (Box-Muller)."""
        return self.gen('normal', size, (avg, std), dtype or config.floatX, ndim)

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype='int64'):
        """The number of successes in `n` trials of probability `p`."""
        return self.gen('binomial', size, (n, p), dtype, ndim)

    def random_integers(self, size=None, low=0, high=1, ndim=None, dtype='int64'):
        """Integers in [low, high], both ends included (Theano's convention)."""
        return self.gen('integers', size, (low, _plus_one(high)), dtype, ndim)

    def integers(self, low, high=None, size=None, ndim=None, dtype='int64'):
        """Integers in [low, high) (NumPy's Generator.integers; [0, low) without high)."""
        if high is None:
            low, high = 0, low
        return self.gen('integers', size, (low, high), dtype, ndim)

    def permutation(self, size=None, n=1, ndim=None, dtype='int64'):
        """Permutations of range(n): shape size + (n,)."""
        return self.gen('permutation', () if size is None else size, (n,), dtype, ndim)

    def choice(self, size=(), a=2, replace=True, p=None, ndim=None, dtype='int64'):
        """Items of `a` (a vector, or range(a) for an integer) with or without replacement,
        uniformly or with probabilities `p`."""
        items = a if isinstance(a, Variable) else as_tensor_variable(np.asarray(a))
        m = items if items.ndim == 0 else items.shape[0]
        dist = 'choice' + ('' if replace else '_unique') + ('' if p is None else '_p')
        params = (m,) if p is None else (m, p)
        index = self.gen(dist, () if size is None else size, params, dtype, ndim)
        if items.ndim == 0:
            return index
        picked = items[index]
        picked.rng, picked.update = index.rng, index.update
        return picked

    def multinomial(self, size=None, n=1, pvals=None, ndim=None, dtype='int64'):
        """Counts of `n` draws over the categories of the last axis of `pvals`; with
        `size`, pvals is broadcast to size + (categories,)."""
        if pvals is None:
            raise TypeError('multinomial needs pvals (the probabilities of each category)')
        pvals = as_tensor_variable(pvals) if isinstance(pvals, Variable) else \
            as_tensor_variable(np.asarray(pvals, dtype='float64'))
        if size is not None:
            from ..tensor.math import ones
            pvals = pvals * ones(list(_as_list(size)) + [pvals.shape[-1]], dtype=pvals.dtype)
        return self.gen('multinomial', None, (n, pvals), dtype, ndim)


def _as_list(size):
    if isinstance(size, (list, tuple)):
        return size
    if isinstance(size, (int, np.integer)):
        return [size]
    v = as_tensor_variable(size)
    return [v[i] for i in range(v.type.shape[0])]


def _plus_one(high):
    return high + 1 if isinstance(high, Variable) else np.asarray(high, dtype='int64') + 1
