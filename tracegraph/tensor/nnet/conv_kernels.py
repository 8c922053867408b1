"""The convolution ops on the host, over any array module (Theano's CorrMM, rebuilt).

This is the executable specification of `abstract_conv`'s three ops: the NumPy
backend runs it, Numba calls it, Dask runs it on each batch chunk, CuPy runs it
with `xp=cupy` where cuDNN is missing, and tests compare the backends with it.

One method for all three (im2col): a strided view of the padded image,
`windows[b, c, u, v, i, j] = padded[b, c, i * s0 + u * d0, j * s1 + v * d1]`, is copied
once into a column matrix `col` of shape (channels * kernel taps, batch * output
positions).  Then, per group, one BLAS matrix product does the work:

    forward        out_g  = kern_g  @ col_g           (out_channels_g, batch * P)
    grad weights   gkern_g = top_g  @ col_g.T
    grad inputs    gcol_g = kern_g.T @ top_g, then each tap's rows are added back
                   into the padded image through the same strided view (col2im).

`filter_flip=True` (a true convolution) flips the kernel's spatial axes first.
"""
from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import abstract_conv as ac
from .abstract_conv import _pads_1axis

# The window copy (im2col) is the one step BLAS does not parallelize: above this many
# elements NumPy copies it in one slab per core (copies release the GIL).  Measured on
# the bench's forward shape: 231 -> 159 ms (float32) on a busy 2-core machine.
PARALLEL_COPY_MIN = 1 << 20


def pads_for(border_mode, kernel_spatial, dilation):
    if isinstance(border_mode, tuple):
        return border_mode
    return tuple(_pads_1axis(k, border_mode, d) for k, d in zip(kernel_spatial, dilation))


def output_spatial(image_spatial, kernel_spatial, pads, subsample, dilation):
    return tuple((n + lo + hi - ((k - 1) * d + 1)) // s + 1
                 for n, k, (lo, hi), s, d in zip(image_spatial, kernel_spatial, pads, subsample, dilation))


def check_hint(name, what, shape, hint):
    """A ValueError when a value's shape contradicts the user's shape hint `what`."""
    if hint is None:
        return
    for actual, hinted in zip(shape, hint):
        if hinted is not None and actual != hinted:
            value = 'filters' if what == 'filter_shape' else 'input'
            raise ValueError(f'{name}: the {value} has shape {tuple(shape)}, but the graph was built with '
                             f'{what}={tuple(hint)}')


def _flipped(xp, kern, nd):
    return kern[(Ellipsis,) + (slice(None, None, -1),) * nd]


def _pad(xp, img, pads):
    if not any(lo or hi for lo, hi in pads):
        return img
    shape = img.shape[:2] + tuple(n + lo + hi for n, (lo, hi) in zip(img.shape[2:], pads))
    out = xp.zeros(shape, dtype=img.dtype)
    out[(slice(None),) * 2 + tuple(slice(lo, lo + n) for n, (lo, _) in zip(img.shape[2:], pads))] = img
    return out


def _windows(xp, padded, kernel_spatial, out_spatial, subsample, dilation):
    """The view (batch, channels, *taps, *outputs) of every window of `padded`."""
    st = padded.strides
    strides = st[:2] + tuple(t * d for t, d in zip(st[2:], dilation)) + tuple(t * s for t, s in zip(st[2:], subsample))
    shape = padded.shape[:2] + tuple(kernel_spatial) + tuple(out_spatial)
    return xp.lib.stride_tricks.as_strided(padded, shape=shape, strides=strides)


@functools.lru_cache(maxsize=None)
def _copy_pool():
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix='tracegraph-im2col')


def _contiguous(xp, view):
    """A C-contiguous copy of `view`; large NumPy copies in parallel slabs of axis 0."""
    slabs = min(os.cpu_count() or 1, view.shape[0])
    if xp is not np or view.size < PARALLEL_COPY_MIN or slabs < 2:
        return xp.ascontiguousarray(view)
    out = np.empty(view.shape, view.dtype)
    bounds = np.linspace(0, view.shape[0], slabs + 1).astype(int)
    list(_copy_pool().map(lambda k: np.copyto(out[bounds[k]:bounds[k + 1]], view[bounds[k]:bounds[k + 1]]),
                          range(slabs)))
    return out


