"""Issue 5's workloads: fused elementwise chains on 10^7 float64, and compile time.

* `(x*y + 2*x - exp(-y)) * tanh(x)` and the logistic function `1 / (1 + exp(-x))`
  on 10^7 float64, on every tracegraph backend next to NumPy eager, PyTensor and
  jax.jit (each skipped with its reason where it is not installed).  Targets:
  >= 3x faster than NumPy eager on 2 cores, and ahead of jax.jit (issue 21).
  The machine is shared, so each row also shows its CPU time per call (all
  threads), which another process's load distorts far less than wall time.
* compile time of a 1,000-step chain `x = tanh(x * 1.01 + 0.1)` (3,000 nodes),
  graph built once, `function()` timed: rewrites, fusion, code generation.
  Target: under 1 s.

`python -m bench.elemwise blocks` instead measures the blocked evaluator's constants
(tracegraph.kernels.blocked): the fused chain under each candidate block size, and
the plain path against the blocked one at each array size, per dtype.
"""
from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from bench.harness import Bench, format_time, tracegraph_backends

N = 10 ** 7
CHAIN = 1000


def chain_numpy(x, y):
    return (x * y + 2 * x - np.exp(-y)) * np.tanh(x)


def logistic_numpy(x):
    return 1 / (1 + np.exp(-x))


def _tracegraph(backend, expr_of, n_inputs):
    import tracegraph as tg
    import tracegraph.tensor as T
    inputs = [T.dvector(name) for name in 'xy'[:n_inputs]]
    return tg.function(inputs, expr_of(*inputs), backend=backend)


def _pytensor(expr_of, n_inputs):
    import pytensor
    import pytensor.tensor as pt
    inputs = [pt.dvector(name) for name in 'xy'[:n_inputs]]
    return pytensor.function(inputs, expr_of(*inputs, exp=pt.exp, tanh=pt.tanh))


def _jax(fn_of):
    import jax
    import jax.numpy as jnp
    jax.config.update('jax_enable_x64', True)
    jax.config.update('jax_platforms', 'cpu')
    jitted = jax.jit(lambda *a: fn_of(*a, exp=jnp.exp, tanh=jnp.tanh))
    return lambda *a: jitted(*a).block_until_ready(), jnp


def _chain(x, y, exp=None, tanh=None):
    import tracegraph.tensor as T
    exp, tanh = exp or T.exp, tanh or T.tanh
    return (x * y + 2 * x - exp(-y)) * tanh(x)


def _logistic(x, exp=None, tanh=None):
    import tracegraph.tensor as T
    exp = exp or T.exp
    return 1 / (1 + exp(-x))


def workload(title, numpy_fn, graph, n_inputs, values):
    bench = Bench(title, repeat=7)
    bench.add('numpy eager', lambda: numpy_fn(*values))
    expected = numpy_fn(*values)
    for backend in tracegraph_backends():
        def make(backend=backend):
            f = _tracegraph(backend, graph, n_inputs)
            np.testing.assert_allclose(np.asarray(f(*values)), expected, rtol=1e-12, atol=1e-14)
            return lambda: f(*values)
        bench.try_add(f'tracegraph {backend}', make)

    def make_pytensor():
        f = _pytensor(graph, n_inputs)
        return lambda: f(*values)
    bench.try_add('pytensor', make_pytensor)

    def make_jax():
        run, jnp = _jax(graph)
        device = [jnp.asarray(v) for v in values]
        return lambda: run(*device)
    bench.try_add('jax.jit', make_jax)
    bench.run(baseline='numpy eager')
    print_cpu_times(bench, 'numpy eager')
    return bench


