"""When `bool(variable)` is refused: Theano 1.0's rule.

A symbolic variable is truthy (Theano code tests `if not input:` for "no input was
given"), except where the user evidently wanted its *value*: the result of a
comparison (`if x > 0:`), or any variable while `@tg.compile` traces a function (a
placeholder stands for an argument's value there, so `if x:` means the value).
"""
from __future__ import annotations

import threading

from ..ir.source import user_location

# Elementwise scalar ops whose result is a comparison, and the logical ops that keep
# one a comparison (`(x > 0) & (y < 1)`).
COMPARISONS = frozenset({'eq', 'neq', 'lt', 'le', 'gt', 'ge', 'isclose'})
LOGICAL = frozenset({'and_', 'or_', 'xor', 'invert'})


class _Refusing(threading.local):
    def __init__(self):
        self.depth = 0  # > 0 while a trace is in progress on this thread


_refusing = _Refusing()


class refuse_all:
    """Context manager: every bool(variable) raises (used by the tracer)."""

    def __enter__(self):
        _refusing.depth += 1
        return self

    def __exit__(self, *exc):
        _refusing.depth -= 1
        return False



class NoValueError(TypeError):
    """Raised when Python needs the value of a symbolic variable (`if x > 0:`)."""


def refuses_bool(variable):
    """True where bool(variable) must raise."""
    return _refusing.depth > 0 or is_comparison(variable)


def is_comparison(variable):
    owner = getattr(variable, 'owner', None)
    name = getattr(getattr(owner.op, 'scalar_op', None), 'name', None) if owner is not None else None
    if name in COMPARISONS:
        return True
    if name in LOGICAL and variable.dtype == 'bool':
        return any(is_comparison(i) for i in owner.inputs)
    return False


def truth_error(variable):
    """The NoValueError for bool(variable), naming the user's line and what to write."""
    where = user_location()
    at = f' (at {where})' if where is not None else ''
    what = 'a symbolic comparison' if is_comparison(variable) else 'a symbolic variable'
    return NoValueError(
        f'bool() of {variable}{at}: it is {what}, which has no value while the graph is '
        'built, so Python cannot decide `if`/`while`/`and`/`or`/`not` on it. Use '
        'T.switch(cond, a, b) for elementwise choice, tg.ifelse.ifelse(cond, a, b) to choose '
        'a branch, or tg.scan for loops.')
