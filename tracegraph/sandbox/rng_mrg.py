from ..theano.sandbox.rng_mrg import MRG_RandomStreams  # noqa: F401  (API.md's path)