def cpu_per_call(fns, rounds=7):
    """{name: median CPU seconds (every thread of the process) of one call}, the rounds
    taken in turn across the candidates, as the harness does for wall time."""
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.process_time()
            fn()
            times[name].append(time.process_time() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def print_cpu_times(bench, baseline):
    cpu = cpu_per_call({row.name: row.fn for row in bench.rows if row.times})
    if baseline not in cpu:
        return
    print('  CPU time per call (all threads), ratio to', baseline)
    for name, seconds in cpu.items():
        print(f'  {name:<22}  {format_time(seconds):>10}  x{seconds / cpu[baseline]:6.2f}')


def compile_chain():
    bench = Bench(f'compile a {CHAIN}-step chain x = tanh(x * 1.01 + 0.1)', repeat=3, number=1, warmup=1)

    def tracegraph_compile():
        import tracegraph as tg
        import tracegraph.tensor as T
        x = T.dvector('x')
        y = x
        for _ in range(CHAIN):
            y = T.tanh(y * 1.01 + 0.1)
        return lambda: tg.function([x], y)
    bench.try_add('tracegraph numpy', tracegraph_compile)

    def pytensor_compile():
        import sys

        import pytensor
        import pytensor.tensor as pt
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))  # its graph walks recurse
        x = pt.dvector('x')
        y = x
        for _ in range(CHAIN):
            y = pt.tanh(y * 1.01 + 0.1)
        return lambda: pytensor.function([x], y)
    bench.try_add('pytensor', pytensor_compile)

    def jax_compile():
        import jax
        import jax.numpy as jnp
        jax.config.update('jax_enable_x64', True)

        def chain(x):
            for _ in range(CHAIN):
                x = jnp.tanh(x * 1.01 + 0.1)
            return x
        example = jnp.zeros(10)
        # A fresh jit each round, so nothing comes from JAX's compile cache.
        return lambda: jax.jit(lambda x: chain(x)).lower(example).compile()
    bench.try_add('jax.jit', jax_compile)
    return bench.run(baseline='tracegraph numpy')


# The fused chain as the blocked evaluator's literal spec (the constant 2 is input 2).
def chain_spec(dtype):
    steps = [('mul', (0, 1)), ('mul', (2, 0)), ('add', (3, 4)), ('neg', (1,)), ('exp', (6,)),
             ('sub', (5, 7)), ('tanh', (0,)), ('mul', (8, 9))]
    return ((dtype,) * 3, tuple((name, None, args, dtype) for name, args in steps), (10,))


def tanh_spec(dtype):
    return ((dtype,), (('tanh', None, (0,), dtype),), (1,))


def blocks():
    """The fused chain on 10^7 elements under each block size (elements per block)."""
    from tracegraph.kernels import blocked
    for dtype in ('float64', 'float32'):
        kernel = blocked.kernel_of_spec(chain_spec(dtype))
        x, y = (np.random.default_rng(k).standard_normal(N).astype(dtype) for k in (0, 1))
        bench = Bench(f'blocked chain on 1e7 {dtype}: block size (now {kernel.block})', repeat=7)
        for size in (4096, 8192, 16384, 32768, 65536):
            sized = blocked.BlockedKernel(kernel.composite)
            sized.block = size
            bench.add(f'block {size}', lambda sized=sized: sized(x, y, np.array(2, dtype)))
        bench.run(baseline=f'block {kernel.block}')
        print_cpu_times(bench, f'block {kernel.block}')


def thresholds():
    """Plain whole-array calls against blocks on one thread and on every thread, by size:
    the threshold is the size from which the threaded blocks win."""
    from tracegraph.kernels import blocked
    from tracegraph.kernels.elemwise import composite_kernel
    for name, spec in (('chain', chain_spec), ('tanh', tanh_spec)):
        for dtype in ('float64', 'float32'):
            kernel = blocked.kernel_of_spec(spec(dtype))
            plain = composite_kernel(kernel.composite)
            one, every = blocked.BlockedKernel(kernel.composite), blocked.BlockedKernel(kernel.composite)
            one.threshold, every.threshold = float('inf'), 0
            for n in (1 << 12, 1 << 14, 1 << 15, 1 << 16, 1 << 17, 1 << 18):
                values = [np.linspace(-2, 2, n, dtype=dtype), np.linspace(0, 1, n, dtype=dtype),
                          np.array(2, dtype)][:kernel.nin]
                bench = Bench(f'{name} {dtype} n={n} (threshold now {kernel.threshold})')
                bench.add('plain', lambda: plain(*values))
                bench.add('blocks, one thread', lambda: one(*values))
                bench.add('blocks, every thread', lambda: every(*values))
                bench.run(baseline='plain', save=False)


def main(argv=()):
    if 'blocks' in argv:
        with np.errstate(all='ignore'):
            blocks()
            thresholds()
        return
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(N), rng.standard_normal(N)
    with np.errstate(all='ignore'):
        workload('fused chain (x*y + 2*x - exp(-y)) * tanh(x), 1e7 float64',
                 chain_numpy, _chain, 2, [x, y])
        workload('logistic 1 / (1 + exp(-x)), 1e7 float64', logistic_numpy, _logistic, 1, [x])
    compile_chain()


if __name__ == '__main__':
    main(sys.argv[1:])
