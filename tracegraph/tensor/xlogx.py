"""Theano's `tensor.xlogx` module: x*log(x) and x*log(y) with 0*log(0) = 0 (scalar-op records).

Importing this module rebinds `tracegraph.tensor.xlogx` (the T.* function) to the
module, as in Theano, where `T.xlogx.xlogx(x)` is the spelling; the module is made
callable so that `T.xlogx(x)` keeps working after that import too.
"""
import sys
import types

from .math import xlogx, xlogy0  # noqa: F401


class _CallableModule(types.ModuleType):
    def __call__(self, x):
        return xlogx(x)


sys.modules[__name__].__class__ = _CallableModule
