"""Issue 7's workload: drawing 10^7 uniform and normal float32 and float64 values.

Candidates: each tracegraph backend (a compiled function that draws and advances
its stream), NumPy's `Generator` with its default PCG64 bit generator (the target:
the NumPy backend within 1.5x of it) and with Philox (the same raw bits as ours),
and JAX's `random.uniform` / `random.normal` under `jit` (skipped, saying why,
when JAX is not installed).  Run as ``python -m bench.random [--quick]``.
"""
from __future__ import annotations

import numpy as np

from bench.harness import Bench, tracegraph_backends

NUMPY_METHOD = {'uniform': 'random', 'normal': 'standard_normal'}


def numpy_generator(bit_generator, dist, dtype, n):
    gen = np.random.Generator(bit_generator)
    method = getattr(gen, NUMPY_METHOD[dist])
    return lambda: method(n, dtype=dtype)


def tracegraph_draw(backend, dist, dtype, n):
    import tracegraph as tg
    from tracegraph.random import RandomStreams
    rv = getattr(RandomStreams(seed=1), dist)((n,), dtype=dtype)
    return tg.function([], rv, backend=backend)


def jax_draw(dist, dtype, n):
    import jax
    jax.config.update('jax_enable_x64', True)
    sample = getattr(jax.random, dist)
    draw = jax.jit(lambda key: sample(key, (n,), dtype=dtype))
    keys = iter(jax.random.split(jax.random.key(0), 10_000))   # a fresh key per call
    draw(next(keys)).block_until_ready()
    return lambda: draw(next(keys)).block_until_ready()


def one(dist, dtype, n):
    bench = Bench(f'random {dist} {n:.0e} {dtype}', repeat=7)
    bench.add('numpy Generator (PCG64)', numpy_generator(np.random.PCG64(0), dist, dtype, n))
    bench.add('numpy Generator (Philox)', numpy_generator(np.random.Philox(0), dist, dtype, n))
    for name in tracegraph_backends():
        bench.try_add(f'tracegraph {name}', lambda name=name: tracegraph_draw(name, dist, dtype, n))
    bench.try_add(f'jax.random.{dist} (jit)', lambda: jax_draw(dist, dtype, n))
    bench.run(baseline='numpy Generator (PCG64)')


def main(argv=()):
    n = 10 ** 5 if '--quick' in argv else 10 ** 7
    for dist in ('uniform', 'normal'):
        for dtype in ('float32', 'float64'):
            one(dist, dtype, n)


if __name__ == '__main__':
    import sys
    main(sys.argv[1:])