def _columns(xp, img, kernel_spatial, pads, out_spatial, subsample, dilation):
    """col: (channels * taps, batch * outputs), C-contiguous (one copy of the windows)."""
    nd = len(kernel_spatial)
    windows = _windows(xp, _pad(xp, img, pads), kernel_spatial, out_spatial, subsample, dilation)
    order = (1,) + tuple(range(2, 2 + nd)) + (0,) + tuple(range(2 + nd, 2 + 2 * nd))
    col = _contiguous(xp, windows.transpose(order))
    return col.reshape(img.shape[1] * int(np.prod(kernel_spatial)), -1)


def _geometry(name, img_shape, kernel_spatial, border_mode, subsample, dilation):
    pads = pads_for(border_mode, kernel_spatial, dilation)
    out = output_spatial(img_shape[2:], kernel_spatial, pads, subsample, dilation)
    if any(o < 1 for o in out):
        dil = tuple((k - 1) * d + 1 for k, d in zip(kernel_spatial, dilation))
        raise ValueError(f'{name}: the (dilated) filter {dil} is larger than the padded input '
                         f'{tuple(n + lo + hi for n, (lo, hi) in zip(img_shape[2:], pads))}')
    return pads, out


def _check_groups(name, channels, kern_channels, out_channels, groups):
    if channels != kern_channels * groups:
        raise ValueError(f'{name}: the input has {channels} channels but the filters expect '
                         f'{kern_channels} x {groups} group(s) = {kern_channels * groups}')
    if out_channels % groups:
        raise ValueError(f'{name}: {out_channels} filters cannot be split into {groups} groups')


def forward(img, kern, *, border_mode, subsample, filter_flip, filter_dilation, num_groups,
            imshp=None, kshp=None, name='AbstractConv', xp=np):
    """conv(img, kern) -> (batch, out_channels, *out_spatial)."""
    nd = img.ndim - 2
    check_hint(name, 'input_shape', img.shape, imshp)
    check_hint(name, 'filter_shape', kern.shape, kshp)
    K, Cg = kern.shape[:2]
    _check_groups(name, img.shape[1], Cg, K, num_groups)
    ks = kern.shape[2:]
    pads, out = _geometry(name, img.shape, ks, border_mode, subsample, filter_dilation)
    if filter_flip:
        kern = _flipped(xp, kern, nd)
    col = _columns(xp, img, ks, pads, out, subsample, filter_dilation)
    taps = Cg * int(np.prod(ks))
    weights = xp.ascontiguousarray(kern).reshape(K, taps)
    B, Kg = img.shape[0], K // num_groups
    result = xp.empty((K, col.shape[1]), dtype=img.dtype)
    for g in range(num_groups):
        xp.dot(weights[g * Kg:(g + 1) * Kg], col[g * taps:(g + 1) * taps], out=result[g * Kg:(g + 1) * Kg])
    result = result.reshape((K, B) + tuple(out))
    return _contiguous(xp, result.swapaxes(0, 1))


def _top_matrix(xp, top):
    """topgrad (batch, K, *out) as (K, batch * outputs)."""
    return _contiguous(xp, top.swapaxes(0, 1)).reshape(top.shape[1], -1)


def _check_top(name, top_shape, batch, channels, out):
    expected = (batch, channels) + tuple(out)
    if tuple(top_shape) != expected:
        raise ValueError(f'{name}: the output gradient has shape {tuple(top_shape)}, but the convolution '
                         f'of these shapes gives {expected}')


