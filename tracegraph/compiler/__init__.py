"""Compiling graphs into functions: tg.function, In/Param/Out, shared variables."""
from ..tensor.shared import Container, SharedVariable, shared, shared_constructor
from ..tensor.variable import install_function
from . import picklers  # noqa: F401 - registers how scalar op records pickle
from .function import Function, UnusedInputError, function
from .io import In, Out, Param

__all__ = ['Container', 'Function', 'In', 'Out', 'Param', 'SharedVariable', 'UnusedInputError',
           'function', 'shared', 'shared_constructor']

install_function(function)  # Variable.eval and verify_grad compile through tensor.variable's slot

