"""Constant folding: a node whose inputs are all constants becomes a constant.

Values are computed by the core's reference evaluator (kernels/reference.py: the
scalar ops' NumPy table, which the NumPy backend uses too, and one NumPy line per
structural op), so folding needs no backend plugin.  Random draws, loops, large
results and ops the reference does not cover are not folded.
"""
from __future__ import annotations

import numpy as np

from ...ir import Constant, Op
from ...ir.rewrite_table import register
from ...kernels import reference
from ...tensor.type import TensorType
from ...tensor.variable import TensorConstant
from ..patterns import is_op

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
    """The output values of `node` (its inputs are constants), or None."""
    with np.errstate(all='ignore'):
        return reference.evaluate(node, [i.data for i in node.inputs])


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
