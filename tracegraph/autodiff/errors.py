"""What a gradient rule can answer besides a tensor, and the errors of autodiff."""
from __future__ import annotations

from ..ir import Type, Variable


class DisconnectedInputError(ValueError):
    """`grad` was asked for a variable the cost does not depend on."""


class NullTypeGradError(TypeError):
    """A gradient that an op declared undefined reached a variable that was asked for."""


class GradientError(AssertionError):
    """`verify_grad` found the symbolic gradient and finite differences disagree."""

    def __init__(self, message, arg=None, abs_err=None, rel_err=None):
        super().__init__(message)
        self.arg, self.abs_err, self.rel_err = arg, abs_err, rel_err


class DisconnectedType(Type):
    """Theano's marker type: `DisconnectedType()()` in a grad rule means 'not connected'."""

    def __call__(self, name=None):
        return DisconnectedVariable(self, name=name)

    def __eq__(self, other):
        return type(other) is type(self)

    def __hash__(self):
        return hash(type(self))

    def __str__(self):
        return 'DisconnectedType'


class DisconnectedVariable(Variable):
    pass


class NullGradient(Variable):
    """An undefined gradient (Theano's `grad_undefined`), with the reason why."""

    def __init__(self, comment):
        super().__init__(DisconnectedType())
        self.comment = comment


def disconnected_type():
    return DisconnectedType()()


def grad_undefined(op, x_pos, x, comment=''):
    """Theano's spelling, for grad rules of user ops: this gradient is undefined."""
    return NullGradient(f'{op}: input {x_pos} ({x}). {comment}'.strip())


def grad_not_implemented(op, x_pos, x, comment=''):
    return NullGradient(f'{op} does not implement the gradient of input {x_pos} ({x}). {comment}'.strip())
