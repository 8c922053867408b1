"""compiler/background.py: BLAS runs one thread fewer while any child compiles."""
from threadpoolctl import threadpool_info

from tracegraph.compiler.background import _fewer_blas_threads


def _blas_threads():
    return max((p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas'), default=1)


def test_blas_runs_a_thread_short_while_children_compile_and_is_restored_after_the_last():
    before = _blas_threads()
    with _fewer_blas_threads():
        first = _blas_threads()
        with _fewer_blas_threads():     # a second child: no second cut
            assert _blas_threads() == first
        assert _blas_threads() == first  # the first child still compiles
    assert first == max(1, before - 1)
    assert _blas_threads() == before
