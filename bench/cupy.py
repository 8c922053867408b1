"""The CuPy backend on a GPU, next to JAX on the same GPU.

    python -m bench.run cupy

1. A fused elementwise chain on 10**8 float32 values: the effective bandwidth
   (4 bytes read + 4 written per value) next to the device's measured copy
   bandwidth (target: 70% or more of it).
2. One SGD step of an MLP 784-1024-1024-10 on a batch of 4096 (float32).
3. An RNN by scan (100 steps, batch 64, 256 hidden units): forward and gradient.

Inputs and parameters live in shared variables and results in updates, so the
timings are of the GPU work, not of host transfers; each timed call ends with a
device synchronization.  On a machine without a GPU (or without CuPy) it prints
that it skipped and why.
"""
from __future__ import annotations

import numpy as np

from bench.harness import Bench, time_once

N_CHAIN = 10 ** 8


def _reason():
    from tracegraph import backends
    status = backends.available().get('cupy')
    if status is None:
        return 'the CuPy backend is not installed (pip install -e plugins/cupy_backend[cuda12])'
    return None if status else status.reason


def _synced(fn):
    import cupy

    def call():
        fn()
        cupy.cuda.Device().synchronize()
    return call


def _jax_gpu():
    import jax
    if not any(d.platform == 'gpu' for d in jax.devices()):
        raise RuntimeError('JAX sees no GPU (install jax[cuda12])')
    return jax


# -- 1. the fused chain ---------------------------------------------------------------
def chain(T, x):
    return T.tanh(x * 0.5 + 1.0) * T.exp(-x * x) + T.sqrt(T.abs_(x))


def chain_step(backend, n):
    """(step, x, y, x_host): `step()` writes chain(x) into the shared variable y."""
    import tracegraph as tg
    import tracegraph.tensor as T
    x_host = np.random.default_rng(0).standard_normal(n, dtype=np.float32)
    x = tg.shared(x_host, name='x')
    y = tg.shared(np.zeros(n, np.float32), name='y')
    step = tg.function([], [], updates=[(y, chain(T, x))], backend=backend)
    return step, x, y, x_host


def bench_chain():
    import cupy
    step, x, y, x_host = chain_step('cupy', N_CHAIN)
    step()
    a = x.get_value(borrow=True, return_internal_type=True)
    b = cupy.empty_like(a)

    bench = Bench(f'fused elementwise chain, {N_CHAIN:.0e} float32 (GPU)', repeat=9)
    bench.add('device copy (b[...] = a)', _synced(lambda: b.__setitem__(Ellipsis, a)))
    bench.add('tracegraph cupy', _synced(step))

    def make_jax():
        jax = _jax_gpu()
        import jax.numpy as jnp
        xj = jax.device_put(x_host)
        f = jax.jit(lambda v: jnp.tanh(v * 0.5 + 1.0) * jnp.exp(-v * v) + jnp.sqrt(jnp.abs(v)))
        f(xj).block_until_ready()
        return lambda: f(xj).block_until_ready()
    bench.try_add('jax.jit', make_jax)
    bench.run(baseline='device copy (b[...] = a)')
    rows = {r.name: r for r in bench.rows if r.times}
    if 'tracegraph cupy' in rows:
        copy_bw = 2 * 4 * N_CHAIN / rows['device copy (b[...] = a)'].median
        chain_bw = 2 * 4 * N_CHAIN / rows['tracegraph cupy'].median
        print(f'  effective bandwidth: {chain_bw / 1e9:.0f} GB/s = {chain_bw / copy_bw:.0%} of the '
              f'measured copy bandwidth ({copy_bw / 1e9:.0f} GB/s); target 70%')
        np.testing.assert_allclose(y.get_value()[:1000], _chain_numpy(x_host[:1000]), rtol=1e-5)


def _chain_numpy(v):
    return np.tanh(v * 0.5 + 1.0) * np.exp(-v * v) + np.sqrt(np.abs(v))


# -- 2. an MLP training step -------------------------------------------------------------
LAYERS = (784, 1024, 1024, 10)
BATCH = 4096


def _mlp_data(layers, batch):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((batch, layers[0]), dtype=np.float32)
    labels = rng.integers(0, layers[-1], batch)
    weights = [(rng.standard_normal((a, b)) * np.sqrt(2 / a)).astype(np.float32)
               for a, b in zip(layers[:-1], layers[1:])]
    return X, labels, weights


def mlp_step(backend, layers=LAYERS, batch=BATCH):
    """(step, params, X_host, labels_host, lr): one SGD step of the MLP per call."""
    import tracegraph as tg
    import tracegraph.tensor as T
    X_host, labels_host, weights = _mlp_data(layers, batch)
    X = tg.shared(X_host, name='X')
    y = tg.shared(labels_host, name='y')
    params = []
    for k, w in enumerate(weights):
        params.append(tg.shared(w, name=f'W{k}'))
        params.append(tg.shared(np.zeros(w.shape[1], np.float32), name=f'b{k}'))
    h = X
    for k in range(0, len(params) - 2, 2):
        h = T.nnet.relu(T.dot(h, params[k]) + params[k + 1])
    probs = T.nnet.softmax(T.dot(h, params[-2]) + params[-1])
    cost = T.nnet.categorical_crossentropy(probs, y).mean()
    grads = tg.grad(cost, params)
    lr = np.float32(0.01)
    step = tg.function([], [], updates=[(p, p - lr * g) for p, g in zip(params, grads)], backend=backend)
    return step, params, X_host, labels_host, lr


