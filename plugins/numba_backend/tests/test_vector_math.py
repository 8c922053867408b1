"""The branch-free exp/tanh/sigmoid (vector_math.py) against NumPy and SciPy, in ulps."""
import numpy as np
import pytest
import scipy.special

pytest.importorskip('numba')
from numba import njit  # noqa: E402

from tracegraph_numba import vector_math  # noqa: E402

RNG = np.random.default_rng(0)
POINTS = np.concatenate([
    np.linspace(-760, 720, 400_001), RNG.standard_normal(50_000), RNG.standard_normal(20_000) * 1e-6,
    np.linspace(-745.2, -700, 20_001),
    [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-310, -1e-310, 5e-324, 709.78, 709.79, -745.13, -745.14]])


def _sigmoid(x):
    # SciPy's expit flushes results below 1e-308 to zero; there sigmoid(x) is exp(x).
    return np.where(x < -40, np.exp(x), scipy.special.expit(x))


CASES = {'nb_exp': np.exp, 'nb_tanh': np.tanh, 'nb_sigmoid': _sigmoid}


def _elementwise(fn):
    @njit(error_model='numpy')
    def loop(x, out):
        for i in range(x.shape[0]):
            out[i] = fn(x[i])
    return loop


@pytest.mark.parametrize('name', sorted(CASES))
def test_within_four_ulp_of_numpy_and_same_special_values(name):
    out = np.empty_like(POINTS)
    _elementwise(getattr(vector_math, name))(POINTS, out)
    with np.errstate(all='ignore'):
        ref = CASES[name](POINTS)
    assert np.array_equal(np.isnan(out), np.isnan(ref))
    assert np.array_equal(out[np.isinf(ref)], ref[np.isinf(ref)])
    normal = np.isfinite(ref) & (np.abs(ref) >= np.finfo(np.float64).tiny)
    ulps = np.abs(out[normal] - ref[normal]) / np.spacing(np.abs(ref[normal]))
    assert ulps.max() <= 4
    # Subnormal and zero results: within one step of the smallest subnormal.
    tiny = np.isfinite(ref) & ~normal
    assert np.abs(out[tiny] - ref[tiny]).max() <= 5e-324
    assert np.array_equal(np.signbit(out[ref == 0]), np.signbit(ref[ref == 0]))


def test_float32_arguments_are_computed_in_float64():
    x = np.linspace(-20, 20, 1001).astype(np.float32)
    out = np.empty(x.shape, np.float64)
    _elementwise(vector_math.nb_tanh)(x, out)
    np.testing.assert_allclose(out.astype(np.float32), np.tanh(x.astype(np.float64)).astype(np.float32),
                               rtol=2 ** -23)
