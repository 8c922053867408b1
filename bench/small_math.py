"""Issue 21's small transcendental workloads: where a compiled loop's scalar math meets
NumPy's SIMD ufuncs.  Each row group runs the same work on the NumPy and Numba
backends, eager NumPy and jax.jit, in one run; every candidate's result is checked
against eager NumPy before it is timed.

    python -m bench.small_math            # every workload
    python -m bench.small_math chain      # the workloads whose names contain these words
    python -m bench.small_math activations  # tanh(x + b) on 4-d conv-layer activations
    python -m bench.small_math mid_sizes    # fused expressions on 2^16 to 2^22 elements
    python -m bench.small_math wide_scans   # a loop over a state of 256 to 65,536 elements
    python -m bench.small_math large_arith  # plain arithmetic on 10^6 and 8 x 10^6 elements
    python -m bench.small_math reductions   # max, argmax, any, all over rows and columns
    python -m bench.small_math layouts      # transposed inputs, softmax, whole-matrix copies

Target: the Numba backend <= 1.0x the NumPy backend on every row.
"""
from __future__ import annotations

import sys

import numpy as np

from bench.harness import Bench, run_workloads

OURS = ('numpy', 'numba')
OPS = {'tanh': (np.tanh, 'tanh'), 'exp': (np.exp, 'exp'), 'log': (np.log, 'log'),
       'sigmoid': (lambda a: 1 / (1 + np.exp(-a)), 'sigmoid')}


def _checked(name, fn, expected, rtol):
    got = np.asarray(fn())
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol, err_msg=name)
    return fn


def _run(title, values, eager, build_ours, build_jax):
    """One row group: eager NumPy, our backends, jax.jit, on the arrays `values`."""
    expected = eager(*values)
    rtol = 1e-5 if values[0].dtype == np.float32 else 1e-12
    bench = Bench(title)
    bench.add('numpy eager', lambda: eager(*values))
    import tracegraph as tg
    for backend in OURS:
        def make(backend=backend):
            f = build_ours(tg, backend)
            return _checked(backend, lambda: f(*values), expected, rtol)
        bench.try_add(f'tracegraph {backend}', make)

    def make_jax():
        import jax
        jax.config.update('jax_enable_x64', True)
        f = jax.jit(build_jax(jax.numpy, jax.nn))
        return _checked('jax', lambda: jax.block_until_ready(f(*values)), expected, rtol)
    bench.try_add('jax.jit', make_jax)
    bench.run(baseline='tracegraph numpy')


def _chain(xp, links, tanh):
    def f(x):
        for _ in range(links):
            x = tanh(x * 1.01 + 0.1)
        return x
    return f


def chains(n=1000):
    """x -> tanh(x * 1.01 + 0.1), 10 and 1,000 times, on 1,000 elements."""
    import tracegraph.tensor as T
    for dtype in ('float64', 'float32'):
        value = np.linspace(-2, 2, n).astype(dtype)
        for links in (10, 1000):
            def ours(tg, backend, links=links, dtype=dtype):
                x = T.vector('x', dtype=dtype)
                return tg.function([x], _chain(T, links, T.tanh)(x), backend=backend)
            _run(f'tanh chain, {links} links, {n} {dtype}', (value,), _chain(np, links, np.tanh), ours,
                 lambda jnp, nn, links=links: _chain(jnp, links, jnp.tanh))


def single_ops():
    """One tanh/exp/log/sigmoid on 10^3, 10^4, 10^5 elements, float32 and float64."""
    import tracegraph.tensor as T
    ours_of = {'tanh': T.tanh, 'exp': T.exp, 'log': T.log, 'sigmoid': T.nnet.sigmoid}
    jax_of = {'tanh': lambda jnp, nn: jnp.tanh, 'exp': lambda jnp, nn: jnp.exp,
              'log': lambda jnp, nn: jnp.log, 'sigmoid': lambda jnp, nn: nn.sigmoid}
    for name, (eager, _) in OPS.items():
        for dtype in ('float64', 'float32'):
            for n in (10 ** 3, 10 ** 4, 10 ** 5):
                value = np.linspace(0.01, 3, n).astype(dtype)

                def ours(tg, backend, name=name, dtype=dtype):
                    x = T.vector('x', dtype=dtype)
                    return tg.function([x], ours_of[name](x), backend=backend)
                _run(f'{name}, {n:.0e} {dtype}', (value,), eager, ours, jax_of[name])


