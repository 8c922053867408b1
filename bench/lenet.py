"""Issue 19's LeNet training step: batch 500 of 1x28x28 images, 20 then 50 5x5 filters,
2x2 max pooling, 500 tanh hidden units, 10 classes, one SGD step (forward, gradients of
every parameter, updates), float32 and float64.

Side by side in one run: each tracegraph backend (a Theano-style function with shared
parameters and updates), an eager NumPy step written here by hand (im2col through a
sliding-window view and tensordot, pooling by reshape, the backward pass written out),
jax.jit of the same step, and PyTensor's default mode where it can build it.  Every
implementation starts from the same parameters; the first step's loss is checked
against the eager NumPy one before timing.

    python -m bench.lenet [--quick]
"""
from __future__ import annotations

import numpy as np

from bench.harness import Bench, tracegraph_backends

B, K0, K1, HIDDEN, CLASSES, LR = 500, 20, 50, 500, 10, 0.1
SHAPES = {'W0': (K0, 1, 5, 5), 'b0': (K0,), 'W1': (K1, K0, 5, 5), 'b1': (K1,),
          'W2': (K1 * 4 * 4, HIDDEN), 'b2': (HIDDEN,), 'W3': (HIDDEN, CLASSES), 'b3': (CLASSES,)}


def initial(dtype, seed=0):
    rng = np.random.default_rng(seed)
    params = {k: (rng.standard_normal(s) * (0.1 if k[0] == 'W' else 0.0)).astype(dtype) for k, s in SHAPES.items()}
    x = rng.standard_normal((B, 1, 28, 28)).astype(dtype)
    y = rng.integers(0, CLASSES, B).astype('int32')
    return params, x, y


# -- eager NumPy, by hand ---------------------------------------------------------------
def _windows(x, k):
    return np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))


def _conv(x, w):
    """A true ('valid') convolution: correlation with the flipped filters."""
    return np.tensordot(_windows(x, w.shape[2]), w[:, :, ::-1, ::-1], axes=((1, 4, 5), (1, 2, 3))).transpose(0, 3, 1, 2)


def _conv_backward(x, w, g, need_input=True):
    k = w.shape[2]
    gw = np.tensordot(g, _windows(x, k), axes=((0, 2, 3), (0, 2, 3)))[:, :, ::-1, ::-1]
    if not need_input:
        return None, gw
    gp = np.pad(g, ((0, 0), (0, 0), (k - 1, k - 1), (k - 1, k - 1)))
    gx = np.tensordot(_windows(gp, k), w, axes=((1, 4, 5), (0, 2, 3))).transpose(0, 3, 1, 2)
    return gx, gw


def _pool(x):
    b, c, h, w = x.shape
    return x.reshape(b, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def _pool_backward(x, y, g):
    b, c, h, w = x.shape
    mask = x.reshape(b, c, h // 2, 2, w // 2, 2) == y[:, :, :, None, :, None]
    return (mask * g[:, :, :, None, :, None]).reshape(x.shape)


def numpy_step(p, x, y):
    c0 = _conv(x, p['W0'])
    q0 = _pool(c0)
    h0 = np.tanh(q0 + p['b0'][:, None, None])
    c1 = _conv(h0, p['W1'])
    q1 = _pool(c1)
    h1 = np.tanh(q1 + p['b1'][:, None, None])
    f = h1.reshape(B, -1)
    h2 = np.tanh(f @ p['W2'] + p['b2'])
    z = h2 @ p['W3'] + p['b3']
    e = np.exp(z - z.max(axis=1, keepdims=True))
    prob = e / e.sum(axis=1, keepdims=True)
    rows = np.arange(B)
    loss = -np.log(prob[rows, y]).mean()
    gz = prob.copy()
    gz[rows, y] -= 1
    gz /= B
    g = {'W3': h2.T @ gz, 'b3': gz.sum(0)}
    ga2 = (gz @ p['W3'].T) * (1 - h2 ** 2)
    g['W2'], g['b2'] = f.T @ ga2, ga2.sum(0)
    ga1 = (ga2 @ p['W2'].T).reshape(h1.shape) * (1 - h1 ** 2)
    g['b1'] = ga1.sum(axis=(0, 2, 3))
    gh0, g['W1'] = _conv_backward(h0, p['W1'], _pool_backward(c1, q1, ga1))
    ga0 = gh0 * (1 - h0 ** 2)
    g['b0'] = ga0.sum(axis=(0, 2, 3))
    _, g['W0'] = _conv_backward(x, p['W0'], _pool_backward(c0, q0, ga0), need_input=False)
    for k in p:
        p[k] -= (LR * g[k]).astype(p[k].dtype)
    return loss


# -- tracegraph, as a Theano program ------------------------------------------------------
def tracegraph_step(backend, params, dtype):
    import tracegraph as tg
    import tracegraph.tensor as T
    from tracegraph.tensor.nnet import conv2d
    from tracegraph.tensor.signal import pool
    shared = {k: tg.shared(v.copy(), name=k) for k, v in params.items()}
    x = T.tensor(dtype, shape=(B, 1, 28, 28), name='x')
    y = T.ivector('y')
    h0 = T.tanh(pool.pool_2d(conv2d(x, shared['W0'], filter_shape=SHAPES['W0']), (2, 2), ignore_border=True)
                + shared['b0'].dimshuffle('x', 0, 'x', 'x'))
    h1 = T.tanh(pool.pool_2d(conv2d(h0, shared['W1'], filter_shape=SHAPES['W1']), (2, 2), ignore_border=True)
                + shared['b1'].dimshuffle('x', 0, 'x', 'x'))
    h2 = T.tanh(T.dot(h1.flatten(2), shared['W2']) + shared['b2'])
    prob = T.nnet.softmax(T.dot(h2, shared['W3']) + shared['b3'])
    loss = -T.mean(T.log(prob)[T.arange(y.shape[0]), y])
    names = list(SHAPES)
    grads = T.grad(loss, [shared[k] for k in names])
    updates = [(shared[k], shared[k] - np.asarray(LR, dtype) * g) for k, g in zip(names, grads)]
    return tg.function([x, y], loss, updates=updates, backend=backend)


# -- jax.jit --------------------------------------------------------------------------
def jax_step(params, dtype):
    import jax
    import jax.numpy as jnp
    from jax import lax
    if dtype == 'float64':
        jax.config.update('jax_enable_x64', True)

    def conv(x, w):
        return lax.conv_general_dilated(x, w[:, :, ::-1, ::-1], (1, 1), 'VALID')

    def pool(x):
        return lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), 'VALID')

    def loss_fn(p, x, y):
        h0 = jnp.tanh(pool(conv(x, p['W0'])) + p['b0'][:, None, None])
        h1 = jnp.tanh(pool(conv(h0, p['W1'])) + p['b1'][:, None, None])
        h2 = jnp.tanh(h1.reshape(B, -1) @ p['W2'] + p['b2'])
        logp = jax.nn.log_softmax(h2 @ p['W3'] + p['b3'])
        return -jnp.mean(logp[jnp.arange(B), y])

    @jax.jit
    def step(p, x, y):
        loss, g = jax.value_and_grad(loss_fn)(p, x, y)
        return loss, {k: p[k] - LR * g[k] for k in p}

    state = {'p': {k: jnp.asarray(v) for k, v in params.items()}}

    def run(x, y):
        loss, state['p'] = step(state['p'], x, y)
        return float(jax.block_until_ready(loss))
    return run


