"""Issue 20's linear-algebra row: the log-density of a batch of multivariate normals,
each with its own covariance, and its gradient with respect to the means and the
covariances: a batched Cholesky factorization, a triangular solve and a log-det.

    logp = sum_b [ -|L_b^-1 (x_b - mu_b)|^2 / 2 - sum(log diag L_b) - n log(2 pi) / 2 ],
    L_b = cholesky(S_b)

Side by side in one run: each tracegraph backend (tg.function of the value and
T.grad), eager NumPy with the gradient written by hand (the analytic
formulas), and jax.jit(jax.value_and_grad).  Results are checked against the eager
reference first.  Cholesky reads only the lower triangle of S, so tracegraph's and
SciPy's gradient w.r.t. S is w.r.t. those entries; JAX's is the symmetric one; both
are converted to the symmetric form before the check.

    python -m bench.linalg [--quick]
"""
from __future__ import annotations

import math

import numpy as np

from bench.harness import Bench, tracegraph_backends

SIZES = ((512, 8), (64, 48))     # (batch, dimension)
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def data(batch, n, seed=0):
    rng = np.random.default_rng(seed)
    g = rng.standard_normal((batch, n, n))
    S = g @ np.swapaxes(g, -1, -2) / n + np.eye(n)
    return rng.standard_normal((batch, n)), rng.standard_normal((batch, n)), S


def eager(x, mu, S):
    """NumPy, value and hand-written gradient (a = S^-1 r: dmu = a, dS = (a a^T - S^-1) / 2).
    The batched triangular solves are numpy.linalg.solve on the factors (one C loop over
    the batch; scipy.linalg.solve_triangular loops over a batch in Python)."""
    n = x.shape[-1]
    L = np.linalg.cholesky(S)
    r = x - mu
    z = np.linalg.solve(L, r[..., None])[..., 0]
    logdet = np.log(np.diagonal(L, axis1=-2, axis2=-1)).sum()
    value = -0.5 * np.sum(z * z) - logdet - x.shape[0] * n * HALF_LOG_2PI
    lt = np.swapaxes(L, -1, -2)
    a = np.linalg.solve(lt, z[..., None])[..., 0]
    linv = np.linalg.solve(L, np.broadcast_to(np.eye(n), S.shape))
    s_inv = np.swapaxes(linv, -1, -2) @ linv
    return value, a, 0.5 * (a[:, :, None] * a[:, None, :] - s_inv)


def tracegraph_function(backend):
    import tracegraph as tg
    import tracegraph.tensor as T
    from tracegraph.tensor import slinalg
    x, mu, S = T.dmatrix('x'), T.dmatrix('mu'), T.dtensor3('S')
    L = slinalg.cholesky(S)
    z = slinalg.solve_triangular(L, x - mu, lower=True)
    diag = L * T.eye(S.shape[-1])          # the log-det from the factor's diagonal
    logdet = T.log(diag.sum(axis=-1)).sum()
    value = -0.5 * T.sqr(z).sum() - logdet - x.shape[0] * x.shape[1] * HALF_LOG_2PI
    g_mu, g_S = T.grad(value, [mu, S])
    return tg.function([x, mu, S], [value, g_mu, g_S], backend=backend)


def jax_function():
    import jax
    import jax.numpy as jnp
    from jax.scipy.linalg import solve_triangular
    jax.config.update('jax_enable_x64', True)

    def logp(mu, S, x):
        L = jnp.linalg.cholesky(S)
        z = solve_triangular(L, (x - mu)[..., None], lower=True)[..., 0]
        logdet = jnp.log(jnp.diagonal(L, axis1=-2, axis2=-1)).sum()
        return -0.5 * jnp.sum(z * z) - logdet - x.shape[0] * x.shape[1] * HALF_LOG_2PI

    step = jax.jit(jax.value_and_grad(logp, argnums=(0, 1)))

    def run(x, mu, S):
        value, (g_mu, g_S) = step(mu, S, x)
        return jax.block_until_ready(value), g_mu, g_S
    return run


def symmetric(g_lower):
    """The symmetric gradient from one taken w.r.t. the lower triangle's entries."""
    low = np.tril(g_lower)
    diag = np.eye(g_lower.shape[-1]) * g_lower
    off = low - diag
    return diag + 0.5 * (off + np.swapaxes(off, -1, -2))


def _check(name, got, want, lower_triangle):
    value, g_mu, g_S = (np.asarray(v) for v in got)
    g_S = symmetric(g_S) if lower_triangle else g_S
    for what, a, b in (('value', value, want[0]), ('d/dmu', g_mu, want[1]), ('d/dS', g_S, want[2])):
        err = np.max(np.abs(a - b)) / max(1.0, np.max(np.abs(b)))
        if err > 1e-8:
            raise AssertionError(f'{name}: {what} differs from the eager reference ({err:.1e})')


def main(argv=()):
    quick = '--quick' in argv
    for batch, n in SIZES:
        x, mu, S = data(batch, n)
        want = eager(x, mu, S)
        bench = Bench(f'MVN log-density + gradient, batch {batch}, n {n}, float64',
                      repeat=5 if quick else 9)
        bench.add('numpy eager', lambda: eager(x, mu, S))
        for backend in tracegraph_backends():
            if backend in ('cupy', 'dask'):
                continue
            try:
                f = tracegraph_function(backend)
                _check(backend, f(x, mu, S), want, lower_triangle=True)
            except Exception as exc:  # a backend that cannot run it is a row, not a crash
                bench.skip(f'tracegraph {backend}', f'{type(exc).__name__}: {exc}'.splitlines()[0][:100])
                continue
            bench.add(f'tracegraph {backend}', lambda f=f: f(x, mu, S))
        try:
            jf = jax_function()
            _check('jax.jit', jf(x, mu, S), want, lower_triangle=False)
            bench.add('jax.jit', lambda: jf(x, mu, S))
        except Exception as exc:
            bench.skip('jax.jit', f'{type(exc).__name__}: {exc}'.splitlines()[0][:100])
        bench.run(baseline='numpy eager')


if __name__ == '__main__':
    import sys
    main(sys.argv[1:])
