"""A compiled function's generated module leaves sys.modules with the function
(before, every distinct function kept ~1 MB of module for the life of the process)."""
import gc
import os
import sys
import weakref

import numpy as np
import pytest

pytest.importorskip('numba')

import tracegraph as tg  # noqa: E402
import tracegraph.tensor as T  # noqa: E402


def _module_name(fn):
    stem = os.path.basename(fn.executable.extra['module_path'])[3:-3]
    return f'tracegraph_numba_generated_{stem}'


def test_the_graph_module_is_freed_with_its_function():
    x = T.dvector('x')
    y = T.exp(x) * 3.5 - x
    f = tg.function([x], y, backend='numba')
    g = tg.function([x], y, backend='numba')  # the same file: one name, two modules
    name = _module_name(f)
    assert name == _module_name(g) and name in sys.modules
    np.testing.assert_allclose(f(np.arange(3.0)), np.exp(np.arange(3.0)) * 3.5 - np.arange(3.0))
    del f
    gc.collect()
    assert name in sys.modules, "g's module was taken out with f"
    np.testing.assert_allclose(g(np.ones(2)), np.exp(1.0) * 3.5 - 1.0)
    dispatcher = weakref.ref(g.executable.extra['jit'])
    del g
    gc.collect()
    assert name not in sys.modules
    assert dispatcher() is None, 'the Numba dispatcher (and its machine code) outlived g'