def pytensor_step(params, dtype):
    import pytensor
    import pytensor.tensor as pt
    try:
        from pytensor.tensor.conv import conv2d
        from pytensor.tensor.signal.pool import pool_2d
    except ImportError:
        raise ImportError(f'PyTensor {pytensor.__version__} has no CNN conv2d or pool_2d '
                          '(pytensor.tensor.conv and signal.pool were removed)') from None
    shared = {k: pytensor.shared(v.copy(), name=k) for k, v in params.items()}
    x, y = pt.tensor(dtype=dtype, shape=(B, 1, 28, 28)), pt.ivector()
    h0 = pt.tanh(pool_2d(conv2d(x, shared['W0']), (2, 2), ignore_border=True) + shared['b0'].dimshuffle('x', 0, 'x', 'x'))
    h1 = pt.tanh(pool_2d(conv2d(h0, shared['W1']), (2, 2), ignore_border=True) + shared['b1'].dimshuffle('x', 0, 'x', 'x'))
    h2 = pt.tanh(h1.flatten(2) @ shared['W2'] + shared['b2'])
    prob = pt.special.softmax(h2 @ shared['W3'] + shared['b3'], axis=1)
    loss = -pt.mean(pt.log(prob)[pt.arange(y.shape[0]), y])
    grads = pytensor.grad(loss, list(shared.values()))
    return pytensor.function([x, y], loss, updates=[(s, s - LR * g) for s, g in zip(shared.values(), grads)])


def main(argv=()):
    quick = '--quick' in argv
    repeat = 3 if quick else 7
    for dtype in ('float32', 'float64'):
        params, x, y = initial(dtype)
        want = numpy_step({k: v.copy() for k, v in params.items()}, x, y)
        tol = 1e-4 if dtype == 'float32' else 1e-9
        bench = Bench(f'LeNet SGD step, batch {B}, 1x28x28, {K0}/{K1} 5x5 filters, {dtype}', repeat=repeat, number=1)
        eager = {k: v.copy() for k, v in params.items()}
        bench.add('numpy eager (im2col by hand)', lambda: numpy_step(eager, x, y))
        makers = [(f'tracegraph {b}', lambda b=b: (lambda f: lambda: f(x, y))(tracegraph_step(b, params, dtype)))
                  for b in tracegraph_backends() if b != 'cupy']
        makers += [('jax.jit', lambda: (lambda f: lambda: f(x, y))(jax_step(params, dtype))),
                   ('pytensor', lambda: (lambda f: lambda: f(x, y))(pytensor_step(params, dtype)))]
        for name, make in makers:
            try:
                fn = make()
                got = float(fn())   # the first step: same parameters as the reference
                if abs(got - want) > tol * max(1.0, abs(want)):
                    raise AssertionError(f'first-step loss {got} != eager NumPy {want}')
            except Exception as exc:    # a backend that cannot run it is a row, not a crash
                bench.skip(name, f'{type(exc).__name__}: {exc}'.splitlines()[0][:110])
                continue
            bench.add(name, fn)
        bench.run(baseline='jax.jit')


if __name__ == '__main__':
    import sys
    main(sys.argv[1:])