def grad_weights(img, top, shape, *, border_mode, subsample, filter_flip, filter_dilation, num_groups,
                 imshp=None, kshp=None, name='AbstractConv_gradWeights', xp=np):
    """d conv(img, kern) / d kern, contracted with `top`; `shape` is the kernel's spatial shape."""
    nd = img.ndim - 2
    ks = tuple(int(k) for k in shape)
    check_hint(name, 'input_shape', img.shape, imshp)
    K, C = top.shape[1], img.shape[1]
    if C % num_groups or K % num_groups:
        raise ValueError(f'{name}: {C} input channels and {K} filters cannot be split into {num_groups} groups')
    Cg, Kg = C // num_groups, K // num_groups
    pads, out = _geometry(name, img.shape, ks, border_mode, subsample, filter_dilation)
    _check_top(name, top.shape, img.shape[0], K, out)
    col = _columns(xp, img, ks, pads, out, subsample, filter_dilation)
    topm = _top_matrix(xp, top)
    taps = Cg * int(np.prod(ks))
    result = xp.empty((K, taps), dtype=img.dtype)
    for g in range(num_groups):
        # col_g @ top_g.T, then transposed: OpenBLAS runs this orientation (a long inner
        # dimension, the small matrix on the right) many times faster than top_g @ col_g.T.
        result[g * Kg:(g + 1) * Kg] = xp.dot(col[g * taps:(g + 1) * taps], topm[g * Kg:(g + 1) * Kg].T).T
    result = result.reshape((K, Cg) + ks)
    if filter_flip:
        result = xp.ascontiguousarray(_flipped(xp, result, nd))
    check_hint(name, 'filter_shape', result.shape, kshp)
    return result


def grad_inputs(kern, top, shape, *, border_mode, subsample, filter_flip, filter_dilation, num_groups,
                imshp=None, kshp=None, name='AbstractConv_gradInputs', xp=np):
    """d conv(img, kern) / d img, contracted with `top`; `shape` is the image's spatial shape."""
    nd = kern.ndim - 2
    check_hint(name, 'filter_shape', kern.shape, kshp)
    K, Cg = kern.shape[:2]
    if K % num_groups:
        raise ValueError(f'{name}: {K} filters cannot be split into {num_groups} groups')
    B, C, Kg = top.shape[0], Cg * num_groups, K // num_groups
    spatial = tuple(int(n) for n in shape)
    ks = kern.shape[2:]
    pads, out = _geometry(name, (B, C) + spatial, ks, border_mode, subsample, filter_dilation)
    _check_top(name, top.shape, B, K, out)
    if filter_flip:
        kern = _flipped(xp, kern, nd)
    taps = Cg * int(np.prod(ks))
    weights = xp.ascontiguousarray(kern).reshape(K, taps)
    topm = _top_matrix(xp, top)
    gcol = xp.empty((C * int(np.prod(ks)), topm.shape[1]), dtype=top.dtype)
    for g in range(num_groups):
        xp.dot(weights[g * Kg:(g + 1) * Kg].T, topm[g * Kg:(g + 1) * Kg], out=gcol[g * taps:(g + 1) * taps])
    gcol = gcol.reshape((C,) + tuple(ks) + (B,) + tuple(out))
    # Accumulate in (channels, batch, *padded) order, the order of gcol's rows, so that
    # each tap's addition runs over matching contiguous rows on both sides.
    padded = xp.zeros((C, B) + tuple(n + lo + hi for n, (lo, hi) in zip(spatial, pads)), dtype=top.dtype)
    windows = _windows(xp, padded, ks, out, subsample, filter_dilation)
    for tap in np.ndindex(*ks):
        # windows[:, :, tap] views the positions this tap read; distinct outputs of one
        # tap never share a position, so `+=` through the view is exact.
        windows[(slice(None), slice(None)) + tap] += gcol[(slice(None),) + tap]
    result = padded[(slice(None),) * 2 + tuple(slice(lo, lo + n) for n, (lo, _) in zip(spatial, pads))]
    result = _contiguous(xp, result.swapaxes(0, 1))
    check_hint(name, 'input_shape', result.shape, imshp)
    return result


def kernel_for(op):
    """(kernel, keyword arguments) for one op of `abstract_conv`."""
    table = {ac.AbstractConv: forward, ac.AbstractConv_gradInputs: grad_inputs,
             ac.AbstractConv_gradWeights: grad_weights}
    fn = next((table[c] for c in type(op).__mro__ if c in table), None)
    if fn is None:
        raise TypeError(f'{op} is not a convolution op')
    return fn, dict(op.params(), imshp=op.imshp, kshp=op.kshp, name=type(op).__name__)
