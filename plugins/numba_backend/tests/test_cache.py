"""The disk cache's key: the generated source, this package's code and the versions."""
import os
import shutil

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
    for name in ('vector_math.py', 'helpers.py', 'blocked.py'):
        with open(os.path.join(copy, name), 'a', encoding='utf-8') as fh:
            fh.write('\n# edited\n')
        after = cache._package_fingerprint()
        assert after != before
        before = after
