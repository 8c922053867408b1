"""`f.source` shows everything a call runs, and tracebacks through generated code show
its lines (tracegraph.compiler.source.exec_with_source)."""
import inspect
import linecache
import traceback

import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.compiler.source import exec_with_source


def test_exec_with_source_registers_lines():
    env = {}
    filename = exec_with_source('def boom(a):\n    b = a + 1\n    return b / 0\n', 'test boom', env)
    other = exec_with_source('def boom(a):\n    return a\n', 'test boom', {})
    assert filename != other and filename.startswith('<tracegraph-test boom')
    assert 'return b / 0' in inspect.getsource(env['boom'])
    with pytest.raises(ZeroDivisionError) as info:
        env['boom'](1)
    assert 'return b / 0' in ''.join(traceback.format_exception(info.type, info.value, info.tb))


def test_source_shows_input_checks_and_updates(backend):
    x = T.dvector('x')
    w = tg.shared(np.zeros(3), name='w')
    f = tg.function([x], (T.exp(x) * 2 + T.sin(x)).sum(), updates=[(w, w + x)], backend=backend)
    data = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(f(data), (np.exp(data) * 2 + np.sin(data)).sum(), rtol=1e-12)
    np.testing.assert_array_equal(w.get_value(), data)
    text, parts = f.source, f.sources()
    assert 'a0.ndim != 1' in text and 'a0 = filter0(a0)' in text  # the input check
    assert 'target0.value = r[1]' in text                          # the update swap
    assert list(parts)[0] == 'call' and len(parts) >= 2             # ...and the graph
    for name, body in parts.items():
        assert f'# --- {name} ---\n{body}' in text
        assert f.source_of(name) == body
    if backend == 'numpy':  # the fused kernel's bodies, not just `k_fused(...)`
        assert 'k_fused.plain' in parts and 'k_fused.blocked' in parts
        assert 'def composite(' in parts['k_fused.plain'] and 'for b0 in range' in text
    with pytest.raises(KeyError, match='call'):
        f.source_of('no such kernel')


def _generated_frames(exc):
    """(filename, lineno) of each frame in generated code, following the cause chain."""
    frames = []
    while exc is not None:
        frames += [(fs.filename, fs.lineno) for fs in traceback.extract_tb(exc.__traceback__)
                   if fs.filename.startswith('<tracegraph-')]
        exc = exc.__cause__
    return frames


def test_traceback_shows_generated_lines(backend):
    x, y = T.dvectors('x', 'y')
    g = tg.function([x, y], T.exp(x) * T.sin(y) + x, backend=backend)
    with pytest.raises(Exception) as info:
        g(np.ones(3), np.ones(4))  # the shapes disagree inside the elementwise kernel
    shown = ''.join(traceback.format_exception(info.type, info.value, info.tb))
    frames = _generated_frames(info.value)
    assert frames, shown
    for filename, lineno in frames:
        line = linecache.getline(filename, lineno).strip()
        assert line and line in shown, (filename, lineno)
    if backend == 'numpy':  # raised inside the fused kernel's plain body: its line shows
        body = g.source_of('k_fused.plain')
        inside = [linecache.getline(f, n).strip() for f, n in frames if 'composite' in f]
        assert inside and all(line in body for line in inside), shown
