"""Theano's ``MRG_RandomStreams``, drawing from tracegraph's one generator.

Theano's MRG31k3p generator existed because its GPU could not run NumPy's; here
every backend runs the same Philox streams (``tracegraph.random.philox``), so this
class is RandomStreams with Theano's MRG signatures.  `nstreams` (how many GPU
streams MRG used) is accepted and changes nothing: Philox needs none.
"""
from __future__ import annotations

from ..random import RandomStreams


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

    def normal(self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None):
        return super().normal(size, avg, std, ndim=ndim, dtype=dtype)

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype='int64', nstreams=None):
        return super().binomial(size, n, p, ndim=ndim, dtype=dtype)

    def multinomial(self, size=None, n=1, pvals=None, ndim=None, dtype='int64', nstreams=None):
        """Counts over the categories of each row of `pvals` (Theano: one-hot rows when
        n=1, the usual use)."""
        return super().multinomial(size, n, pvals, ndim=ndim, dtype=dtype)
