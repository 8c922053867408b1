"""The graph IR: types, variables, Apply nodes, ops, function graphs and traversal."""
from .apply import Apply
from .fgraph import FunctionGraph, MissingInputError
from .op import Op
from .op_table import OpTable
from .source import SourceLocation, user_location
from .traversal import ancestors, clone_graph, graph_inputs, graph_replace, toposort
from .variable import Constant, Type, Variable

__all__ = ['Apply', 'Constant', 'FunctionGraph', 'MissingInputError', 'Op', 'OpTable', 'SourceLocation',
           'Type', 'Variable', 'ancestors', 'clone_graph', 'graph_inputs', 'graph_replace',
           'toposort', 'user_location']
