"""Theano's module path for random streams: ``from theano.tensor.shared_randomstreams
import RandomStreams`` keeps working.  The class lives in ``tracegraph.random``."""
from ..random import RandomState, RandomStreams, RandomVariable

__all__ = ['RandomStreams', 'RandomState', 'RandomVariable']
