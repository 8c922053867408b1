"""The user-facing reverse mode: `grad` (Theano's signature) and `Lop`."""
from __future__ import annotations

import warnings

from ..tensor import math as m
from ..tensor.basic import as_tensor_variable
from .errors import DisconnectedInputError
from .reverse import ZERO, as_wrt_list, backprop, float_zeros_like, seed

_DISCONNECTED = ('raise', 'warn', 'ignore')


def grad(cost, wrt, consider_constant=None, disconnected_inputs='raise', add_names=True,
         known_grads=None, return_disconnected='zero', null_gradients='raise'):
    """d cost / d wrt, as a symbolic expression (one per variable when `wrt` is a list).

    `cost` is a scalar, or None when `known_grads` ({variable: its gradient}) gives the
    starting gradients.  `consider_constant` lists variables to treat as constants.
    A `wrt` the cost does not depend on is an error, a warning or silently zero
    (`disconnected_inputs`); `return_disconnected='None'` returns None for it instead.
    """
    if disconnected_inputs not in _DISCONNECTED:
        raise ValueError(f'disconnected_inputs must be one of {_DISCONNECTED}, got {disconnected_inputs!r}')
    wrt_list, single = as_wrt_list(wrt)
    seeds = _seeds(cost, known_grads)
    results = backprop(wrt_list, seeds, tuple(consider_constant or ()))
    out = []
    for w, g in zip(wrt_list, results):
        if g is None:
            _disconnected(w, cost, disconnected_inputs)
            g = None if return_disconnected in ('None', None) else float_zeros_like(w)
        elif g is ZERO:
            g = float_zeros_like(w)
        elif add_names and g.name is None and w.name and cost is not None and cost.name:
            g.name = f'(d{cost.name}/d{w.name})'
        out.append(g)
    if single:
        return out[0]
    return tuple(out) if isinstance(wrt, tuple) else out


def _seeds(cost, known_grads):
    seeds = {}
    for v, g in (known_grads or {}).items():
        v, g = as_tensor_variable(v), as_tensor_variable(g)
        if g.ndim != v.ndim:
            raise ValueError(f'known_grads: the gradient of {v} ({v.ndim}-d) has {g.ndim} dimension(s)')
        seeds[v] = g if g.dtype == v.dtype or v.dtype[0] not in 'fc' else m.cast(g, v.dtype)
    if cost is None:
        if not seeds:
            raise TypeError('grad needs a cost, or known_grads to start from')
        return seeds
    cost = as_tensor_variable(cost)
    if cost.ndim != 0:
        raise TypeError(f'cost must be a scalar, but {cost} has {cost.ndim} dimension(s). '
                        'Sum it first, or use jacobian or Lop for a non-scalar expression.')
    start = seed(cost)
    seeds[cost] = m.add(seeds[cost], start) if cost in seeds else start
    return seeds


def _disconnected(w, cost, mode):
    message = (f'grad was asked for the gradient with respect to {w}, which is not part of '
               f'the graph of the cost{f" {cost}" if cost is not None else ""}, or is used '
               "only through non-differentiable operations (a shape, an index). Pass "
               "disconnected_inputs='ignore' (zero gradient) or 'warn' if that is expected.")
    if mode == 'raise':
        raise DisconnectedInputError(message)
    if mode == 'warn':
        warnings.warn(message, stacklevel=3)


def Lop(f, wrt, eval_points, consider_constant=None, disconnected_inputs='raise'):
    """The vector-Jacobian product eval_points · (d f / d wrt), summed over each f given."""
    fs = list(f) if isinstance(f, (list, tuple)) else [f]
    points = list(eval_points) if isinstance(eval_points, (list, tuple)) else [eval_points]
    if len(fs) != len(points):
        raise ValueError(f'Lop: {len(fs)} expressions but {len(points)} eval_points')
    known = {}
    for fi, p in zip(fs, points):
        fi, p = as_tensor_variable(fi), as_tensor_variable(p)
        known[fi] = m.add(known[fi], p) if fi in known else p
    return grad(None, wrt, consider_constant=consider_constant,
                disconnected_inputs=disconnected_inputs, known_grads=known)
