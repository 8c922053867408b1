"""Theano's `gof` names (graph objects), for programs that import them from there:
`from theano.gof import Op, Apply, Variable`, `theano.gof.graph.inputs(...)`."""
from ...ir import Apply, Constant, FunctionGraph, Op, Type, Variable  # noqa: F401
from ...ir.traversal import ancestors as inputs_of, graph_inputs as graph_inputs  # noqa: F401
from . import graph  # noqa: F401
