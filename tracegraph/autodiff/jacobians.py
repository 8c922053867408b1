"""jacobian and hessian: the pullback of every output element at once.

The Jacobian's row i is the pullback of the unit vector e_i.  Rather than one
gradient graph per row (a graph growing with the output's size), the pullback is
built once for a symbolic seed u and then batched over the rows of an identity
matrix (tensor/batching.py): one graph whatever the number of elements.  A Scan in
the pullback (a scan's backward loop) is batched too, as one loop over batched values
(scan/batching.py).  When the pullback holds an op without a batching rule (a user's
op, a loop that stops on a batched condition), a scan over the rows of the identity
runs the same pullback once per row instead: one graph still, a loop at run time.
"""
from __future__ import annotations

from ..tensor import math as m
from ..tensor.basic import as_tensor_variable
from ..tensor.batching import NoBatchRule, vectorize
from .gradients import Lop, grad
from .reverse import as_wrt_list


def jacobian(expression, wrt, consider_constant=None, disconnected_inputs='raise'):
    """d expression / d wrt, of shape expression.shape + wrt.shape (a list for a list `wrt`)."""
    expression = as_tensor_variable(expression)
    wrt_list, single = as_wrt_list(wrt)
    if expression.ndim == 0:
        return grad(expression, wrt, consider_constant=consider_constant,
                    disconnected_inputs=disconnected_inputs)
    flat = m.flatten(expression)
    seed = flat.type('cotangent')
    pulled = Lop(flat, wrt_list, seed, consider_constant=consider_constant,
                 disconnected_inputs=disconnected_inputs)
    n = m.shape(flat)[0]
    unit_rows = m.eye(n, n, 0, dtype=flat.dtype)
    try:
        rows = vectorize(pulled, {seed: unit_rows})
    except NoBatchRule:
        rows = _rows_by_scan(pulled, seed, unit_rows)
    out = [_unflatten(r, expression, w) for r, w in zip(rows, wrt_list)]
    return out[0] if single else out


def _rows_by_scan(pulled, seed, unit_rows):
    from ..ir.traversal import graph_replace
    from ..scan import scan
    rows, _ = scan(lambda e: graph_replace(pulled, {seed: e}), sequences=[unit_rows], return_list=True)
    return rows


def _unflatten(rows, expression, w):
    if expression.ndim == 1:
        return rows
    shape = [m.shape(expression)[i] for i in range(expression.ndim)] + \
        [m.shape(w)[i] for i in range(w.ndim)]
    return m.reshape(rows, shape)


def hessian(cost, wrt, consider_constant=None, disconnected_inputs='raise'):
    """The matrix of second derivatives of the scalar `cost` (one per `wrt` variable)."""
    wrt_list, single = as_wrt_list(wrt)
    out = []
    for w in wrt_list:
        g = grad(cost, w, consider_constant=consider_constant, disconnected_inputs=disconnected_inputs)
        out.append(jacobian(g, w, consider_constant=consider_constant, disconnected_inputs='ignore'))
    return out[0] if single else out
