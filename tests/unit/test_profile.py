"""tg.function(..., profile=True): time per Apply node, sorted by cost."""
import io

import numpy as np

import tracegraph as tg
import tracegraph.tensor as T


def test_profile_collects_time_per_node_on_the_numpy_backend():
    x = T.dmatrix('x')
    f = tg.function([x], T.dot(x, x.T).sum() + T.exp(x).mean(), profile=True, backend='numpy')
    for _ in range(3):
        f(np.ones((50, 50)))
    stats = f.profile
    assert stats.calls == 3 and stats.total_s > 0
    rows = stats.rows()
    assert rows and all(a[1] >= b[1] for a, b in zip(rows, rows[1:]))
    assert all(stats.counts[key] == 3 for key, _ in rows)
    out = io.StringIO()
    stats.summary(file=out)
    text = out.getvalue()
    assert '3 call(s)' in text and 'dot' in text


def test_without_profile_there_is_no_stats_object():
    x = T.dvector('x')
    assert tg.function([x], x * 2).profile is None
