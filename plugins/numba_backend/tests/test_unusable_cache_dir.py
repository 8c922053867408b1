"""An unusable TRACEGRAPH_CACHE_DIR warns once; compiling goes on without it."""
import warnings

import numpy as np
import pytest

pytest.importorskip('numba')

import tracegraph as tg  # noqa: E402
import tracegraph.tensor as T  # noqa: E402
from tracegraph import backends, config  # noqa: E402

pytestmark = pytest.mark.skipif(not backends.available().get('numba'), reason='numba backend unavailable')


def test_a_file_as_cache_dir_warns_once_and_compiles(tmp_path, monkeypatch):
    from tracegraph.compiler.cache_dir import CacheDirWarning
    not_a_dir = tmp_path / 'cache-is-a-file'
    not_a_dir.write_text('not a directory')
    monkeypatch.setattr(config, 'cache_dir', str(not_a_dir))
    x = T.dvector('x')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        f = tg.function([x], x * 2.5 + 0.25, backend='numba')
        g = tg.function([x], x * 3.5 - 0.75, backend='numba')
    np.testing.assert_allclose(f(np.arange(3.0)), np.arange(3.0) * 2.5 + 0.25)
    np.testing.assert_allclose(g(np.arange(3.0)), np.arange(3.0) * 3.5 - 0.75)
    ours = [w for w in caught if issubclass(w.category, CacheDirWarning)]
    assert len(ours) == 1, [str(w.message) for w in caught]
    assert str(not_a_dir) in str(ours[0].message)