def activations():
    """tanh(x + b), b broadcast over a convolutional layer's channels: LeNet's two layers
    (rows of 12 and of 4 elements) at batch 500 and 8, float32 and float64."""
    import tracegraph.tensor as T
    rng = np.random.default_rng(0)
    for dtype in ('float32', 'float64'):
        for batch in (500, 8):
            for channels, side in ((20, 12), (50, 4)):
                values = (rng.standard_normal((batch, channels, side, side)).astype(dtype),
                          rng.standard_normal((1, channels, 1, 1)).astype(dtype))

                def ours(tg, backend, dtype=dtype):
                    x, b = T.tensor4('x', dtype=dtype), T.tensor(dtype, shape=(1, None, 1, 1), name='b')
                    return tg.function([x, b], T.tanh(x + b), backend=backend)
                _run(f'tanh(x + b), {batch}x{channels}x{side}x{side} {dtype}', values,
                     lambda x, b: np.tanh(x + b), ours, lambda jnp, nn: lambda x, b: jnp.tanh(x + b))


def mid_sizes():
    """Fused expressions with one or ten transcendental steps on 2^16 to 2^22 elements,
    where a compiled chunked loop (one thread) meets the blocked evaluator (threads)."""
    import tracegraph.tensor as T
    exprs = {'tanh(x * 1.01 + 0.1)': lambda xp: _chain(xp, 1, xp.tanh),
             'exp(-x) * x': lambda xp: lambda x: xp.exp(-x) * x,
             'tanh chain, 10 links,': lambda xp: _chain(xp, 10, xp.tanh)}
    for name, expr in exprs.items():
        for dtype in ('float64', 'float32'):
            for power in (16, 18, 20, 22):
                value = np.linspace(-2, 2, 1 << power).astype(dtype)

                def ours(tg, backend, expr=expr, dtype=dtype):
                    x = T.vector('x', dtype=dtype)
                    return tg.function([x], expr(T)(x), backend=backend)
                _run(f'{name} 2^{power} {dtype}', (value,), expr(np), ours,
                     lambda jnp, nn, expr=expr: expr(jnp))


