"""Theano's `gof.graph` helpers over tracegraph's IR: inputs, ancestors, variables,
ops, io_toposort, clone, is_same_graph.  Each walks the graph without recursion."""
from __future__ import annotations

from ...ir import Apply, Constant, Variable  # noqa: F401
from ...ir import traversal


def _list(variables):
    return list(variables) if isinstance(variables, (list, tuple)) else [variables]


def ancestors(variable_list, blockers=None):
    """Every variable `variable_list` depends on (themselves included), stopping at blockers."""
    return traversal.ancestors(_list(variable_list), blockers or ())


def inputs(variable_list, blockers=None):
    """The variables without an owner (or blocked) that `variable_list` depends on."""
    return traversal.graph_inputs(_list(variable_list), blockers or ())


def io_toposort(inputs, outputs, orderings=None):
    """The Apply nodes between `inputs` and `outputs`, each after the nodes it reads."""
    if orderings:
        raise ValueError('io_toposort: orderings are not supported (tracegraph graphs have none)')
    return traversal.toposort(_list(outputs), blockers=_list(inputs))


def variables(i, o):
    """The variables between inputs `i` and outputs `o` (both included)."""
    nodes = io_toposort(i, o)
    seen = dict.fromkeys(_list(i))
    for node in nodes:
        seen.update(dict.fromkeys(node.inputs))
        seen.update(dict.fromkeys(node.outputs))
    seen.update(dict.fromkeys(_list(o)))
    return list(seen)


def ops(i, o):
    """The Apply nodes between `i` and `o` (Theano's name)."""
    return io_toposort(i, o)


def clone(i, o, copy_inputs=True):
    """Copies of the graph between `i` and `o`: (new inputs, new outputs)."""
    new_i, new_o, _ = traversal.clone_graph(_list(i), _list(o), copy_inputs=copy_inputs)
    return new_i, new_o


def is_same_graph(var1, var2, givens=None):
    """True when var1 and var2 compute the same thing, after substituting `givens`
    ({variable: replacement}) in both."""
    from ..scan_module.scan_utils import equal_computations
    if givens:
        var1, var2 = traversal.graph_replace([var1, var2], givens)
    return equal_computations([var1], [var2])
