"""Issue 4's workload: the Theano tutorial's logistic-regression training step.

400 examples of 784 features (a fixed seeded dataset), shared w and b, one step of
gradient descent per call, the gradient from tg.grad.  Timed on every tracegraph
backend next to NumPy with hand-written gradients, PyTensor and JAX; then w and b
after 1,000 steps are checked against the NumPy reference (1e-10 relative).
"""
from __future__ import annotations

import numpy as np

from bench.harness import Bench, tracegraph_backends

N, FEATS, LR, L2 = 400, 784, 0.1, 0.01


def dataset(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, FEATS))
    y = rng.integers(0, 2, N).astype('float64')
    w0 = rng.standard_normal(FEATS) * 0.05  # small enough that no p_1 rounds to 0 or 1
    return x, y, w0, 0.0


class NumpyReference:
    """The same step with the gradient written by hand: d cost / d z = (p - y) / N."""

    def __init__(self, w, b):
        self.w, self.b = w.copy(), float(b)

    def step(self, x, y):
        p = 1 / (1 + np.exp(-(x @ self.w) - self.b))
        xent = -y * np.log(p) - (1 - y) * np.log(1 - p)
        err = (p - y) / len(y)
        gw = x.T @ err + 2 * L2 * self.w
        gb = err.sum()
        self.w, self.b = self.w - LR * gw, self.b - LR * gb
        return p > 0.5, xent


def tracegraph_step(backend, w0, b0):
    """The tutorial's code, as written for Theano."""
    import tracegraph as theano
    import tracegraph.tensor as T
    x = T.dmatrix('x')
    y = T.dvector('y')
    w = theano.shared(w0.copy(), name='w')
    b = theano.shared(b0, name='b')
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + L2 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = theano.function([x, y], [prediction, xent], backend=backend,
                            updates=((w, w - LR * gw), (b, b - LR * gb)))
    return train, w, b


def pytensor_step(w0, b0):
    import pytensor
    import pytensor.tensor as pt
    x, y = pt.dmatrix('x'), pt.dvector('y')
    w, b = pytensor.shared(w0.copy(), name='w'), pytensor.shared(b0, name='b')
    p_1 = 1 / (1 + pt.exp(-pt.dot(x, w) - b))
    xent = -y * pt.log(p_1) - (1 - y) * pt.log(1 - p_1)
    cost = xent.mean() + L2 * (w ** 2).sum()
    gw, gb = pytensor.grad(cost, [w, b])
    train = pytensor.function([x, y], [p_1 > 0.5, xent], updates=((w, w - LR * gw), (b, b - LR * gb)))
    return train, w, b


def jax_step(w0, b0):
    import jax
    import jax.numpy as jnp
    jax.config.update('jax_enable_x64', True)

    def loss(params, x, y):
        w, b = params
        p_1 = 1 / (1 + jnp.exp(-x @ w - b))
        xent = -y * jnp.log(p_1) - (1 - y) * jnp.log(1 - p_1)
        return xent.mean() + L2 * (w ** 2).sum(), (p_1 > 0.5, xent)

    @jax.jit
    def step(params, x, y):
        grads, (prediction, xent) = jax.grad(loss, has_aux=True)(params, x, y)
        return tuple(p - LR * g for p, g in zip(params, grads)), prediction, xent

    state = {'params': (jnp.asarray(w0), jnp.asarray(b0))}

    def train(x, y):
        state['params'], prediction, xent = step(state['params'], x, y)
        xent.block_until_ready()
        return prediction, xent
    return train, state


def check_agreement(name, train, get_wb, reference_wb, steps, x, y):
    for _ in range(steps):
        train(x, y)
    w, b = get_wb()
    ref_w, ref_b = reference_wb
    err_w = float(np.max(np.abs(w - ref_w)) / np.max(np.abs(ref_w)))
    err_b = abs(float(b) - ref_b) / abs(ref_b)
    ok = err_w <= 1e-10 and err_b <= 1e-10
    print(f'  {name:<24} w rel err {err_w:.2e}, b rel err {err_b:.2e}: {"ok" if ok else "MISMATCH"}')
    return ok


def main(argv=()):
    steps = 100 if '--quick' in argv else 1000
    x, y, w0, b0 = dataset()
    bench = Bench(f'logistic regression step, {N}x{FEATS} float64')
    ref = NumpyReference(w0, b0)
    bench.add('numpy hand-written grad', lambda: ref.step(x, y))
    for name in tracegraph_backends():
        def make(name=name):
            train, _, _ = tracegraph_step(name, w0, b0)
            return lambda: train(x, y)
        bench.try_add(f'tracegraph {name}', make)
    bench.try_add('pytensor', lambda: (lambda f: lambda: f(x, y))(pytensor_step(w0, b0)[0]))
    bench.try_add('jax.jit', lambda: (lambda f: lambda: f(x, y))(jax_step(w0, b0)[0]))
    bench.run(baseline='numpy hand-written grad')

    print(f'\n  w and b after {steps} steps from the same start, against NumPy:')
    ref = NumpyReference(w0, b0)
    for _ in range(steps):
        ref.step(x, y)
    expected = (ref.w, ref.b)
    all_ok = True
    for name in tracegraph_backends():
        try:
            train, w, b = tracegraph_step(name, w0, b0)
        except Exception as exc:  # a backend that cannot compile it is reported, not fatal
            print(f'  tracegraph {name:<13} failed to compile: {type(exc).__name__}: {exc}'[:160])
            all_ok = False
            continue
        all_ok &= check_agreement(f'tracegraph {name}', train,
                                  lambda w=w, b=b: (w.get_value(), b.get_value()), expected, steps, x, y)
    try:
        train, w, b = pytensor_step(w0, b0)
        check_agreement('pytensor', train, lambda: (w.get_value(), b.get_value()), expected, steps, x, y)
    except ImportError as exc:
        print(f'  pytensor skipped: {exc}')
    try:
        train, state = jax_step(w0, b0)
        check_agreement('jax.jit', train, lambda: tuple(np.asarray(p) for p in state['params']),
                        expected, steps, x, y)
    except ImportError as exc:
        print(f'  jax skipped: {exc}')
    if not all_ok:
        raise SystemExit('tracegraph disagrees with the NumPy reference')


if __name__ == '__main__':
    import sys
    main(sys.argv[1:])
