"""The disk cache's key: the generated source, this package's code and the versions."""
import os
import shutil
import subprocess
import sys

import pytest

pytest.importorskip('numba')

from tracegraph_numba import cache  # noqa: E402
from tracegraph_numba.lowered import kernel  # noqa: E402


@pytest.fixture
def fresh_keys():
    cache.key_of.cache_clear()
    yield
    cache.key_of.cache_clear()


def test_a_key_changes_with_the_source_and_with_the_package_code(fresh_keys, monkeypatch):
    one, other = kernel(['a0'], ['return a0 + 1,']), kernel(['a0'], ['return a0 + 2,'])
    before = cache.key_of(one)
    assert cache.key_of(other) != before
    cache.key_of.cache_clear()
    monkeypatch.setattr(cache, 'PACKAGE_FINGERPRINT', 'an edited package')
    assert cache.key_of(one) != before


def test_the_package_fingerprint_covers_every_module_file(tmp_path, monkeypatch):
    copy = tmp_path / 'tracegraph_numba'
    shutil.copytree(cache.HERE, copy, ignore=shutil.ignore_patterns('__pycache__'))
    monkeypatch.setattr(cache, 'HERE', str(copy))
    before = cache._package_fingerprint()
    assert before == cache.PACKAGE_FINGERPRINT     # the same files as loaded
    for name in ('vector_math.py', 'helpers.py', 'elemwise.py'):
        with open(os.path.join(copy, name), 'a', encoding='utf-8') as fh:
            fh.write('\n# edited\n')
        after = cache._package_fingerprint()
        assert after != before
        before = after


def _built_here(tg, T):
    """x * y + 1, built on the line after the one returned."""
    import sys
    line = sys._getframe().f_lineno + 2
    x, y = T.dvectors('x', 'y')
    return line, tg.function([x, y], x * y + 1, backend='numba')


def _built_there(tg, T):
    import sys
    line = sys._getframe().f_lineno + 2
    x, y = T.dvectors('x', 'y')
    return line, tg.function([x, y], x * y + 1, backend='numba')


def test_a_graph_built_at_another_line_is_the_same_module_and_errors_name_each_line():
    # The user's lines are not in the module file (located.py): an edit above a graph
    # does not compile it again, and messages and f.source still name the lines.
    import numpy as np

    import tracegraph as tg
    import tracegraph.tensor as T
    here, there = _built_here(tg, T), _built_there(tg, T)
    assert here[0] != there[0]
    assert here[1].executable.extra['module_path'] == there[1].executable.extra['module_path']
    for line, f in (here, there):
        with pytest.raises(ValueError, match=rf'broadcast \(built at \S*test_cache\.py:{line}: '):
            f(np.ones(3), np.ones(4))
        assert f'test_cache.py:{line}:' in f.source


_CHILD = '''
import numpy as np, tracegraph as tg, tracegraph.tensor as T
x, y = T.dvectors('x', 'y')
f = tg.function([x, y], T.exp(x) * y - T.tanh(y), backend='numba')
v = np.linspace(-1, 1, 7)
np.testing.assert_allclose(f(v, v + 1), np.exp(v) * (v + 1) - np.tanh(v + 1), rtol=1e-13)
print(sum(f.executable.extra['jit'].stats.cache_hits.values()))
'''


def test_the_graph_function_calls_its_kernels_and_loads_them_in_a_fresh_process(tmp_path):
    # kernel_call.py: the graph function's code holds no copy of a kernel, and a process
    # loading it from the disk cache binds the kernels first (unbound, it would crash).
    import subprocess
    import sys
    env = dict(os.environ, TRACEGRAPH_CACHE_DIR=str(tmp_path))
    runs = [subprocess.run([sys.executable, '-c', _CHILD], env=env, capture_output=True, text=True)
            for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[-1].stderr[-2000:]
    assert [r.stdout.split()[-1] for r in runs] == ['0', '1']     # compiled, then loaded


def test_the_graph_function_holds_no_copy_of_its_kernels(tmp_path, monkeypatch):
    import numpy as np

    import tracegraph as tg
    import tracegraph.tensor as T
    monkeypatch.setattr(tg.config, 'cache_dir', str(tmp_path))   # compiled here: its IR exists
    x = T.dvector('x_no_copy')
    f = tg.function([x], T.exp(x) * 2 - x, backend='numba')
    np.testing.assert_allclose(f(np.arange(3.0)), np.exp(np.arange(3.0)) * 2 - np.arange(3.0))
    ir = ''.join(f.executable.extra['jit'].inspect_llvm().values())
    defined = [line for line in ir.splitlines() if line.startswith('define')]
    assert 'tracegraph_kernel_' in ir
    assert defined and not any('6kernel' in line for line in defined), defined


def test_blas_bindings_loaded_alone_still_reach_scipy_linalg_imported_later(tmp_path):
    # In a fresh process: the plugin loads scipy.linalg.cython_blas without scipy.linalg.
    script = '''
import sys, numpy as np, tracegraph as tg, tracegraph.tensor as T
x = T.dmatrix('x')
assert np.allclose(tg.function([x], T.dot(x, x), backend='numba')(np.eye(2) * 2), np.eye(2) * 4)
assert 'scipy.linalg' not in sys.modules
import scipy.linalg.cython_blas
assert scipy.linalg.cython_blas is sys.modules['scipy.linalg.cython_blas']
assert np.allclose(scipy.linalg.solve(np.eye(2), np.ones(2)), 1)
'''
    env = dict(os.environ, TRACEGRAPH_CACHE_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, '-c', script], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
