"""The pooling ops on the host, over any array module with NumPy's basic slicing.

This is the specification in executable form (as `tracegraph.random.reference_draw`
is for random draws): the NumPy backend runs it, Dask runs it on each chunk, CuPy
runs it with `xp=cupy`, and tests compare other backends with it.

A window is never materialized.  The input is padded once (with -inf for max, so
padding never wins, zero otherwise) to a length where every window, partial ones
included, is whole; then for each offset (a, b) inside the window, the strided view
`xp_[..., a::s0, b::s1]` (cut to the output's shape) holds that element of every
window at once.  The loops are over the window's few offsets; each step is one
vectorized operation over the whole output.
"""
from __future__ import annotations

import itertools

import numpy as np


def _geometry(op, spatial):
    """(padded lengths, output lengths) along the pooled axes for input lengths `spatial`."""
    out = op.out_shape_of(tuple(spatial))[-op.ndim:]
    # long enough that the last window (start (n - 1) * stride) is whole, and the padding fits
    full = tuple(max(n + 2 * p, (o - 1) * s + w) if o > 0 else n + 2 * p
                 for n, p, o, s, w in zip(spatial, op.pad, out, op.stride, op.ws))
    return full, out


def _fill_value(dtype, mode):
    if mode != 'max':
        return 0
    dtype = np.dtype(dtype)
    if dtype.kind == 'f':
        return -np.inf
    if dtype.kind == 'b':
        return False
    return np.iinfo(dtype).min


def _padded(xp, x, op, full, fill):
    """`x` inside a larger array filled with `fill` (itself when no padding is needed)."""
    nd = op.ndim
    spatial = x.shape[-nd:]
    if tuple(full) == tuple(spatial):
        return x
    out = xp.full(x.shape[:-nd] + tuple(full), fill, dtype=x.dtype)
    out[_inner(x.ndim, op, spatial)] = x
    return out


def _inner(rank, op, spatial):
    """The index of the real image inside the padded one."""
    return (Ellipsis,) + tuple(slice(p, p + n) for p, n in zip(op.pad, spatial))


def _window_element(rank, offset, op, out):
    """The index selecting element `offset` of every window."""
    return (Ellipsis,) + tuple(slice(a, a + s * (o - 1) + 1, s) if o > 0 else slice(0, 0)
                               for a, s, o in zip(offset, op.stride, out))


def _offsets(op):
    return itertools.product(*(range(w) for w in op.ws))


def window_counts(op, spatial):
    """The divisor of each window (a NumPy array of the output's pooled shape).

    'average_exc_pad' (and 'sum'/'max', where it is unused) counts the window's real
    positions; 'average_inc_pad' counts its positions inside the padded image.
    """
    per_axis = []
    for n, w, s, p, o in zip(spatial, op.ws, op.stride, op.pad, op.out_shape_of(tuple(spatial))[-op.ndim:]):
        start = np.arange(o) * s
        end = np.minimum(start + w, n + 2 * p)
        if op.mode != 'average_inc_pad':
            start, end = np.maximum(start, p), np.minimum(end, n + p)
        per_axis.append(end - start)
    counts = np.ones((), dtype=np.int64)
    for c in per_axis:
        counts = np.multiply.outer(counts, c)
    return counts


def pool(op, x, xp=np):
    """The forward op: max, sum or average over each window."""
    nd = op.ndim
    full, out = _geometry(op, x.shape[-nd:])
    if 0 in out or 0 in x.shape[-nd:]:
        if 0 in x.shape[-nd:] and 0 not in out:
            raise ValueError(f'{op}: cannot pool an empty image of shape {x.shape}')
        return xp.zeros(x.shape[:-nd] + tuple(out), dtype=x.dtype)
    xp_ = _padded(xp, x, op, full, _fill_value(x.dtype, op.mode))
    result = None
    for offset in _offsets(op):
        part = xp_[_window_element(x.ndim, offset, op, out)]
        if result is None:
            result = part.copy() if op.mode == 'max' else part.astype(_accumulator(x.dtype))
        elif op.mode == 'max':
            xp.maximum(result, part, out=result)
        else:
            result += part
    if op.mode.startswith('average'):
        result = result / xp.asarray(window_counts(op, x.shape[-nd:]))
    return result.astype(x.dtype, copy=False)


def _accumulator(dtype):
    dtype = np.dtype(dtype)
    return dtype if dtype.kind in 'fc' else np.dtype('float64') if dtype.kind == 'b' else dtype


def max_pool_grad(op, x, maxout, gz, xp=np):
    """d(max pool)/dx: each window's gz added at every position equal to its max."""
    nd = op.ndim
    full, out = _geometry(op, x.shape[-nd:])
    xp_ = _padded(xp, x, op, full, _fill_value(x.dtype, 'max'))
    gx = xp.zeros(x.shape[:-nd] + tuple(full), dtype=x.dtype)
    if 0 in out:
        return gx[_inner(x.ndim, op, x.shape[-nd:])].copy()
    zero = xp.zeros((), dtype=x.dtype)
    for offset in _offsets(op):
        at = _window_element(x.ndim, offset, op, out)
        gx[at] += xp.where(xp_[at] == maxout, gz, zero)
    return xp.ascontiguousarray(gx[_inner(x.ndim, op, x.shape[-nd:])])


def max_pool_grad_grad(op, x, maxout, ggx, xp=np):
    """d(MaxPoolGrad)/dgz applied to ggx: per window, ggx summed over its max positions."""
    nd = op.ndim
    full, out = _geometry(op, x.shape[-nd:])
    xp_ = _padded(xp, x, op, full, _fill_value(x.dtype, 'max'))
    ggx_ = _padded(xp, ggx, op, full, 0)
    ggz = xp.zeros(x.shape[:-nd] + tuple(out), dtype=x.dtype)
    zero = xp.zeros((), dtype=x.dtype)
    for offset in _offsets(op):
        at = _window_element(x.ndim, offset, op, out)
        ggz += xp.where(xp_[at] == maxout, ggx_[at], zero)
    return ggz


def average_pool_grad(op, x, gz, xp=np):
    """d(sum or average pool)/dx: each window's gz (over its count) added over the window."""
    nd = op.ndim
    full, out = _geometry(op, x.shape[-nd:])
    gx = xp.zeros(x.shape[:-nd] + tuple(full), dtype=x.dtype)
    if 0 in out:
        return gx[_inner(x.ndim, op, x.shape[-nd:])].copy()
    share = gz if op.mode == 'sum' else gz / xp.asarray(window_counts(op, x.shape[-nd:]))
    share = share.astype(x.dtype, copy=False)
    for offset in _offsets(op):
        at = _window_element(x.ndim, offset, op, out)
        gx[at] += share
    return xp.ascontiguousarray(gx[_inner(x.ndim, op, x.shape[-nd:])])


KERNELS = {'Pool': pool, 'MaxPoolGrad': max_pool_grad, 'AveragePoolGrad': average_pool_grad,
           'DownsampleFactorMaxGradGrad': max_pool_grad_grad}


def kernel_for(op):
    """The host function for a pooling op, by its class (subclasses included)."""
    for cls in type(op).__mro__:
        if cls.__name__ in KERNELS:
            return KERNELS[cls.__name__]
    raise KeyError(type(op).__name__)