def wide_scans():
    """A loop whose state is a wide row, `h = tanh(x_t + 0.9 h)`, 256 to 65,536 elements
    (2^22 element-steps in all): each step's row is written by the compiled loop nest."""
    import tracegraph.tensor as T

    def eager(x, h):
        for row in x:
            h = np.tanh(row + 0.9 * h)
        return h

    def jax_scan(jnp, nn):
        import jax
        return lambda x, h: jax.lax.scan(lambda c, row: (jnp.tanh(row + 0.9 * c), None), h, x)[0]
    for dtype in ('float64', 'float32'):
        for width in (256, 4096, 65536):
            rng = np.random.default_rng(1)
            values = (rng.standard_normal(((1 << 22) // width, width)).astype(dtype),
                      rng.standard_normal(width).astype(dtype))

            def ours(tg, backend, dtype=dtype):
                x, h0 = T.matrix('x', dtype=dtype), T.vector('h0', dtype=dtype)
                hs, _ = tg.scan(lambda row, h: T.tanh(row + 0.9 * h), sequences=x, outputs_info=h0)
                return tg.function([x, h0], hs[-1], backend=backend)
            _run(f'scan of tanh(x_t + 0.9 h), width {width}, {values[0].shape[0]} steps {dtype}',
                 values, eager, ours, jax_scan)


def large_arithmetic():
    """`x * y + 2 * x - y` (no transcendental step) on 10^6 and 8 x 10^6 elements: the
    output's fresh pages cost as much as the arithmetic."""
    import tracegraph.tensor as T
    for dtype in ('float64', 'float32'):
        for n in (10 ** 6, 8 * 10 ** 6):
            rng = np.random.default_rng(2)
            values = tuple(rng.standard_normal(n).astype(dtype) for _ in range(2))

            def ours(tg, backend, dtype=dtype):
                x, y = T.vector('x', dtype=dtype), T.vector('y', dtype=dtype)
                return tg.function([x, y], x * y + 2 * x - y, backend=backend)
            _run(f'x * y + 2 * x - y, {n:,} {dtype}', values, lambda x, y: x * y + 2 * x - y, ours,
                 lambda jnp, nn: lambda x, y: x * y + 2 * x - y)


def reductions():
    """Float max and argmax over rows (SIMD rows, extrema.py), max over columns (the
    compiled loop over the outputs), any and all (which may stop early), on a small and
    a large matrix."""
    import tracegraph.tensor as T
    exprs = {'max over rows': (lambda xp: lambda x: x.max(axis=1), lambda x: x.max(axis=1)),
             'argmax over rows': (lambda xp: lambda x: xp.argmax(x, axis=1), lambda x: T.argmax(x, axis=1)),
             'max over columns': (lambda xp: lambda x: x.max(axis=0), lambda x: x.max(axis=0)),
             # decided at the first True (~1 in 740 here), and only at the end
             'any(x > 3)': (lambda xp: lambda x: xp.any(x > 3), lambda x: T.any(x > 3)),
             'all(x < 10)': (lambda xp: lambda x: xp.all(x < 10), lambda x: T.all(x < 10))}
    for name, (expr, ours_expr) in exprs.items():
        for shape in ((100, 200), (2000, 4000)):
            value = np.random.default_rng(4).standard_normal(shape)

            def ours(tg, backend, ours_expr=ours_expr):
                x = T.dmatrix('x')
                return tg.function([x], ours_expr(x), backend=backend)
            _run(f'{name}, {shape[0]} x {shape[1]} float64', (value,), expr(np), ours,
                 lambda jnp, nn, expr=expr: expr(jnp))


def layouts_and_copies():
    """Matrix work beside the arithmetic: transposed inputs (the loops must follow the
    memory), softmax over rows, and ops that copy whole matrices (concatenate, setting
    one row of a copy, gathering rows)."""
    import tracegraph.tensor as T
    rows = np.random.default_rng(5).integers(0, 100, 150)
    exprs = {  # name: (eager / jax, ours, the number of matrices it reads)
        'x.T + y.T': (lambda xp: lambda x, y: x.T + y.T, lambda x, y: x.T + y.T),
        'exp(x.T)': (lambda xp: lambda x, y: xp.exp(x.T), lambda x, y: T.exp(x.T)),
        'softmax over rows': (lambda xp: lambda x, y: xp.exp(x - x.max(axis=1, keepdims=True))
                              / xp.exp(x - x.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True),
                              lambda x, y: T.nnet.softmax(x)),
        'concatenate': (lambda xp: lambda x, y: xp.concatenate([x, y]), lambda x, y: T.concatenate([x, y])),
        'set one row of a copy': (lambda xp: lambda x, y: _set_row(xp, x, y[0]),
                                  lambda x, y: T.set_subtensor(x[3], y[0])),
        'gather 150 rows': (lambda xp: lambda x, y: x[rows], lambda x, y: x[rows]),
    }
    for name, (expr, ours_expr) in exprs.items():
        for shape in ((100, 200), (2000, 4000)):
            rng = np.random.default_rng(6)
            values = (rng.standard_normal(shape), rng.standard_normal(shape))

            def ours(tg, backend, ours_expr=ours_expr):
                x, y = T.dmatrix('x'), T.dmatrix('y')
                return tg.function([x, y], ours_expr(x, y), backend=backend, on_unused_input='ignore')
            _run(f'{name}, {shape[0]} x {shape[1]} float64', values, expr(np), ours,
                 lambda jnp, nn, expr=expr: expr(jnp))


def _set_row(xp, x, row):
    if xp is np:
        out = x.copy()
        out[3] = row
        return out
    return x.at[3].set(row)


WORKLOADS = [chains, single_ops, activations, mid_sizes, wide_scans, large_arithmetic, reductions,
             layouts_and_copies]


def main(argv=()):
    run_workloads(WORKLOADS, argv)


if __name__ == '__main__':
    main(sys.argv[1:])
