"""pp, debugprint and pydotprint."""
import os
import shutil

import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.printing import debugprint, pp, pydotprint


def test_pp_infix():
    x, y = T.fscalars('x', 'y')
    assert pp(x + y) == '(x + y)'
    assert pp(x * y - x) == '((x * y) - x)'
    assert pp(x ** 2) == '(x ** TensorConstant{2})'
    assert pp(T.exp(-x)) == 'exp(-x)'
    assert pp(T.fill(x, 1.0)) == 'fill(x, TensorConstant{1.0})'


def test_debugprint_lists_one_node_a_line():
    x = T.dvector('x')
    y = T.exp(x) * 2
    text = debugprint(y, file='str')
    lines = text.splitlines()
    assert lines[0].startswith('Elemwise{mul} [id A]')
    assert any('Elemwise{exp}' in line for line in lines)
    assert any('|x [id' in line for line in lines)


@pytest.mark.skipif(shutil.which('dot') is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize('ext', ['svg', 'png'])
def test_pydotprint_writes_a_picture(tmp_path, ext):
    x = T.dmatrix('x')
    f = tg.function([x], T.exp(x).sum())
    path = tmp_path / f'graph.{ext}'
    pydotprint(f, str(path), print_output_file=False)
    data = path.read_bytes()
    assert data.startswith(b'\x89PNG') if ext == 'png' else b'<svg' in data


def test_pydotprint_without_dot_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, 'which', lambda name: None)
    with pytest.raises(RuntimeError, match='apt-get install graphviz'):
        pydotprint(T.dvector('x') * 2, str(tmp_path / 'g.png'))


def test_pp_memory_is_linear_in_the_graph():
    """A chain of n nodes: pp's text has O(n) characters and must not hold the O(n^2)
    characters of every prefix of it (8,000 nodes took 3.2 GB before)."""
    import tracemalloc

    x = T.dscalar('x')
    z = x
    n = 20000
    for _ in range(n):
        z = z * 2.0
    tracemalloc.start()
    try:
        text = tg.pp(z)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    two = str(T.constant(2.0))
    assert text == '(' * n + 'x' + f' * {two})' * n
    # The quadratic version needed ~n^2/2 * 12 bytes = 2.4 GB here; linear is ~6 MB.
    assert peak < 400 * len(text), f'pp of a {n}-node chain peaked at {peak / 1e6:.0f} MB'
