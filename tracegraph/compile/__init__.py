"""Compiling graphs into functions: tg.function, In/Param/Out, shared variables."""
from ..tensor.shared import Container, SharedVariable, shared, shared_constructor
from ..tensor.variable import install_function
from . import picklers  # noqa: F401 - registers how scalar op records pickle
from .function import Function, UnusedInputError, function
from .io import In, Out, Param

__all__ = ['Container', 'Function', 'In', 'Out', 'Param', 'SharedVariable', 'UnusedInputError',
           'function', 'shared', 'shared_constructor']

install_function(function)  # Variable.eval and verify_grad compile through tensor.variable's slot


# `tg.compile` names both this package and the @tg.compile decorator (tracegraph.trace):
# the package is bound to `tracegraph.compile` when tracegraph loads, so it forwards calls.
import sys as _sys
import types as _types


class _CallableModule(_types.ModuleType):
    def __call__(self, *args, **kwargs):
        from ..trace import compile as _trace_compile
        return _trace_compile(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
