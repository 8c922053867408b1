"""Theano's ``MRG_RandomStreams``, drawing from tracegraph's one generator.

Theano's MRG31k3p generator existed because its GPU could not run NumPy's; here
every backend runs the same Philox streams (``tracegraph.random.philox``), so this
class is RandomStreams with Theano's MRG signatures.  `nstreams` (how many GPU
streams MRG used) is accepted and changes nothing: Philox needs none.
"""
from __future__ import annotations

import numpy as np

from ...random import RandomStreams

_PHI_MINUS_2 = 0.022750131948179195  # the standard normal CDF at -2


class MRG_RandomStreams(RandomStreams):  # noqa: N801  (Theano's name)
    """``MRG_RandomStreams(seed=12345)``; `rstate` is the state new streams start from."""

    def __init__(self, seed=12345):
        super().__init__(seed)

    @property
    def rstate(self):
        """(seed, next stream number): copying it makes later variables draw alike."""
        return (self.default_instance_seed, self.next_stream)

    @rstate.setter
    def rstate(self, value):
        self.default_instance_seed, self.next_stream = int(value[0]), int(value[1])

    def uniform(self, size, low=0.0, high=1.0, ndim=None, dtype=None, nstreams=None):
        return super().uniform(size, low, high, ndim=ndim, dtype=dtype)

    def normal(self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None, truncate=False):
        """Gaussian draws; `truncate=True` keeps only those within 2 standard deviations
        of `avg` (Theano's truncation: the result's spread is then below `std`)."""
        if not truncate:
            return super().normal(size, avg, std, ndim=ndim, dtype=dtype)
        # Inverse-CDF sampling of the truncated normal: uniform between Phi(-2) and Phi(2).
        from ... import tensor as T
        u = super().uniform(size, _PHI_MINUS_2, 1.0 - _PHI_MINUS_2, ndim=ndim, dtype=dtype)
        z = T.erfinv(2.0 * u - 1.0) * np.sqrt(2.0).astype(u.dtype)
        out = avg + std * z
        out.rng, out.update = u.rng, u.update
        return T.cast(out, u.dtype) if out.dtype != u.dtype else out

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype='int64', nstreams=None):
        return super().binomial(size, n, p, ndim=ndim, dtype=dtype)

    def multinomial(self, size=None, n=1, pvals=None, ndim=None, dtype='int64', nstreams=None):
        """Counts over the categories of each row of `pvals` (Theano: one-hot rows when
        n=1, the usual use)."""
        return super().multinomial(size, n, pvals, ndim=ndim, dtype=dtype)

    def choice(self, size=1, a=None, replace=True, p=None, ndim=None, dtype='int64', nstreams=None):
        """Theano's MRG `choice`: for each row of the matrix `p` (probabilities over
        p.shape[1] categories), `size` category indices, a matrix (rows, size).
        `a` must be None (the indices are the categories).  Without replacement the
        draws are successive picks among the categories not yet drawn (done at once
        by the Gumbel top-k rule: the `size` largest log p + Gumbel noise)."""
        from ... import tensor as T
        if a is not None:
            raise TypeError('MRG_RandomStreams.choice: a must be None (the sampled values are '
                            'category indices 0 .. p.shape[1] - 1)')
        if p is None:
            raise TypeError('MRG_RandomStreams.choice needs p, a matrix of probabilities')
        p = T.as_tensor_variable(p)
        if p.ndim != 2:
            raise ValueError(f'MRG_RandomStreams.choice: p must be a matrix, got {p.type}')
        if ndim is not None:
            raise ValueError('MRG_RandomStreams.choice: ndim is not used (the result is a matrix)')
        rows = p.shape[0]
        if replace:
            u = super().uniform((rows, size), ndim=2, dtype='float64')
            edges = T.cumsum(T.cast(p, 'float64'), axis=1)
            edges = edges / edges[:, -1:]
            picked = T.sum(T.ge(u.dimshuffle(0, 1, 'x'), edges.dimshuffle(0, 'x', 1)), axis=2)
            picked = T.minimum(picked, p.shape[1] - 1)
        else:
            u = super().uniform((rows, p.shape[1]), ndim=2, dtype='float64')
            keys = T.log(T.cast(p, 'float64')) - T.log(-T.log(u))
            picked = T.argsort(-keys, axis=1, kind='stable')[:, :size]
        out = T.cast(picked, dtype)
        out.rng, out.update = u.rng, u.update
        return out
