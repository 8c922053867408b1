"""How function inputs and outputs are described: In (Param), Out."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_NO_VALUE = object()


@dataclass
class In:
    """A function input: the variable, an optional default `value`, and how to treat it.

    `mutable=True` lets the function overwrite the passed array; `strict=True`
    refuses values that are not already of the input's exact type.
    """

    variable: Any
    name: str | None = None
    value: Any = _NO_VALUE
    update: Any = None
    mutable: bool = False
    strict: bool = False
    allow_downcast: bool | None = None
    autoname: bool = True
    implicit: bool = False
    borrow: bool = False

    def __post_init__(self):
        if self.name is None and self.autoname:
            self.name = getattr(self.variable, 'name', None)

    @property
    def has_default(self):
        return self.value is not _NO_VALUE


def Param(variable, default=_NO_VALUE, name=None, mutable=False, strict=False,
          allow_downcast=None, implicit=None, borrow=None):
    """Theano's older spelling of In: `Param(y, default=1)`."""
    return In(variable, name=name, value=default, mutable=mutable, strict=strict,
              allow_downcast=allow_downcast, borrow=bool(borrow))


@dataclass
class Out:
    """A function output; `borrow=True` allows returning an internal buffer."""

    variable: Any
    borrow: bool = False
