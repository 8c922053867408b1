"""Issue 19's convolution rows: conv2d forward and backward on a (64, 32, 32, 32) batch
with 64 3x3 filters ('half' padding, so 32x32 outputs), float32 and float64.

Side by side in one run: each tracegraph backend, an eager NumPy im2col written here
(a sliding-window view and one tensordot), jax.jit (lax.conv_general_dilated) and
PyTensor where installed.  Effective GFLOP/s (2 * multiply-adds of a direct
convolution) are printed next to the machine's measured GEMM GFLOP/s, twice: a
GEMM of the convolution's own shape (64 x 288 by 288 x 65536), timed as a row of
the same table (rounds interleaved, so a busy spell of a shared machine hits it
too), and a square one measured before (the BLAS peak).  Backward is both
gradients (input and filters) from one output gradient: twice the forward's FLOPs.  Results are checked against the NumPy
reference before timing.

    python -m bench.conv [--quick]
"""
from __future__ import annotations

import time

import numpy as np

from bench.harness import Bench, tracegraph_backends

B, C, H, W, K, KS = 64, 32, 32, 32, 64, 3
FLOPS = 2 * B * K * C * KS * KS * H * W     # forward; backward is twice this
GEMM_ROW = 'GEMM 64x288 @ 288x65536'


def gemm_gflops(m, k, n, dtype, seconds=1.0):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    out = np.empty((m, n), dtype)
    np.dot(a, b, out=out)
    times, end = [], time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < 3:
        start = time.perf_counter()
        np.dot(a, b, out=out)
        times.append(time.perf_counter() - start)
    return 2 * m * k * n / np.median(times) / 1e9


def numpy_im2col(x, w):
    """Eager NumPy: pad, a sliding-window view, one tensordot (BLAS) over channels and taps."""
    p = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(p, (KS, KS), axis=(2, 3))   # (B, C, H, W, 3, 3)
    out = np.tensordot(win, w[:, :, ::-1, ::-1], axes=((1, 4, 5), (1, 2, 3)))  # (B, H, W, K)
    return out.transpose(0, 3, 1, 2)


def numpy_im2col_backward(x, w, g):
    p = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(p, (KS, KS), axis=(2, 3))
    gw = np.tensordot(g, win, axes=((0, 2, 3), (0, 2, 3)))[:, :, ::-1, ::-1]  # (K, C, 3, 3)
    gp = np.pad(g, ((0, 0), (0, 0), (1, 1), (1, 1)))
    gwin = np.lib.stride_tricks.sliding_window_view(gp, (KS, KS), axis=(2, 3))
    gx = np.tensordot(gwin, w, axes=((1, 4, 5), (0, 2, 3))).transpose(0, 3, 1, 2)
    return gx, np.ascontiguousarray(gw)


def tracegraph_functions(backend, dtype):
    import tracegraph as tg
    import tracegraph.tensor as T
    from tracegraph.tensor.nnet import conv2d
    x = T.tensor(dtype, shape=(B, C, H, W), name='x')
    w = T.tensor(dtype, shape=(K, C, KS, KS), name='w')
    g = T.tensor(dtype, shape=(B, K, H, W), name='g')
    y = conv2d(x, w, border_mode='half')
    gx, gw = T.grad((y * g).sum(), [x, w])
    return tg.function([x, w], y, backend=backend), tg.function([x, w, g], [gx, gw], backend=backend)


def jax_functions(dtype):
    import jax
    from jax import lax
    if dtype == 'float64':
        jax.config.update('jax_enable_x64', True)

    def conv(x, w):
        return lax.conv_general_dilated(x, w[:, :, ::-1, ::-1], (1, 1), 'SAME')

    forward = jax.jit(conv)
    backward = jax.jit(lambda x, w, g: jax.vjp(conv, x, w)[1](g))

    def ready(f):
        return lambda *a: jax.block_until_ready(f(*a))
    return ready(forward), ready(backward)


def pytensor_functions(dtype):
    import pytensor
    import pytensor.tensor as pt
    try:
        from pytensor.tensor.conv import conv2d
    except ImportError:
        raise ImportError(f'PyTensor {pytensor.__version__} has no CNN conv2d (pytensor.tensor.conv was '
                          'removed; only signal.convolve2d remains)') from None
    x, w, g = (pt.tensor(dtype=dtype, shape=s) for s in ((B, C, H, W), (K, C, KS, KS), (B, K, H, W)))
    y = conv2d(x, w, border_mode='half')
    gx, gw = pytensor.grad((y * g).sum(), [x, w])
    return pytensor.function([x, w], y), pytensor.function([x, w, g], [gx, gw])


