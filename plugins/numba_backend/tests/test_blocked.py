"""The blocked NumPy path (blocked.py) with broadcast operands: NumPy's values, any layout."""
import numpy as np
import pytest

pytest.importorskip('numba')

from tracegraph_numba import blocked  # noqa: E402

# coeff * base ** power, as the scan of the polynomial benchmark is vectorized.
POLYNOMIAL = (('float64', 'int64', 'float64'),
              (('pow', None, (0, 1), 'float64'), ('mul', None, (2, 3), 'float64')), (4,))


def _ulps(a, b):
    return np.abs(a - b) / np.spacing(np.maximum(np.abs(a), np.abs(b)))


@pytest.mark.parametrize('base', [np.float64(0.999), np.full(1, 0.999), np.full((1,), -1.5)])
def test_a_broadcast_base_gives_numpys_power(base):
    n = 3 * blocked.BLOCK + 17           # several blocks, the last one short
    power = np.arange(n) % 50
    coeffs = np.random.default_rng(0).standard_normal(n)
    out, = blocked.evaluate(POLYNOMIAL, (n,), base, power, coeffs)
    dense = coeffs * np.power(np.full(n, np.ravel(base)[0]), power.astype(np.float64))
    np.testing.assert_array_equal(out, dense)
    assert _ulps(out, coeffs * np.power(np.ravel(base)[0], power)).max() <= 1


def test_broadcast_operands_of_power_reach_numpy_as_contiguous_blocks():
    # NumPy's SIMD power needs every operand contiguous (twice as fast as with a
    # broadcast base); the values must be those of the broadcast operand.
    block = np.arange(10.0)
    scratch = {}
    ins = blocked._contiguous([np.array(0.5), block], np.empty(10), scratch, 0)
    assert all(x.flags.c_contiguous and x.shape == (10,) for x in ins)
    np.testing.assert_array_equal(ins[0], np.full(10, 0.5))
    assert ins[1] is block
    # All operands broadcast: the result is too, nothing to copy.
    both = [np.array(0.5), np.array(2.0)]
    assert blocked._contiguous(both, np.empty(10), scratch, 1) is both


def test_a_base_broadcast_along_one_axis_of_a_matrix():
    base = np.linspace(0.5, 1.5, 300)[None, :]           # shape (1, 300): stride 0 along rows
    power = np.arange(200 * 300).reshape(200, 300) % 40
    coeffs = np.ones((200, 300))
    out, = blocked.evaluate(POLYNOMIAL, (200, 300), base, power, coeffs)
    assert _ulps(out, np.power(base, power)).max() <= 1


def test_nan_and_special_powers_are_numpys():
    base = np.array([np.nan, 0.0, -0.0, np.inf, -np.inf, -2.0, 1.0, -1.0])
    for b in base:
        power = np.tile(np.array([0, 1, 2, 3, -1, -2, 1000, -1000]), 1000)
        out, = blocked.evaluate(POLYNOMIAL, power.shape, np.float64(b), power, np.ones(power.shape))
        with np.errstate(all='ignore'):
            np.testing.assert_array_equal(out, np.power(b, power.astype(np.float64)))
