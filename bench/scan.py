"""Issue 6's loop workloads: per-call time of scan on each tracegraph backend next to a
plain NumPy loop, PyTensor's scan and jax.lax.scan.

* A**k with k = 1000 and A of 10 float64 (only result[-1] is used);
* the tutorial's polynomial with 10,000 coefficients;
* an RNN (input 32, hidden 64, 200 steps): forward plus the gradient of a cost
  with respect to the weights, next to hand-written NumPy BPTT.

Targets on the NumPy backend: A**k within 2x of the plain loop, the polynomial faster
than every anchor, the RNN faster than the hand-written BPTT.
"""
from __future__ import annotations

import numpy as np

from bench.harness import Bench, tracegraph_backends


def _jax():
    import jax
    jax.config.update('jax_enable_x64', True)
    return jax


# -- A**k -------------------------------------------------------------------------------
def power(k=1000):
    import tracegraph as tg
    import tracegraph.tensor as T
    a = np.linspace(-1.0, 1.0, 10)
    bench = Bench(f'A**k by a loop, k={k}, A of 10 float64')

    def plain_loop():
        result = np.ones_like(a)
        for _ in range(k):
            result = result * a
        return result
    bench.add('numpy python loop', plain_loop)
    K, A = T.iscalar('k'), T.dvector('A')
    result, updates = tg.scan(lambda prior, A: prior * A, outputs_info=T.ones_like(A),
                              non_sequences=A, n_steps=K)
    for name in tracegraph_backends():
        bench.try_add(f'tracegraph {name}', lambda name=name: _bound(
            tg.function([A, K], result[-1], updates=updates, backend=name), a, k))

    def pytensor_fn():
        import pytensor
        import pytensor.tensor as pt
        kk, AA = pt.iscalar('k'), pt.dvector('A')
        res, upd = pytensor.scan(lambda prior, A: prior * A, outputs_info=pt.ones_like(AA),
                                 non_sequences=AA, n_steps=kk)
        return _bound(pytensor.function([AA, kk], res[-1], updates=upd), a, k)
    bench.try_add('pytensor scan', pytensor_fn)

    def jax_fn():
        jax = _jax()
        f = jax.jit(lambda A: jax.lax.scan(lambda c, _: (c * A, None), jax.numpy.ones_like(A),
                                           None, length=k)[0])
        f(a).block_until_ready()
        return lambda: f(a).block_until_ready()
    bench.try_add('jax.lax.scan (jit)', jax_fn)
    bench.run(baseline='numpy python loop')


def _bound(f, *args):
    f(*args)
    return lambda: f(*args)


# -- the polynomial ------------------------------------------------------------------
def polynomial(n=10_000):
    import tracegraph as tg
    import tracegraph.tensor as T
    rng = np.random.default_rng(0)
    coeffs = rng.uniform(-1, 1, n)
    x_val = np.float64(0.999)
    bench = Bench(f'polynomial with {n} coefficients by scan')
    powers = np.arange(n)
    bench.add('numpy vectorized', lambda: (coeffs * x_val ** powers).sum())
    c, x = T.dvector('coefficients'), T.dscalar('x')
    components, _ = tg.scan(lambda coefficient, power, free_variable: coefficient * (free_variable ** power),
                            sequences=[c, T.arange(n)], non_sequences=x)
    for name in tracegraph_backends():
        bench.try_add(f'tracegraph {name}', lambda name=name: _bound(
            tg.function([c, x], components.sum(), backend=name), coeffs, x_val))

    def pytensor_fn():
        import pytensor
        import pytensor.tensor as pt
        cc, xx = pt.dvector('c'), pt.dscalar('x')
        comp, _ = pytensor.scan(lambda co, p, fv: co * (fv ** p), sequences=[cc, pt.arange(n)],
                                non_sequences=xx)
        return _bound(pytensor.function([cc, xx], comp.sum()), coeffs, x_val)
    bench.try_add('pytensor scan', pytensor_fn)

    def jax_fn():
        jax = _jax()
        jnp = jax.numpy

        def poly(co, xv):
            _, comps = jax.lax.scan(lambda carry, cp: (carry, cp[0] * xv ** cp[1]), 0.0,
                                    (co, jnp.arange(n)))
            return comps.sum()
        f = jax.jit(poly)
        f(coeffs, x_val).block_until_ready()
        return lambda: f(coeffs, x_val).block_until_ready()
    bench.try_add('jax.lax.scan (jit)', jax_fn)
    bench.run(baseline='numpy vectorized')


