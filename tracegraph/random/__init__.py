"""Random numbers that agree on every backend.

`RandomStreams` makes random variables; each owns a stream whose state (a
`RandomState`: a Philox key and a draw count) lives in the shared variable
`rv.rng`.  ``philox.py`` specifies the generator and the transforms bit for bit;
``distributions.py`` implements them in NumPy as the reference.
"""
from .op import RandomVariable
from .state import RandomState, RandomStateType
from .streams import RandomStreams

__all__ = ['RandomStreams', 'RandomState', 'RandomStateType', 'RandomVariable']
