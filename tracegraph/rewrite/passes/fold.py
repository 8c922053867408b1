"""Constant folding: a node whose inputs are all constants becomes a constant.

Values are computed by the reference backend (the registered backend marked
`reference = True`, the NumPy backend's plugin today; found by that role through
`tracegraph.backends`, never by a plugin's name, so the core imports no backend): a
folded constant is exactly what the reference backend would have computed, with no
second table of kernels to keep in step.  Random draws, loops and large results are
not folded.
"""
from __future__ import annotations

import numpy as np

from ... import backends
from ...ir import Constant, FunctionGraph, Op
from ...tensor.type import TensorType
from ...tensor.variable import TensorConstant
from ..patterns import is_op
from ..registry import register

MAX_FOLDED_SIZE = 100_000


def _foldable(node):
    if not all(isinstance(i, Constant) for i in node.inputs):
        return False
    if getattr(node.op, 'lowering_hook', 'tracegraph_lower_op') != 'tracegraph_lower_op':
        return False
    if getattr(node.op, 'inplace', False):
        return False
    if not all(isinstance(o.type, TensorType) for o in node.outputs):
        return False
    for o in node.outputs:
        shape = o.type.shape
        if all(s is not None for s in shape) and int(np.prod(shape, dtype='int64')) > MAX_FOLDED_SIZE:
            return False
    return True


def _output_copy(fgraph, node):
    """identity(constant) as an output is the copy that keeps results fresh: leave it."""
    out = node.outputs[0]
    return is_op(out, 'identity') and any(c == 'output' for c, _ in fgraph.clients.get(out, ()))


def evaluate(node):
    """The output values of `node`, computed by the reference backend, or None."""
    reference = backends.reference()
    if reference is None:
        return None
    graph = FunctionGraph([], list(node.outputs), clone=True)
    run = reference.link(graph, {'name': f'fold {node.op}'}).run
    with np.errstate(all='ignore'):
        return run()


@register('constant_folding', phase='canonicalize', tracks=(Op,), fast_compile=True)
def constant_folding(fgraph, node):
    if not _foldable(node) or _output_copy(fgraph, node):
        return None
    try:
        values = evaluate(node)
    except Exception:  # an error belongs to run time, where it names the user's line
        return None
    if values is None:
        return None
    out = {}
    for var, value in zip(node.outputs, values):
        value = np.asarray(value)
        if value.size > MAX_FOLDED_SIZE or value.dtype != np.dtype(var.dtype):
            return None
        value.setflags(write=False)
        out[var] = TensorConstant(var.type, value)
    return out
