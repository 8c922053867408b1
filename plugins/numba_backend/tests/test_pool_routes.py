"""Pooling on numba (pool.py): the compiled loops (small inputs) and the route to the NumPy
backend's kernel (large inputs) both give the NumPy backend's values, forward and gradient."""
import numpy as np
import pytest

pytest.importorskip('numba')
import tracegraph as tg  # noqa: E402
import tracegraph.tensor as T  # noqa: E402
from tracegraph.tensor.signal import pool  # noqa: E402
from tracegraph_numba.pool import FORWARD_LOOP_UP_TO, GRADIENT_LOOP_UP_TO  # noqa: E402


def test_loops_and_numpy_route_agree_with_the_numpy_backend():
    x = T.dtensor4('x')
    peak = pool.pool_2d(x, (2, 2), ignore_border=True)
    mean = pool.pool_2d(x, (3, 3), ignore_border=True, stride=(2, 2), pad=(1, 1), mode='average_exc_pad')
    outputs = [peak, mean, *tg.grad((peak ** 2).sum() + (mean ** 2).sum(), [x])]
    f, reference = (tg.function([x], outputs, backend=b) for b in ('numba', 'numpy'))
    rng = np.random.default_rng(0)
    # every op by its loop; forward by NumPy's kernel, gradients by their loops; all by NumPy's
    for images in (1, 2, 4):
        v = rng.standard_normal((images, 20, 24, 24))
        assert (v.size <= FORWARD_LOOP_UP_TO) == (images == 1)
        assert (v.size <= GRADIENT_LOOP_UP_TO) == (images < 4)
        for got, want in zip(f(v), reference(v)):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
