"""Theano's `scan_module.scan_utils` helpers that libraries import:
`equal_computations` (structural equality of graphs) and `clone` (theano.clone)."""
from __future__ import annotations

import numpy as np

from ...ir import Constant
from ...ir import traversal


def equal_computations(xs, ys, in_xs=None, in_ys=None):
    """True when each x in xs computes what the y at the same place in ys computes:
    the same ops on equal constants and on the same inputs (in_xs[k] standing for in_ys[k])."""
    if len(xs) != len(ys):
        return False
    given = dict(zip(in_xs or (), in_ys or ()))
    stack, seen = list(zip(xs, ys)), set()
    while stack:
        x, y = stack.pop()
        if (id(x), id(y)) in seen:
            continue
        seen.add((id(x), id(y)))
        if x in given:
            if given[x] is not y:
                return False
            continue
        if x is y:
            continue
        if x.type != y.type:
            return False
        if isinstance(x, Constant) or isinstance(y, Constant):
            if not (isinstance(x, Constant) and isinstance(y, Constant) and _same_data(x.data, y.data)):
                return False
            continue
        if x.owner is None or y.owner is None:
            return False
        nx, ny = x.owner, y.owner
        if (nx.op != ny.op or len(nx.inputs) != len(ny.inputs)
                or nx.outputs.index(x) != ny.outputs.index(y)):
            return False
        stack.extend(zip(nx.inputs, ny.inputs))
    return True


def _same_data(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in 'fc'))


def clone(output, replace=None, strict=True, share_inputs=True, copy_inputs=None):
    """Theano's `theano.clone(output, replace=None, ...)`: a copy of the graph of
    `output` (a variable or a list) with the variables of `replace` (a dict or pairs)
    substituted.  Inputs are shared unless `share_inputs=False`."""
    from ...tensor.basic import as_tensor_variable
    if copy_inputs is not None:
        share_inputs = not copy_inputs
    replace = dict(replace.items() if isinstance(replace, dict) else (replace or ()))
    replace = {k: as_tensor_variable(v) for k, v in replace.items()}
    for old, new in replace.items():
        if strict and old.type != new.type and getattr(old.type, 'ndim', None) != getattr(new.type, 'ndim', None):
            raise TypeError(f'clone: {new} ({new.type}) cannot replace {old} ({old.type})')
    single = not isinstance(output, (list, tuple))
    outputs = [output] if single else list(output)
    roots = traversal.graph_inputs(outputs, blockers=list(replace))
    roots = [r for r in roots if r not in replace]
    _, new_outputs, _ = traversal.clone_graph(roots, outputs, replace=replace, copy_inputs=not share_inputs)
    return new_outputs[0] if single else new_outputs
