"""The state of one random stream: a Philox key and a draw count.

A `RandomState` is the value held by a random variable's `rv.rng` shared variable.
It offers Theano's tutorial methods (`seed`, `get_state`, `set_state`).  Drawing
never mutates it: a draw returns a new state whose count is one more (the update
a compiled function applies), so a saved state replays the same draws.
"""
from __future__ import annotations

from ..ir import Type, Variable
from ..tensor.shared import GenericSharedVariable, shared_constructor
from .philox import MASK64, seed_key

ALGORITHM = 'philox4x64-10'


class RandomState:
    """Key (two 64-bit words) and draw count of a stream; see ``philox.py``."""

    __slots__ = ('key', 'draw')

    def __init__(self, seed=0, stream=0):
        self.key = seed_key(seed, stream)
        self.draw = 0

    @classmethod
    def from_words(cls, key, draw):
        state = cls.__new__(cls)
        state.key = (int(key[0]) & MASK64, int(key[1]) & MASK64)
        state.draw = int(draw) & MASK64
        return state

    def seed(self, seed, stream=0):
        """Restart this stream from `seed` (a non-negative integer)."""
        self.key = seed_key(seed, stream)
        self.draw = 0

    def get_state(self):
        """A tuple (algorithm, key0, key1, draw) that `set_state` accepts."""
        return (ALGORITHM, self.key[0], self.key[1], self.draw)

    def set_state(self, state):
        if isinstance(state, RandomState):
            state = state.get_state()
        if not (isinstance(state, tuple) and len(state) == 4 and state[0] == ALGORITHM):
            raise ValueError(f'set_state expects a state from get_state() '
                             f'({ALGORITHM!r}, key0, key1, draw), got {state!r}')
        self.key = (int(state[1]) & MASK64, int(state[2]) & MASK64)
        self.draw = int(state[3]) & MASK64

    def advanced(self):
        """The state after one more draw (what a draw returns as its update)."""
        return RandomState.from_words(self.key, self.draw + 1)

    def __eq__(self, other):
        return isinstance(other, RandomState) and other.get_state() == self.get_state()

    def __hash__(self):
        return hash(self.get_state())

    def __repr__(self):
        return f'RandomState(key=({self.key[0]:#x}, {self.key[1]:#x}), draw={self.draw})'

    def __copy__(self):
        return RandomState.from_words(self.key, self.draw)

    def __deepcopy__(self, memo):
        return self.__copy__()


class RandomStateType(Type):
    """The type of a stream's state; all such types are equal."""

    def filter(self, value, strict=False, allow_downcast=None, what='value'):
        if not isinstance(value, RandomState):
            raise TypeError(f'{what} must be a tracegraph RandomState (from rv.rng.get_value()), '
                            f'got {type(value).__name__}')
        return value

    def __eq__(self, other):
        return type(other) is RandomStateType

    def __hash__(self):
        return hash(RandomStateType)

    def __str__(self):
        return 'RandomStateType'

    __repr__ = __str__

    @property
    def variable_class(self):
        return RandomStateVariable


class RandomStateVariable(Variable):
    """A symbolic stream state (the first output of a draw, an update target)."""


class RandomStateSharedVariable(GenericSharedVariable):
    """`rv.rng`: a shared variable holding a RandomState."""

    def __str__(self):
        return self.name or f'<RandomState {id(self.container):#x}>'


random_state_type = RandomStateType()


@shared_constructor
def _random_state_shared(value, name=None, strict=False, allow_downcast=None, borrow=False, **kw):
    if not isinstance(value, RandomState):
        raise TypeError('not a RandomState')
    return RandomStateSharedVariable(random_state_type, value, name=name, strict=strict,
                                     allow_downcast=allow_downcast, borrow=borrow)
