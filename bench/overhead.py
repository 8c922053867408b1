"""Issue 3's workloads: per-call overhead of `x + y` on 0-d float64 arrays, and the
logistic function `1/(1+exp(-x))` on 10^7 float32 and float64 values.

Targets: overhead at most 3.5x calling `x + y` on the same arrays directly;
the logistic function no slower than NumPy eager.
"""
from __future__ import annotations

import numpy as np

from bench.harness import Bench, tracegraph_backends


def _pytensor_fn(make_inputs, build):
    import pytensor
    import pytensor.tensor as pt
    inputs = make_inputs(pt)
    return pytensor.function(inputs, build(pt, *inputs))


def scalar_add():
    import tracegraph as tg
    import tracegraph.tensor as T
    a, b = np.array(1.5), np.array(2.5)
    bench = Bench('call overhead: x + y on 0-d float64')
    bench.add('numpy x + y', lambda: a + b)
    x, y = T.dscalars('x', 'y')
    for name in tracegraph_backends():
        f = tg.function([x, y], x + y, backend=name)
        bench.add(f'tracegraph {name}', lambda f=f: f(a, b))

    def pytensor_fn():
        f = _pytensor_fn(lambda pt: [pt.dscalar('x'), pt.dscalar('y')], lambda pt, x, y: x + y)
        return lambda: f(a, b)
    bench.try_add('pytensor (default mode)', pytensor_fn)

    def jax_fn():
        import jax
        jax.config.update('jax_enable_x64', True)
        f = jax.jit(lambda x, y: x + y)
        f(a, b).block_until_ready()
        return lambda: f(a, b).block_until_ready()
    bench.try_add('jax.jit', jax_fn)
    bench.run(baseline='numpy x + y')


def logistic(dtype, n=10 ** 7):
    import tracegraph as tg
    import tracegraph.tensor as T
    rng = np.random.default_rng(0)
    data = rng.standard_normal(n).astype(dtype)
    bench = Bench(f'logistic 1/(1+exp(-x)), {n:.0e} {dtype}', repeat=5)
    bench.add('numpy eager', lambda: 1 / (1 + np.exp(-data)))
    x = T.tensor(dtype, shape=(None,), name='x')
    for name in tracegraph_backends():
        f = tg.function([x], 1 / (1 + T.exp(-x)), backend=name)
        bench.add(f'tracegraph {name}', lambda f=f: f(data))

    def pytensor_fn():
        f = _pytensor_fn(lambda pt: [pt.vector('x', dtype=dtype)], lambda pt, x: 1 / (1 + pt.exp(-x)))
        return lambda: f(data)
    bench.try_add('pytensor', pytensor_fn)

    def jax_fn():
        import jax
        import jax.numpy as jnp
        jax.config.update('jax_enable_x64', True)
        f = jax.jit(lambda x: 1 / (1 + jnp.exp(-x)))
        f(data).block_until_ready()
        return lambda: f(data).block_until_ready()
    bench.try_add('jax.jit', jax_fn)
    bench.run(baseline='numpy eager')


def main(argv=()):
    scalar_add()
    quick = '--quick' in argv
    for dtype in ('float32', 'float64'):
        logistic(dtype, n=10 ** 5 if quick else 10 ** 7)


if __name__ == '__main__':
    import sys
    main(sys.argv[1:])
