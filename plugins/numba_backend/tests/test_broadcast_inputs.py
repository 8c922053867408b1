"""Broadcast (stride-0) and strided inputs are read where they lie, never copied whole
(sums and full argmax/argmin used to copy them to contiguous arrays)."""
import tracemalloc

import numpy as np
import pytest

pytest.importorskip('numba')

import tracegraph as tg  # noqa: E402
import tracegraph.tensor as T  # noqa: E402
from tracegraph import backends  # noqa: E402

pytestmark = pytest.mark.skipif(not backends.available().get('numba'), reason='numba backend unavailable')


def _peak(fn, *args):
    tracemalloc.start()
    try:
        result = fn(*args)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_sums_of_broadcast_and_strided_views_keep_the_views_and_numpys_bits():
    x, m = T.dvector('x'), T.dmatrix('m')
    f = tg.function([x, m], [x.sum(), m.sum(axis=1), x.argmax()], backend='numba')
    rng = np.random.default_rng(3)
    wide = np.broadcast_to(rng.standard_normal(1000), (2000, 1000))     # stride 0 on axis 0
    big = np.broadcast_to(np.float64(0.1), (2 * 10 ** 7,))             # 160 MB if copied
    (total, rows, big_arg), peak = _peak(f, big, wide)
    assert peak < 20 * 2 ** 20, f'{peak / 2 ** 20:.0f} MiB allocated: a view was copied'
    assert total == np.sum(big)
    np.testing.assert_array_equal(rows, wide.sum(axis=1))
    assert big_arg == np.argmax(big)
    strided = rng.standard_normal(20011)[::3]                           # not contiguous
    strided.flags.writeable = False  # the broadcast views' Numba type: no new specialization
    total, rows, arg = f(strided, wide[:, ::7])
    assert total == np.sum(strided)  # NumPy sums a strided row in the same pairwise order
    np.testing.assert_array_equal(rows, wide[:, ::7].sum(axis=1))
    assert arg == np.argmax(strided)
