"""`config.compile_in_background` on the Numba backend: the NumPy backend runs the calls
while a child process compiles, then the calls move to Numba's code
(tracegraph/compiler/background.py, linker.compile_job)."""
import threading
from dataclasses import dataclass

import numpy as np
import pytest

pytest.importorskip('numba')

import tracegraph as tg  # noqa: E402
import tracegraph.tensor as T  # noqa: E402
from tracegraph import backends, config  # noqa: E402
from tracegraph.ir import Apply, Op  # noqa: E402
from tracegraph_numba.linker import compile_job  # noqa: E402


@pytest.fixture
def in_background(monkeypatch, tmp_path):
    monkeypatch.setattr(config, 'compile_in_background', True)
    monkeypatch.setattr(config, 'cache_dir', str(tmp_path))    # nothing cached: the child compiles


def test_calls_move_from_numpy_to_numba_code_and_no_update_is_lost(in_background):
    x = T.dvector('x')
    calls = tg.shared(np.int64(0), name='calls')
    f = tg.function([x], T.tanh(x * 1.5) + x.sum(), updates=[(calls, calls + 1)], backend='numba')
    value = np.linspace(-2, 2, 7)
    results = []

    def call_many():   # on the NumPy backend's code, then on Numba's
        while not f.background_link.done.is_set():
            results.append(f(value))
        for _ in range(20):
            results.append(f(value))
    threads = [threading.Thread(target=call_many) for _ in range(3)]
    for thread in threads:
        thread.start()
    copied = f.copy()      # waits for the compile: it runs Numba's code, not the NumPy backend's
    assert 'jit' in copied.executable.extra
    assert f.finish_compile(timeout=600)
    for thread in threads:
        thread.join()
    results.append(f(value))
    assert 'jit' not in f.replaced.extra and 'jit' in f.executable.extra
    # The child process compiled it: this process loaded the machine code from disk.
    jit = f.executable.extra['jit']
    assert sum(jit.stats.cache_hits.values()) == 1 and not jit.stats.cache_misses
    assert compile_job(f.fgraph) is None    # on disk now: the same graph again starts no child
    expected = np.tanh(value * 1.5) + value.sum()
    for result in results:
        np.testing.assert_allclose(result, expected, rtol=1e-14)
    assert calls.get_value() == len(results) > 61


def test_a_failed_compile_warns_and_the_numpy_code_keeps_running(in_background, monkeypatch):
    numba_backend = type(backends.get('numba'))

    def broken(self, fgraph, options):
        raise RuntimeError('no machine code today')
    monkeypatch.setattr(numba_backend, 'compile_job', None)
    monkeypatch.setattr(numba_backend, 'link', broken)
    x = T.dvector('x')
    with pytest.warns(RuntimeWarning, match='keep running on the NumPy backend'):
        f = tg.function([x], T.exp(x) * 2, backend='numba')
        with pytest.raises(RuntimeError, match='no machine code today'):
            f.finish_compile()
    value = np.arange(3.0)
    np.testing.assert_array_equal(f(value), np.exp(value) * 2)
    np.testing.assert_array_equal(f.copy()(value), np.exp(value) * 2)


def test_an_op_numba_cannot_lower_is_still_an_error_at_function_time(in_background):
    @dataclass(frozen=True)
    class Mystery(Op):
        def make_node(self, x):
            return Apply(self, [x], [x.type()])

    x = T.dvector('x')
    with pytest.raises(backends.LoweringError, match="'numba' has no lowering for op Mystery"):
        tg.function([x], Mystery()(x), backend='numba')
