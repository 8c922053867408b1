"""Theano's module path for random streams: ``from theano.tensor.shared_randomstreams
import RandomStreams`` keeps working.  The classes live in ``tracegraph.random``."""
from ...random import RandomState, RandomStreams, RandomVariable
from ...random.state import RandomStateSharedVariable

__all__ = ['RandomStreams', 'RandomState', 'RandomStateSharedVariable', 'RandomVariable']
