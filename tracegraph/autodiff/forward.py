"""Forward mode, Rop: Jacobian-vector products by transposing the pullback.

Rop(f, x, v) = J v.  The pullback u -> Lop(f, x, u) = J^T u is linear in u, and the
pullback of that linear map, taken with respect to u and seeded with v, is
(J^T)^T v = J v.  So every op with a gradient gets a pushforward for free, and the
second pullback is as cheap as the first.  The result does not depend on u's values;
u only fixes shapes, and f (of the same type) takes its place at the end.
"""
from __future__ import annotations

from ..ir.traversal import graph_replace
from ..tensor import math as m
from ..tensor.basic import as_tensor_variable
from .errors import DisconnectedInputError
from .gradients import grad
from .reverse import as_wrt_list


def Rop(f, wrt, eval_points, disconnected_outputs='raise', return_disconnected='zero'):
    """(d f / d wrt) · eval_points: for each f, sum over wrt of J_wrt v_wrt."""
    fs, single = as_wrt_list(f, 'f')
    wrt_list, _ = as_wrt_list(wrt)
    points = list(eval_points) if isinstance(eval_points, (list, tuple)) else [eval_points]
    if len(points) != len(wrt_list):
        raise ValueError(f'Rop: {len(wrt_list)} wrt variables but {len(points)} eval_points')
    points = [_check_point(w, p) for w, p in zip(wrt_list, points)]
    out = [_pushforward(as_tensor_variable(fi), wrt_list, points, disconnected_outputs)
           for fi in fs]
    return out[0] if single else out


def _check_point(w, p):
    p = as_tensor_variable(p)
    if p.ndim != w.ndim:
        raise ValueError(f'Rop: eval point {p} has {p.ndim} dimension(s), but {w} has {w.ndim}')
    return p if p.dtype == w.dtype or w.dtype[0] not in 'fc' else m.cast(p, w.dtype)


def _pushforward(f, wrt, points, disconnected_outputs):
    u = f.type('cotangent')
    pulled = grad(None, wrt, known_grads={f: u}, disconnected_inputs='ignore', return_disconnected='None')
    known = {}
    for p, v in zip(pulled, points):
        if p is not None:
            known[p] = m.add(known[p], v) if p in known else v
    if not known:
        if disconnected_outputs == 'raise':
            raise DisconnectedInputError(f'Rop: {f} does not depend on any of {wrt}')
        return m.zeros_like(f)
    jv = grad(None, u, known_grads=known, disconnected_inputs='ignore')
    return graph_replace([jv], {u: f})[0]
