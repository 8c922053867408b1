"""function() collects cyclic garbage less often while it compiles, and only then."""
import gc
import threading

import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.compiler import collector
from tracegraph.compiler.collector import COMPILE_THRESHOLD, fewer_collections


@pytest.fixture
def default_thresholds():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_the_threshold_is_raised_inside_and_restored_after(default_thresholds):
    with fewer_collections():
        assert gc.get_threshold() == (COMPILE_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_the_threshold_is_restored_when_the_compilation_fails(default_thresholds):
    with pytest.raises(ZeroDivisionError):
        with fewer_collections():
            1 / 0
    assert gc.get_threshold() == (700, 10, 10)


def test_nested_blocks_restore_only_when_the_outermost_ends(default_thresholds):
    with fewer_collections():
        with fewer_collections():
            pass
        assert gc.get_threshold()[0] == COMPILE_THRESHOLD
    assert gc.get_threshold() == (700, 10, 10)


def test_a_higher_threshold_of_the_user_is_kept():
    saved = gc.get_threshold()
    gc.set_threshold(50_000, 5, 5)
    try:
        with fewer_collections():
            assert gc.get_threshold() == (50_000, 5, 5)
        assert gc.get_threshold() == (50_000, 5, 5)
    finally:
        gc.set_threshold(*saved)


def test_overlapping_compilations_in_threads_leave_the_default(default_thresholds):
    inside, leave = threading.Barrier(2), threading.Event()

    def compile_in_thread():
        with fewer_collections():
            inside.wait()
            leave.wait()
    thread = threading.Thread(target=compile_in_thread)
    thread.start()
    with fewer_collections():
        inside.wait()
    assert gc.get_threshold()[0] == COMPILE_THRESHOLD   # the thread still compiles
    leave.set()
    thread.join()
    assert gc.get_threshold() == (700, 10, 10)
    assert collector._depth == 0


def test_function_compiles_with_fewer_collections_and_restores(default_thresholds, monkeypatch):
    seen = []
    real_link = tg.backends.get('numpy').link

    def link(fgraph, options):
        seen.append(gc.get_threshold()[0])
        return real_link(fgraph, options)
    monkeypatch.setattr(tg.backends.get('numpy'), 'link', link)
    x = T.dvector('x')
    f = tg.function([x], x * 2, backend='numpy')
    assert seen == [COMPILE_THRESHOLD]
    assert gc.get_threshold() == (700, 10, 10)
    np.testing.assert_allclose(f(np.arange(3.0)), [0.0, 2.0, 4.0])
