"""Pooling on the Numba backend: compiled loops over each window for small inputs, the
NumPy backend's kernel for large ones.

Every pooling op calls one of three `@njit` loops over a 4-d view (leading axes
flattened, 2-d pooling given depth 1), compiled once per dtype, visiting each window's
real (unpadded) positions; `tracegraph.tensor.signal.pool` holds the window rules.

The loops take ~1.7 ns an input element at every size; NumPy's kernel (a strided
whole-array step per window offset) ~17 us of Python, then 0.4-0.7 ns.  2x2 max pooling
of 20 channels, float32/64, loop / objmode route to NumPy's kernel: forward 0.2 at 1,280
elements, 0.9 at 11,520, 1.3-3.4 from 23,040 up; gradients equal within noise from
11,520 to 46,080, the route ahead from 69,120.  So each op routes above its crossover
(`..._LOOP_UP_TO`) through `callbacks.lower_numpy` (the crossing costs ~4 us).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from tracegraph.tensor.signal.pool import (AveragePoolGrad, DownsampleFactorMaxGradGrad,
                                           MaxPoolGrad, Pool)

from . import callbacks
from .lowered import Lowered, if_else, kernel, kernel_call, params

MODE_CODES = {'max': 0, 'sum': 1, 'average_inc_pad': 2, 'average_exc_pad': 3}
FORWARD_LOOP_UP_TO, GRADIENT_LOOP_UP_TO = 12288, 32768    # input elements (measured above)
JIT = dict(cache=True, error_model='numpy')


@njit(**JIT)
def pooled_length(n, w, s, p, ignore_border):
    v = n + 2 * p
    if ignore_border:
        return max((v - w) // s + 1, 0)
    if s >= w:
        return (v - 1) // s + 1
    return max((v - 1 - w + s) // s, 0) + 1


@njit(**JIT)
def _span(i, w, s, p, n):
    """Window i along one axis: (start, end) of its real part, and its size in the padded image."""
    start = i * s - p
    end = min(start + w, n + p)
    return max(start, 0), min(end, n), end - start


@njit(**JIT)
def pool_forward(x, ws, st, pad, ignore_border, mode):
    N, A, B, C = x.shape
    O0 = pooled_length(A, ws[0], st[0], pad[0], ignore_border)
    O1 = pooled_length(B, ws[1], st[1], pad[1], ignore_border)
    O2 = pooled_length(C, ws[2], st[2], pad[2], ignore_border)
    out = np.empty((N, O0, O1, O2), dtype=x.dtype)
    for n in range(N):      # outermost: each image's windows are read from one contiguous block
        for i in range(O0):
            a0, a1, na = _span(i, ws[0], st[0], pad[0], A)
            for j in range(O1):
                b0, b1, nb = _span(j, ws[1], st[1], pad[1], B)
                for k in range(O2):
                    c0, c1, nc = _span(k, ws[2], st[2], pad[2], C)
                    count = na * nb * nc if mode == 2 else (a1 - a0) * (b1 - b0) * (c1 - c0)
                    if mode == 0:
                        best = x[n, a0, b0, c0]
                        for a in range(a0, a1):
                            for b in range(b0, b1):
                                for c in range(c0, c1):
                                    v = x[n, a, b, c]
                                    if v > best or v != v:
                                        best = v
                        out[n, i, j, k] = best
                    else:
                        total = 0.0
                        for a in range(a0, a1):
                            for b in range(b0, b1):
                                for c in range(c0, c1):
                                    total += x[n, a, b, c]
                        out[n, i, j, k] = total if mode == 1 else total / count
    return out


@njit(**JIT)
def pool_backward(x, maxout, g, ws, st, pad, mode, forward):
    """Gradients, window by window.  Max pooling (mode 0), the windows' maxima in
    `maxout`: forward=True, MaxPoolGrad (g is gz, result like x); False, its grad-grad
    (g is ggx, result like maxout).  Sum and average (modes 1-3): g is gz, also passed as
    `maxout` for the window counts; the result is like x."""
    N, A, B, C = x.shape
    O0, O1, O2 = maxout.shape[1], maxout.shape[2], maxout.shape[3]
    result = np.zeros(x.shape if forward else maxout.shape, dtype=x.dtype)
    for n in range(N):
        for i in range(O0):
            a0, a1, na = _span(i, ws[0], st[0], pad[0], A)
            for j in range(O1):
                b0, b1, nb = _span(j, ws[1], st[1], pad[1], B)
                for k in range(O2):
                    c0, c1, nc = _span(k, ws[2], st[2], pad[2], C)
                    if mode == 0:
                        m = maxout[n, i, j, k]
                        for a in range(a0, a1):
                            for b in range(b0, b1):
                                for c in range(c0, c1):
                                    if x[n, a, b, c] == m:
                                        if forward:
                                            result[n, a, b, c] += g[n, i, j, k]
                                        else:
                                            result[n, i, j, k] += g[n, a, b, c]
                        continue
                    count = na * nb * nc if mode == 2 else (a1 - a0) * (b1 - b0) * (c1 - c0)
                    share = g[n, i, j, k] if mode == 1 else g[n, i, j, k] / count
                    for a in range(a0, a1):
                        for b in range(b0, b1):
                            for c in range(c0, c1):
                                result[n, a, b, c] += share
    return result


PREAMBLE = 'from tracegraph_numba.pool import pool_backward, pool_forward  # noqa: F401\n'


def _as3(values, fill):
    return tuple([fill] * (3 - len(values)) + list(values))


def _geometry_args(op):
    """The window as literal arguments of the kernel call: the kernel's source depends
    only on the ranks, so every pooling of the same rank shares one compiled kernel."""
    return (f'{_as3(op.ws, 1)!r}, {_as3(op.stride, 1)!r}, {_as3(op.pad, 0)!r}, '
            f'{op.ignore_border!r}, {MODE_CODES[op.mode]}')


def _to4(name, rank, nd):
    """The line making `name`4, a contiguous 4-d view (n, depth, rows, cols) of `name`."""
    lead = ' * '.join(f'{name}.shape[{d}]' for d in range(rank - nd)) or '1'
    return (f'{name}4 = np.ascontiguousarray({name}).reshape(({lead}, {"1, " * (3 - nd)})'
            f' + {name}.shape[{rank - nd}:])')


def _call(node, returned, loop_up_to=GRADIENT_LOOP_UP_TO):
    """The compiled loop up to `loop_up_to` input elements, NumPy's kernel above: the
    inputs as 4-d views, then `returned`, the lines returning the output."""
    rank, nd = node.inputs[0].ndim, node.op.ndim
    body = [_to4(name, rank, nd) for name in params(node)] + returned
    source = kernel(params(node) + ['ws', 'st', 'pad', 'ignore_border', 'mode'], body, PREAMBLE)
    loop = kernel_call(node, source, last=[_geometry_args(node.op)])
    numpy = callbacks.lower_numpy(node)
    lines = if_else(f'${{i0}}.size <= {loop_up_to}', [loop.template], [numpy.template.replace('${k0}', '${k1}')])
    return Lowered('\n'.join(lines), kernels=loop.kernels + numpy.kernels)


def lower_pool(node):
    lead, nd = node.inputs[0].ndim - node.op.ndim, node.op.ndim
    return _call(node, ['out = pool_forward(a04, ws, st, pad, ignore_border, mode)',
                        f'return out.reshape(a0.shape[:{lead}] + out.shape[{4 - nd}:]),'],
                 FORWARD_LOOP_UP_TO)


def lower_grad(node, forward=True):
    """MaxPoolGrad (x, maxout, gz) and AveragePoolGrad (x, gz), shaped like x; the max
    grad-grad (x, maxout, ggx), shaped like maxout."""
    g = f'a{len(node.inputs) - 1}4'
    call = f'pool_backward(a04, a14, {g}, ws, st, pad, mode, {forward})'
    return _call(node, [f'return {call}.reshape({"a0" if forward else "a1"}.shape),'])


def register(lowers):
    lowers(Pool)(lower_pool)
    lowers(MaxPoolGrad)(lower_grad)
    lowers(DownsampleFactorMaxGradGrad)(lambda node: lower_grad(node, forward=False))
    lowers(AveragePoolGrad)(lower_grad)