def _check(name, got, want, dtype):
    tol = 1e-3 if dtype == 'float32' else 1e-9
    for a, b in zip(got if isinstance(got, (list, tuple)) else [got], want if isinstance(want, tuple) else [want]):
        scale = np.abs(b).max()
        err = np.abs(np.asarray(a) - b).max() / scale
        if err > tol:
            raise AssertionError(f'{name}: relative error {err:.2e} against the NumPy reference')


def main(argv=()):
    quick = '--quick' in argv
    repeat = 3 if quick else 7
    for dtype in ('float32', 'float64'):
        rng = np.random.default_rng(0)
        x = rng.standard_normal((B, C, H, W)).astype(dtype)
        w = (rng.standard_normal((K, C, KS, KS)) * 0.1).astype(dtype)
        g = rng.standard_normal((B, K, H, W)).astype(dtype)
        want_y, want_grads = numpy_im2col(x, w), numpy_im2col_backward(x, w, g)
        peak = gemm_gflops(2048, 2048, 2048, dtype)
        forward, backward = Bench(f'conv2d forward {B}x{C}x{H}x{W}, {K} 3x3, {dtype}', repeat=repeat, number=1), \
            Bench(f'conv2d backward {B}x{C}x{H}x{W}, {K} 3x3, {dtype}', repeat=repeat, number=1)
        a = rng.standard_normal((K, C * KS * KS)).astype(dtype)
        b = rng.standard_normal((C * KS * KS, B * H * W)).astype(dtype)
        for bench in (forward, backward):
            bench.add(GEMM_ROW, lambda: np.dot(a, b))
        forward.add('numpy eager im2col', lambda: numpy_im2col(x, w))
        backward.add('numpy eager im2col', lambda: numpy_im2col_backward(x, w, g))
        for backend in tracegraph_backends():
            if backend in ('cupy',):
                continue
            try:
                f, fb = tracegraph_functions(backend, dtype)
                _check(backend, f(x, w), want_y, dtype)
                _check(backend, fb(x, w, g), want_grads, dtype)
            except Exception as exc:  # a backend that cannot run it is a row, not a crash
                forward.skip(f'tracegraph {backend}', f'{type(exc).__name__}: {exc}'.splitlines()[0][:100])
                backward.skip(f'tracegraph {backend}', f'{type(exc).__name__}: {exc}'.splitlines()[0][:100])
                continue
            forward.add(f'tracegraph {backend}', lambda f=f: f(x, w))
            backward.add(f'tracegraph {backend}', lambda fb=fb: fb(x, w, g))
        for name, make in (('jax.jit', jax_functions), ('pytensor', pytensor_functions)):
            try:
                f, fb = make(dtype)
                _check(name, f(x, w), want_y, dtype)
                _check(name, fb(x, w, g), want_grads, dtype)
            except Exception as exc:
                forward.skip(name, f'{type(exc).__name__}: {exc}'.splitlines()[0][:100])
                backward.skip(name, f'{type(exc).__name__}: {exc}'.splitlines()[0][:100])
                continue
            forward.add(name, lambda f=f: f(x, w))
            backward.add(name, lambda fb=fb: fb(x, w, g))
        print(f'\n{dtype} square GEMM 2048: {peak:.1f} GFLOP/s')
        for bench, flops in ((forward, FLOPS), (backward, 2 * FLOPS)):
            bench.run(baseline='numpy eager im2col')
            gemm = next(r for r in bench.rows if r.name == GEMM_ROW)
            limit = FLOPS / gemm.median / 1e9 if gemm.times else float('nan')
            for row in bench.rows:
                if row.times and row is not gemm:
                    rate = flops / row.median / 1e9
                    print(f'    {row.name:<24} {rate:7.1f} GFLOP/s = {rate / limit:4.0%} of the conv-shaped '
                          f'GEMM ({limit:.1f}), {rate / peak:4.0%} of the square one ({peak:.1f})')


if __name__ == '__main__':
    import sys
    main(sys.argv[1:])
