"""Fused elementwise chains over arrays large enough for blocked, threaded kernels
(tracegraph.kernels.blocked.THRESHOLD: 16,384 float64 elements), against NumPy eager.

A backend may compute exp and tanh with its own vector math (a few ulp from NumPy's, as
Numba's does where NumPy's loops lack AVX-512): where a chain cancels to near 0 that is
an absolute error of a few ulp of its O(1) terms, hence the `atol`s below."""
import numpy as np
import pytest
import scipy.special

import tracegraph as tg
import tracegraph.tensor as T

N = 200_003  # not a multiple of any block size: the last block is partial
RNG = np.random.default_rng(7)


def _chain(x, y, exp, tanh):
    return (x * y + 2 * x - exp(-y)) * tanh(x)


@pytest.mark.parametrize('dtype', ['float64', 'float32'])
def test_fused_chain_on_large_vectors(backend, dtype):
    x, y = T.vector('x', dtype=dtype), T.vector('y', dtype=dtype)
    f = tg.function([x, y], _chain(x, y, T.exp, T.tanh), backend=backend)
    a, b = (RNG.standard_normal(N).astype(dtype) for _ in range(2))
    out = f(a, b)
    assert out.dtype == dtype and out.shape == (N,)
    tol = 1e-5 if dtype == 'float32' else 1e-13
    np.testing.assert_allclose(out, _chain(a, b, np.exp, np.tanh), rtol=tol, atol=tol / 100)


def test_large_logistic_matches_expit_everywhere(backend):
    x = T.dvector('x')
    f = tg.function([x], 1 / (1 + T.exp(-x)), backend=backend)
    a = np.linspace(-800, 800, N)
    # Below 2.2e-308 values are subnormal: their error is absolute (expit's own is 5.6e-309).
    np.testing.assert_allclose(f(a), scipy.special.expit(a), rtol=1e-14, atol=1e-307)


def test_broadcast_and_non_contiguous_inputs(backend):
    m, row = T.dmatrix('m'), T.drow('row')
    s = T.dscalar('s')
    f = tg.function([m, row, s], T.tanh(m * row + s) - T.switch(m > 0, m, s), backend=backend)
    a = RNG.standard_normal((600, 400))
    r = RNG.standard_normal((1, 400))
    for value in (a, a.T.copy().T, a[:, ::-1]):  # C-contiguous, F-contiguous, strided
        expected = np.tanh(value * r + 0.5) - np.where(value > 0, value, 0.5)
        np.testing.assert_allclose(f(value, r, 0.5), expected, rtol=1e-13, atol=1e-15)


def test_large_in_place_update(backend):
    w = tg.shared(RNG.standard_normal(N), name='w')
    g = T.dvector('g')
    step = tg.function([g], [], updates=[(w, w - 0.1 * T.tanh(g) * w)], backend=backend)
    w0 = w.get_value()
    grad = RNG.standard_normal(N)
    step(grad)
    np.testing.assert_allclose(w.get_value(), w0 - 0.1 * np.tanh(grad) * w0, rtol=1e-14)


def test_values_read_twice_inside_a_fused_chain(backend):
    x = T.dvector('x')
    e = T.exp(x)
    f = tg.function([x], (e * e - e) * T.tanh(e) + T.sqrt(e * e), backend=backend)
    a = RNG.standard_normal(N)
    ea = np.exp(a)
    np.testing.assert_allclose(f(a), (ea * ea - ea) * np.tanh(ea) + np.sqrt(ea * ea), rtol=1e-13)