def bench_mlp():
    step, params, X_host, labels_host, lr = mlp_step('cupy')
    step()
    bench = Bench(f'MLP {"-".join(map(str, LAYERS))} SGD step, batch {BATCH} (GPU)', repeat=9)
    bench.add('tracegraph cupy', _synced(step))

    def make_jax():
        jax = _jax_gpu()
        import jax.numpy as jnp

        def loss(ps, xb, yb):
            h = xb
            for k in range(0, len(ps) - 2, 2):
                h = jax.nn.relu(h @ ps[k] + ps[k + 1])
            logp = jax.nn.log_softmax(h @ ps[-2] + ps[-1])
            return -jnp.mean(logp[jnp.arange(yb.shape[0]), yb])

        @jax.jit
        def sgd(ps, xb, yb):
            gs = jax.grad(loss)(ps, xb, yb)
            return [p - lr * g for p, g in zip(ps, gs)]
        ps = [jax.device_put(p.get_value()) for p in params]
        xb, yb = jax.device_put(X_host), jax.device_put(labels_host)
        state = {'ps': sgd(ps, xb, yb)}

        def run():
            state['ps'] = sgd(state['ps'], xb, yb)
            state['ps'][0].block_until_ready()
        return run
    bench.try_add('jax.jit', make_jax)
    bench.run(baseline='jax.jit')


# -- 3. an RNN by scan ----------------------------------------------------------------
STEPS, RNN_BATCH, HIDDEN = 100, 64, 256


def rnn_step(backend, steps=STEPS, batch=RNN_BATCH, hidden=HIDDEN):
    """(step, W, U, xs_host, W_host, U_host, lr): one SGD step through the scan per call."""
    import tracegraph as tg
    import tracegraph.tensor as T
    rng = np.random.default_rng(2)
    xs_host = rng.standard_normal((steps, batch, hidden), dtype=np.float32)
    W_host = (rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)).astype(np.float32)
    U_host = (rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)).astype(np.float32)
    xs, W, U = tg.shared(xs_host, name='xs'), tg.shared(W_host, name='W'), tg.shared(U_host, name='U')
    h0 = T.zeros((batch, hidden), dtype='float32')
    hs, _ = tg.scan(lambda x, h, W, U: T.tanh(T.dot(x, W) + T.dot(h, U)), sequences=xs,
                    outputs_info=h0, non_sequences=[W, U])
    cost = (hs[-1] ** 2).sum()
    gW, gU = tg.grad(cost, [W, U])
    lr = np.float32(1e-3)
    step = tg.function([], [], updates=[(W, W - lr * gW), (U, U - lr * gU)], backend=backend)
    return step, W, U, xs_host, W_host, U_host, lr


def bench_rnn():
    step, W, U, xs_host, W_host, U_host, lr = rnn_step('cupy')
    step()
    bench = Bench(f'RNN by scan, {STEPS} steps, batch {RNN_BATCH}, {HIDDEN} hidden: SGD step (GPU)',
                  repeat=7)
    bench.add('tracegraph cupy', _synced(step))

    def make_jax():
        jax = _jax_gpu()
        import jax.numpy as jnp

        def loss(W, U, xs):
            def cell(h, x):
                h = jnp.tanh(x @ W + h @ U)
                return h, None
            h, _ = jax.lax.scan(cell, jnp.zeros((RNN_BATCH, HIDDEN), jnp.float32), xs)
            return jnp.sum(h ** 2)

        @jax.jit
        def sgd(W, U, xs):
            gW, gU = jax.grad(loss, argnums=(0, 1))(W, U, xs)
            return W - lr * gW, U - lr * gU
        state = {'W': jax.device_put(W_host), 'U': jax.device_put(U_host)}
        xj = jax.device_put(xs_host)

        def run():
            state['W'], state['U'] = sgd(state['W'], state['U'], xj)
            state['U'].block_until_ready()
        run()
        return run
    bench.try_add('jax.jit (lax.scan)', make_jax)
    bench.run(baseline='jax.jit (lax.scan)')


def main(argv=()):
    reason = _reason()
    if reason:
        print(f'bench.cupy: skipped: {reason}')
        return
    import cupy
    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
    print(f'bench.cupy on {props["name"].decode()} (CuPy {cupy.__version__})')
    seconds = time_once(lambda: (bench_chain(), bench_mlp(), bench_rnn()))
    print(f'bench.cupy: done in {seconds:.0f} s')


if __name__ == '__main__':
    main()
