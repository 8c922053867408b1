"""Types and variables: the values that flow along the edges of a graph.

A Type says what values a variable may hold (for tensors: a dtype and a static
shape).  A Variable is one edge: it is produced by at most one Apply node
(`owner`, at output position `index`) and may be read by many.
"""
from __future__ import annotations

import itertools

from .pickling import reduce_variable, set_variable_state

_ids = itertools.count()


class Type:
    """What a variable may hold.  Subclasses define equality, `filter` and printing."""

    variable_class: type = None  # set by subclasses: the Variable class their __call__ makes
    constant_class: type = None

    def filter(self, value, strict=False, allow_downcast=None):
        """Return `value` converted to this type, or raise TypeError saying why not."""
        raise NotImplementedError

    def make_variable(self, name=None):
        return self.variable_class(self, name=name)

    def __call__(self, name=None):
        return self.make_variable(name)


class Variable:
    """An edge of the graph.  `owner` is the Apply node that computes it (None for inputs)."""

    def __init__(self, type, owner=None, index=None, name=None):
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.tag = _Tag()
        self.auto_name = f'_{next(_ids)}'

    def clone(self):
        """A new, unowned variable of the same type and name."""
        v = type(self)(self.type, name=self.name)
        v.tag = self.tag
        return v

    def __str__(self):
        if self.name is not None:
            return self.name
        if self.owner is not None:
            op = self.owner.op
            if len(self.owner.outputs) == 1:
                return f'{op}.out'
            return f'{op}.{self.index}'
        return f'<{self.type}>'

    def __repr__(self):
        return str(self)

    def get_parents(self):
        return [self.owner] if self.owner is not None else []

    # Pickling walks the graph without recursion (pickling.py); a shallow copy is a copy.
    def __reduce_ex__(self, protocol):
        return reduce_variable(self)

    def __setstate__(self, state):
        set_variable_state(self, state)

    def __copy__(self):
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        return other


class Constant(Variable):
    """A variable with a fixed value known while the graph is built."""

    def __init__(self, type, data, name=None):
        super().__init__(type, name=name)
        self.data = data

    @property
    def value(self):
        return self.data

    def clone(self):
        return self  # constants are values; sharing them between graphs is safe


class _Tag:
    """Theano-style free annotation slot (`var.tag.test_value` and friends)."""

    def __repr__(self):
        return f'Tag({self.__dict__})'
