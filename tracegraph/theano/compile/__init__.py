"""Theano's `theano.compile` namespace, which is also `tg.compile`, the decorator.

Theano programs read `theano.compile.function`, `theano.compile.io.In` and
`theano.compile.ops.as_op`; under `import tracegraph as theano` those are attributes
of `tracegraph.compile`, which tracegraph also spells `@tg.compile`
(tracegraph.trace).  So this one module is both: it holds the compiler's names
(tracegraph/compiler/) and a call forwards to the decorator.  `theano.compile.X`
for any other X imports `tracegraph.compiler.X` (alias.py).
"""
import sys as _sys
import types as _types

from ...compiler import *  # noqa: F401,F403 - Theano's theano.compile names
from ...compiler import __all__, io, ops  # noqa: F401
from ...trace import compile as _decorator


class _DecoratorModule(_types.ModuleType):
    """`tg.compile(fn)` and `@tg.compile(backend=...)` call tracegraph.trace.compile."""

    def __call__(self, *args, **kwargs):
        return _decorator(*args, **kwargs)


_sys.modules[__name__].__class__ = _DecoratorModule
