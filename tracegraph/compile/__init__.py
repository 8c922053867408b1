"""Compiling graphs into functions: tg.function, In/Param/Out, shared variables."""
from .function import Function, UnusedInputError, function
from .io import In, Out, Param
from .shared import Container, SharedVariable, shared, shared_constructor

__all__ = ['Container', 'Function', 'In', 'Out', 'Param', 'SharedVariable', 'UnusedInputError',
           'function', 'shared', 'shared_constructor']