# -- an RNN, forward and gradient ------------------------------------------------------
def _rnn_data(steps=200, n_in=32, n_hid=64):
    rng = np.random.default_rng(1)
    return (rng.normal(size=(steps, n_in)), np.zeros(n_hid), rng.normal(size=(n_in, n_hid)) * 0.1,
            rng.normal(size=(n_hid, n_hid)) * 0.1, np.zeros(n_hid))


def numpy_bptt(x, h0, w_in, w_rec, b):
    """Hand-written forward pass and backpropagation through time; cost = sum(h_T)."""
    hs = [h0]
    for xt in x:
        hs.append(np.tanh(xt @ w_in + hs[-1] @ w_rec + b))
    gh = np.ones_like(h0)
    g_in, g_rec, g_b = np.zeros_like(w_in), np.zeros_like(w_rec), np.zeros_like(b)
    for t in range(len(x) - 1, -1, -1):
        gpre = gh * (1 - hs[t + 1] ** 2)
        g_in += np.outer(x[t], gpre)
        g_rec += np.outer(hs[t], gpre)
        g_b += gpre
        gh = gpre @ w_rec.T
    return hs[-1].sum(), g_in, g_rec, g_b


def rnn():
    import tracegraph as tg
    import tracegraph.tensor as T
    data = _rnn_data()
    bench = Bench('RNN (input 32, hidden 64, 200 steps): cost and gradient')
    bench.add('numpy hand-written BPTT', lambda: numpy_bptt(*data))
    x, W_in, W_rec = T.dmatrix('x'), T.dmatrix('W_in'), T.dmatrix('W_rec')
    h0, b = T.dvector('h0'), T.dvector('b')
    hs, _ = tg.scan(lambda xt, h, W_in, W_rec, b: T.tanh(T.dot(xt, W_in) + T.dot(h, W_rec) + b),
                    sequences=x, outputs_info=h0, non_sequences=[W_in, W_rec, b])
    cost = hs[-1].sum()
    outputs = [cost] + T.grad(cost, [W_in, W_rec, b])
    for name in tracegraph_backends():
        bench.try_add(f'tracegraph {name}', lambda name=name: _bound(
            tg.function([x, h0, W_in, W_rec, b], outputs, backend=name), *data))

    def pytensor_fn():
        import pytensor
        import pytensor.tensor as pt
        px, pwi, pwr = pt.dmatrix('x'), pt.dmatrix('W_in'), pt.dmatrix('W_rec')
        ph0, pb = pt.dvector('h0'), pt.dvector('b')
        phs, _ = pytensor.scan(lambda xt, h, wi, wr, bb: pt.tanh(pt.dot(xt, wi) + pt.dot(h, wr) + bb),
                               sequences=px, outputs_info=ph0, non_sequences=[pwi, pwr, pb])
        pcost = phs[-1].sum()
        return _bound(pytensor.function([px, ph0, pwi, pwr, pb],
                                        [pcost] + pytensor.grad(pcost, [pwi, pwr, pb])), *data)
    bench.try_add('pytensor scan', pytensor_fn)

    def jax_fn():
        jax = _jax()
        jnp = jax.numpy

        def cost_fn(w_in, w_rec, bb, xs, h_0):
            last, _ = jax.lax.scan(lambda h, xt: (jnp.tanh(xt @ w_in + h @ w_rec + bb), None), h_0, xs)
            return last.sum()
        f = jax.jit(jax.value_and_grad(cost_fn, argnums=(0, 1, 2)))
        xs, h_0, w_in, w_rec, bb = data
        jax.block_until_ready(f(w_in, w_rec, bb, xs, h_0))
        return lambda: jax.block_until_ready(f(w_in, w_rec, bb, xs, h_0))
    bench.try_add('jax.lax.scan + grad (jit)', jax_fn)
    bench.run(baseline='numpy hand-written BPTT')


def main(argv=()):
    power()
    polynomial()
    rnn()


if __name__ == '__main__':
    main()
