"""Issue 8: call overhead of a cached @tg.compile function of two scalars, next to the
equivalent tg.function and jax.jit (all on 0-d float64 NumPy arrays).

Target: the traced call under 1.5 µs and within 1.5x of the tg.function call.
Also timed: the same function called with Python floats (leaves that take the slow,
converting path of the signature check) and with a dict argument (a container,
flattened on each call).
"""
from __future__ import annotations

import numpy as np

from bench.harness import Bench, tracegraph_backends


def scalar_add(backend):
    import tracegraph as tg
    import tracegraph.tensor as T
    a, b = np.array(1.5), np.array(2.5)
    bench = Bench(f'trace overhead: x + y on 0-d float64 ({backend})')
    x, y = T.dscalars('x', 'y')
    f = tg.function([x, y], x + y, backend=backend)
    bench.add('tg.function', lambda: f(a, b))

    add = tg.compile(lambda x, y: x + y, backend=backend)
    add(a, b)
    bench.add('@tg.compile', lambda: add(a, b))
    add(1.5, 2.5)
    bench.add('tg.function, Python floats', lambda: f(1.5, 2.5))
    bench.add('@tg.compile, Python floats', lambda: add(1.5, 2.5))

    add_dict = tg.compile(lambda p: p['x'] + p['y'], backend=backend)
    pair = {'x': a, 'y': b}
    add_dict(pair)
    bench.add('@tg.compile, dict argument', lambda: add_dict(pair))

    def jax_fn():
        import jax
        jax.config.update('jax_enable_x64', True)
        f = jax.jit(lambda x, y: x + y)
        f(a, b).block_until_ready()
        return lambda: f(a, b).block_until_ready()
    bench.try_add('jax.jit', jax_fn)
    bench.run(baseline='tg.function')
    return bench


def main(argv=()):
    names = [n for n in tracegraph_backends() if n in ('numpy', 'numba')] or tracegraph_backends()[:1]
    for name in names:
        bench = scalar_add(name)
        times = {row.name: row.median for row in bench.rows if row.times}
        traced, plain = times.get('@tg.compile'), times.get('tg.function')
        if traced and plain:
            print(f'  target (<1.5 µs and <1.5x tg.function): {traced * 1e6:.2f} µs, '
                  f'x{traced / plain:.2f} -> {"met" if traced < 1.5e-6 and traced < 1.5 * plain else "MISSED"}')


if __name__ == '__main__':
    import sys
    main(sys.argv[1:])
