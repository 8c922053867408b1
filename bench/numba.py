"""Issue 9's workloads: the Numba backend side by side with the NumPy backend, PyTensor
(mode="NUMBA" and C mode) and jax.jit, in one run.

    python -m bench.numba            # every workload
    python -m bench.numba scan rnn   # the workloads whose names contain these words

Targets: never more than 10% slower than the NumPy backend; faster where Python
overhead dominates (scan, small arrays, many small ops); warm compile under 0.5 s.
A reference that is not installed is a skipped row with the reason.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import numpy as np

from bench.harness import Bench, run_workloads

OURS = ('numpy', 'numba')


def _pytensor(mode):
    def make(build):
        import pytensor
        import pytensor.tensor as pt
        inputs, outputs, updates = build(pt, pytensor)
        f = pytensor.function(inputs, outputs, updates=updates or None, mode=mode)
        return f
    return make


def _add_references(bench, call, pytensor_build=None, jax_build=None):
    """PyTensor NUMBA and C modes, and jax.jit, each skipped with its reason when absent."""
    for label, mode in (('pytensor NUMBA', 'NUMBA'), ('pytensor C (CVM)', 'CVM')):
        if pytensor_build is None:
            bench.skip(label, 'no PyTensor version of this workload here')
            continue

        def make(mode=mode):
            f = _pytensor(mode)(pytensor_build)
            return lambda: call(f)
        bench.try_add(label, make)
    if jax_build is None:
        bench.skip('jax.jit', 'no JAX version of this workload here')
    else:
        def make_jax():
            import jax
            jax.config.update('jax_enable_x64', True)
            fn = jax_build(jax)
            # JAX returns before its work is done: wait for it, or the time it takes
            # lands on whichever candidate runs next.
            return lambda: jax.block_until_ready(fn())
        bench.try_add('jax.jit', make_jax)


def _ours(bench, build, call):
    import tracegraph as tg
    for name in OURS:
        def make(name=name):
            f = build(tg, name)
            return lambda: call(f)
        bench.try_add(f'tracegraph {name}', make)


# -- workloads ------------------------------------------------------------------------
def scalar_overhead():
    a = np.array(1.5)
    bench = Bench('call overhead: f(x) = 2 * x + 1 on a 0-d float64')
    _ours(bench, _scalar_fn, lambda f: f(a))
    _add_references(bench, lambda f: f(a),
                    lambda pt, _: ([x := pt.dscalar('x')], 2 * x + 1, None),
                    lambda jax: (lambda f: (lambda: f(a)))(jax.jit(lambda x: 2 * x + 1)))
    bench.run(baseline='tracegraph numpy')


def _scalar_fn(tg, backend):
    import tracegraph.tensor as T
    x = T.dscalar('x')
    return tg.function([x], 2 * x + 1, backend=backend)


def fused_chain(n=10 ** 7):
    import tracegraph.tensor as T
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(n), rng.standard_normal(n)
    bench = Bench(f'fused chain (x*y + 2*x - exp(-y)) * tanh(x), {n:.0e} float64', repeat=5)
    bench.add('numpy eager', lambda: (a * b + 2 * a - np.exp(-b)) * np.tanh(a))

    def build(tg, backend):
        x, y = T.dvectors('x', 'y')
        return tg.function([x, y], (x * y + 2 * x - T.exp(-y)) * T.tanh(x), backend=backend)
    _ours(bench, build, lambda f: f(a, b))
    _add_references(bench, lambda f: f(a, b),
                    lambda pt, _: ([x := pt.dvector('x'), y := pt.dvector('y')],
                                   (x * y + 2 * x - pt.exp(-y)) * pt.tanh(x), None),
                    lambda jax: (lambda f: (lambda: f(a, b)))(
                        jax.jit(lambda x, y: (x * y + 2 * x - jax.numpy.exp(-y)) * jax.numpy.tanh(x))))
    bench.run(baseline='tracegraph numpy')


def logistic(n=10 ** 7):
    import tracegraph.tensor as T
    a = np.random.default_rng(1).standard_normal(n)
    bench = Bench(f'logistic 1/(1+exp(-x)), {n:.0e} float64 (numba workload)', repeat=5)
    bench.add('numpy eager', lambda: 1 / (1 + np.exp(-a)))

    def build(tg, backend):
        x = T.dvector('x')
        return tg.function([x], 1 / (1 + T.exp(-x)), backend=backend)
    _ours(bench, build, lambda f: f(a))
    _add_references(bench, lambda f: f(a),
                    lambda pt, _: ([x := pt.dvector('x')], 1 / (1 + pt.exp(-x)), None),
                    lambda jax: (lambda f: (lambda: f(a)))(jax.jit(lambda x: 1 / (1 + jax.numpy.exp(-x)))))
    bench.run(baseline='tracegraph numpy')


def logreg_step(n=400, feats=784):
    import tracegraph.tensor as T
    rng = np.random.default_rng(2)
    D = (rng.standard_normal((n, feats)), rng.integers(0, 2, n).astype(np.float64))
    bench = Bench(f'logistic-regression training step ({n}x{feats}, float64)')

    def build(tg, backend):
        x, y = T.dmatrix('x'), T.dvector('y')
        w = tg.shared(rng.standard_normal(feats) * 0.01, name='w')
        b = tg.shared(0.0, name='b')
        p = 1 / (1 + T.exp(-T.dot(x, w) - b))
        cost = (-y * T.log(p) - (1 - y) * T.log(1 - p)).mean() + 0.01 * (w ** 2).sum()
        gw, gb = tg.grad(cost, [w, b])
        return tg.function([x, y], cost, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)], backend=backend)
    _ours(bench, build, lambda f: f(*D))

    def pt_build(pt, pytensor):
        x, y = pt.dmatrix('x'), pt.dvector('y')
        w = pytensor.shared(rng.standard_normal(feats) * 0.01, name='w')
        b = pytensor.shared(0.0, name='b')
        p = 1 / (1 + pt.exp(-pt.dot(x, w) - b))
        cost = (-y * pt.log(p) - (1 - y) * pt.log(1 - p)).mean() + 0.01 * (w ** 2).sum()
        gw, gb = pytensor.grad(cost, [w, b])
        return [x, y], cost, [(w, w - 0.1 * gw), (b, b - 0.1 * gb)]

    def jax_build(jax):
        from bench.compile_time import logreg_jax_step
        params = [jax.numpy.asarray(rng.standard_normal(feats) * 0.01), jax.numpy.asarray(0.0)]
        step = logreg_jax_step(jax)

        def run():
            cost, params[0], params[1] = step(params[0], params[1], *D)
            return cost
        return run
    _add_references(bench, lambda f: f(*D), pt_build, jax_build)
    bench.run(baseline='tracegraph numpy')


def power_by_scan(k=1000):
    import tracegraph.tensor as T
    A_val = np.linspace(0.9, 1.1, 10)
    bench = Bench(f'A**k by scan, k={k} (10 elements)')

    def build(tg, backend):
        K, A = T.iscalar('k'), T.dvector('A')
        result, updates = tg.scan(lambda prior, A: prior * A, outputs_info=T.ones_like(A),
                                  non_sequences=A, n_steps=K)
        return tg.function([A, K], result[-1], updates=updates, backend=backend)
    _ours(bench, build, lambda f: f(A_val, k))

    def pt_build(pt, pytensor):
        K, A = pt.iscalar('k'), pt.dvector('A')
        result, updates = pytensor.scan(lambda prior, A: prior * A, outputs_info=pt.ones_like(A),
                                        non_sequences=A, n_steps=K)
        return [A, K], result[-1], updates

    def jax_build(jax):
        f = jax.jit(lambda A: jax.lax.fori_loop(0, k, lambda i, acc: acc * A, jax.numpy.ones_like(A)))
        return lambda: f(A_val)
    _add_references(bench, lambda f: f(A_val, np.int32(k)), pt_build, jax_build)
    bench.run(baseline='tracegraph numpy')


def polynomial(n=10_000):
    import tracegraph.tensor as T
    coeffs = np.random.default_rng(3).standard_normal(n) / n
    bench = Bench(f'polynomial by scan, {n} coefficients')
    # What the rewrites make of the scan: one power and one sum, NumPy's SIMD loops
    # (the scalar base is broadcast, which NumPy's power runs on scalar code).
    powers = np.arange(n)
    bench.add('numpy eager', lambda: (coeffs * 0.999 ** powers).sum())

    def build(tg, backend):
        c, x = T.dvector('c'), T.dscalar('x')
        comps, _ = tg.scan(lambda coeff, power, free: coeff * free ** power,
                           sequences=[c, T.arange(n)], non_sequences=x)
        return tg.function([c, x], comps.sum(), backend=backend)
    _ours(bench, build, lambda f: f(coeffs, 0.999))

    def pt_build(pt, pytensor):
        c, x = pt.dvector('c'), pt.dscalar('x')
        comps, _ = pytensor.scan(lambda coeff, power, free: coeff * free ** power,
                                 sequences=[c, pt.arange(n)], non_sequences=x)
        return [c, x], comps.sum(), None

    def jax_build(jax):
        jnp = jax.numpy
        f = jax.jit(lambda c, x: jax.lax.scan(lambda acc, cp: (acc + cp[0] * x ** cp[1], None),
                                              0.0, (c, jnp.arange(n, dtype=jnp.float64)))[0])
        return lambda: f(coeffs, 0.999)
    _add_references(bench, lambda f: f(coeffs, 0.999), pt_build, jax_build)
    bench.run(baseline='tracegraph numpy')


def rnn(hidden=64, inputs=32, steps=200):
    import tracegraph.tensor as T
    rng = np.random.default_rng(4)
    X = rng.standard_normal((steps, inputs))
    W0, U0 = rng.standard_normal((inputs, hidden)) * 0.1, rng.standard_normal((hidden, hidden)) * 0.1
    bench = Bench(f'RNN forward + gradient by scan (hidden {hidden}, input {inputs}, {steps} steps)')

    def build(tg, backend):
        x, W, U = T.dmatrix('x'), T.dmatrix('W'), T.dmatrix('U')
        h, _ = tg.scan(lambda xt, hprev, W, U: T.tanh(T.dot(xt, W) + T.dot(hprev, U)),
                       sequences=x, outputs_info=T.zeros((hidden,)), non_sequences=[W, U])
        cost = (h ** 2).sum()
        return tg.function([x, W, U], [cost] + tg.grad(cost, [W, U]), backend=backend)
    _ours(bench, build, lambda f: f(X, W0, U0))

    def pt_build(pt, pytensor):
        x, W, U = pt.dmatrix('x'), pt.dmatrix('W'), pt.dmatrix('U')
        h, _ = pytensor.scan(lambda xt, hprev, W, U: pt.tanh(pt.dot(xt, W) + pt.dot(hprev, U)),
                             sequences=x, outputs_info=pt.zeros((hidden,)), non_sequences=[W, U])
        cost = (h ** 2).sum()
        return [x, W, U], [cost] + pytensor.grad(cost, [W, U]), None

    def jax_build(jax):
        from bench.compile_time import rnn_jax_value_and_grad
        f = rnn_jax_value_and_grad(jax, hidden)
        return lambda: f(W0, U0, X)[0]
    _add_references(bench, lambda f: f(X, W0, U0), pt_build, jax_build)
    bench.run(baseline='tracegraph numpy')


def mlp_step(batch=128, sizes=(784, 256, 10)):
    import tracegraph.tensor as T
    rng = np.random.default_rng(5)
    X = rng.standard_normal((batch, sizes[0]))
    Y = np.eye(sizes[2])[rng.integers(0, sizes[2], batch)]
    bench = Bench(f'MLP training step {"-".join(map(str, sizes))}, batch {batch}')
    weights = np.random.default_rng(6)
    first = [weights.standard_normal((sizes[0], sizes[1])) * 0.05, np.zeros(sizes[1]),
             weights.standard_normal((sizes[1], sizes[2])) * 0.05, np.zeros(sizes[2])]

    def init():     # every candidate starts from the same weights
        return [w.copy() for w in first]

    def build(tg, backend):
        x, y = T.dmatrix('x'), T.dmatrix('y')
        params = [tg.shared(v, name=n) for v, n in zip(init(), ('W1', 'b1', 'W2', 'b2'))]
        W1, b1, W2, b2 = params
        h = T.tanh(T.dot(x, W1) + b1)
        p = T.nnet.softmax(T.dot(h, W2) + b2)
        cost = T.nnet.categorical_crossentropy(p, y).mean()
        grads = tg.grad(cost, params)
        return tg.function([x, y], cost, updates=[(v, v - 0.1 * g) for v, g in zip(params, grads)],
                           backend=backend)
    _ours(bench, build, lambda f: f(X, Y))
    _check_mlp_steps(build, X, Y, init)

    def pt_build(pt, pytensor):
        x, y = pt.dmatrix('x'), pt.dmatrix('y')
        params = [pytensor.shared(v) for v in init()]
        W1, b1, W2, b2 = params
        h = pt.tanh(pt.dot(x, W1) + b1)
        p = pt.special.softmax(pt.dot(h, W2) + b2, axis=-1)
        cost = -(y * pt.log(p)).sum(axis=1).mean()
        grads = pytensor.grad(cost, params)
        return [x, y], cost, [(v, v - 0.1 * g) for v, g in zip(params, grads)]

    def jax_build(jax):
        from bench.compile_time import mlp_jax_step
        params = [jax.numpy.asarray(v) for v in init()]
        step = mlp_jax_step(jax)

        def run():
            cost, params[:] = step(params, X, Y)
            return cost
        return run
    _add_references(bench, lambda f: f(X, Y), pt_build, jax_build)
    bench.run(baseline='tracegraph numpy')


_COMPILE_SNIPPET = '''
import time, numpy as np
t0 = time.perf_counter()
import tracegraph as tg, tracegraph.tensor as T
import numba  # noqa: F401  (import time is reported apart)
t1, c1 = time.perf_counter(), time.process_time()
x, y = T.dmatrix('x'), T.dvector('y')
w = tg.shared(np.zeros(784), name='w'); b = tg.shared(0.0, name='b')
p = 1 / (1 + T.exp(-T.dot(x, w) - b))
cost = (-y * T.log(p) - (1 - y) * T.log(1 - p)).mean() + 0.01 * (w ** 2).sum()
gw, gb = tg.grad(cost, [w, b])
f = tg.function([x, y], cost, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)], backend=%r)
f(np.ones((4, 784)), np.ones(4))
t2, c2 = time.perf_counter(), time.process_time()
print(t1 - t0, t2 - t1, c2 - c1)
'''


def compile_time():
    """function() + first call of the logistic-regression step, in fresh processes.

    The CPU time of the process is printed beside the wall time: on a busy machine
    it is the steadier of the two.
    """
    print('\n== compile time: logistic-regression step, function() + first call, fresh process ==')
    if sys.flags.dont_write_bytecode:
        # Measured here: numba warm 0.50 -> 0.40 s CPU, numpy 0.28 -> 0.19 s with .pyc files.
        print('  (PYTHONDONTWRITEBYTECODE is set, so every process compiles the tracegraph modules it '
              'imports from source: about 0.1 s of each time below that an install with .pyc files '
              'does not pay)')
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, TRACEGRAPH_CACHE_DIR=cache)
        for backend in OURS:
            for label in ('cold', 'warm'):
                out = subprocess.run([sys.executable, '-c', _COMPILE_SNIPPET % backend], env=env,
                                     capture_output=True, text=True)
                if out.returncode:
                    print(f'  {backend:6} {label}: failed: {out.stderr.strip().splitlines()[-1:]}')
                    continue
                imports, compile_s, cpu_s = (float(v) for v in out.stdout.split())
                print(f'  tracegraph {backend:6} {label}: {compile_s:7.3f} s  (cpu {cpu_s:.3f} s)   '
                      f'(imports {imports:.2f} s, apart)')


def _mlp_reference_costs(X, Y, params, steps):
    """The costs of `steps` SGD steps of the tanh-softmax MLP, by hand in float64 NumPy."""
    W1, b1, W2, b2 = [p.copy() for p in params]
    costs = []
    for _ in range(steps):
        h = np.tanh(X @ W1 + b1)
        z = h @ W2 + b2
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        costs.append(-(Y * np.log(p)).sum(axis=1).mean())
        dz = (p - Y) / len(X)
        da = (dz @ W2.T) * (1 - h ** 2)
        W1, b1, W2, b2 = (W1 - 0.1 * X.T @ da, b1 - 0.1 * da.sum(0),
                          W2 - 0.1 * h.T @ dz, b2 - 0.1 * dz.sum(0))
    return np.array(costs)


def _check_mlp_steps(build, X, Y, init, steps=5):
    """Each backend's costs over a few steps equal the hand-written NumPy ones to 1e-12."""
    import tracegraph as tg
    expected = _mlp_reference_costs(X, Y, init(), steps)
    for name in OURS:
        if tg.backends.available().get(name):
            f = build(tg, name)
            got = np.array([f(X, Y) for _ in range(steps)])
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0, err_msg=name)
    print(f'  checked: {steps} steps on {", ".join(OURS)} equal hand-written NumPy to 1e-12')


WORKLOADS = [scalar_overhead, fused_chain, logistic, logreg_step, power_by_scan, polynomial, rnn,
             mlp_step, compile_time]


def main(argv=()):
    run_workloads(WORKLOADS, argv)


if __name__ == '__main__':
    main(sys.argv[1:])
