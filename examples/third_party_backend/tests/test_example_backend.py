"""The worked example plugin, installed as a real distribution."""
import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph import backends

example = pytest.importorskip('tracegraph_example.override')


def test_example_backend_is_registered_and_available():
    assert backends.available()['example']


def test_tryfirst_override_replaces_one_lowering():
    x = T.fvector('x')
    f = tg.function([x], T.exp(x) * 2, backend='example', rewrites='none')
    before = example.CALLS['exp']
    v = np.array([0.5, -1.0], dtype='float32')
    out = f(v)
    assert example.CALLS['exp'] == before + 1
    np.testing.assert_allclose(out, np.exp(v) * 2, rtol=1e-6)
    assert out.dtype == np.float32
    assert 'exp_via_float64' in f.source


def test_other_backends_are_untouched():
    x = T.fvector('x')
    f = tg.function([x], T.exp(x), backend='numpy', rewrites='none')
    before = example.CALLS['exp']
    f(np.ones(2, dtype='float32'))
    assert example.CALLS['exp'] == before
