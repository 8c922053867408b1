"""One draw of a RandomVariable node, as the reference transforms define it.

Backends that draw on the host (NumPy, Numba through objmode) share this: it
checks the size, broadcasts the parameters, allocates the values and asks the
distribution for them.  `fill` lets a backend split elementwise work (the NumPy
backend fills slices on threads; every value is defined by its position in the
counter space, so any split gives the numbers of one sequential draw).
"""
from __future__ import annotations

import numpy as np


def serial_fill(fill, key, draw, out, params):
    fill(key, draw, 0, out.size, out, *params)


def draw(op, state, inputs, fill=serial_fill):
    """(the advanced state, the values) of `op` drawing from `state` with `inputs`
    (the size, when the op has one, then the parameters)."""
    dist = op.distribution
    size, params = split_size(inputs, op.has_size, dist.name)
    dtype = np.dtype(op.dtype)
    if dist.elementwise:
        shape = size if size is not None else np.broadcast_shapes(*(np.shape(p) for p in params))
        flat = [_flat(p, shape, dist, name) for p, name in zip(params, dist.params)]
        out = np.empty(shape, dtype)
        fill(dist.fill, state.key, state.draw, out.reshape(-1), flat)
    else:
        out = whole_array(dist, state, size, params, dtype)
    return state.advanced(), out


def whole_array(dist, state, size, params, dtype):
    """The values of a whole-array distribution (permutation, choice, multinomial) drawn
    from `state`: their shape is the size, or follows the parameters (`shape_rule`)."""
    if dist.shape_rule == 'pvals':
        shape = np.shape(params[-1])
    elif dist.shape_rule == 'size+n':
        shape = size + (int(params[0]),)
    else:
        shape = size
    return np.asarray(dist.draw(state.key, state.draw, shape, *params)).astype(dtype, copy=False)


def split_size(inputs, has_size, name):
    """(the size as a tuple of ints or None, the parameters) of a draw's inputs; a
    negative size is refused, naming the distribution `name`."""
    if not has_size:
        return None, inputs
    size = tuple(int(s) for s in inputs[0])
    if any(s < 0 for s in size):
        raise ValueError(f'{name}: size {size} has a negative entry')
    return size, inputs[1:]


def _flat(param, shape, dist, name):
    """A scalar stays a scalar; an array is broadcast to the draw and flattened."""
    param = np.asarray(param)
    if param.size == 1 and param.ndim <= len(shape):
        return param.reshape(())
    try:
        return np.ascontiguousarray(np.broadcast_to(param, shape)).reshape(-1)
    except ValueError:
        raise ValueError(f'{dist.name}: parameter {name} of shape {param.shape} does not '
                         f'broadcast to the size {shape}') from None
