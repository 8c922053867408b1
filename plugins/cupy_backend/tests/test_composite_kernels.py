"""Fused kernels: the Composites that the fusion pass builds, as one CUDA kernel each.

Each graph below goes through the real rewrite pipeline for backend 'cupy'; every
`Elemwise(Composite)` it produces becomes a kernel (all compiled in one g++ run)
that must agree with the NumPy backend's evaluation of the same fused node.
"""
import numpy as np
import pytest

import tracegraph.tensor as T
from tracegraph import backends
from tracegraph.ir import FunctionGraph
from tracegraph.rewrite import rewrite_graph
from tracegraph.tensor.elemwise import Elemwise
from tracegraph.tensor.scalar import Composite
from tracegraph_cupy import hostcc
from tracegraph_cupy.elemwise_kernel import elementwise_spec

pytestmark = pytest.mark.skipif(hostcc.compiler() is None, reason='no host C++ compiler (g++)')


def _logistic():
    x = T.fvector('x')
    return [x], [x / (1 + T.exp(-x)) - 1]


def _bench_chain():
    x = T.fvector('x')
    return [x], [T.tanh(x * 0.5 + 1.0) * T.exp(-x * x) + T.sqrt(T.abs_(x))]


def _mlp_layer_grad():
    h, g, w = T.fmatrix('h'), T.fmatrix('g'), T.fvector('w')
    a = T.tanh(h + w)
    return [h, g, w], [g * (1 - a * a)]


def _mixed_dtypes():
    i, x, b = T.ivector('i'), T.dvector('x'), T.bvector('b')
    return [i, x, b], [T.switch(T.gt(i, 2), x // 3 + i % 4, T.cast(b, 'float64') ** 2 - i)]


def _int_arithmetic():
    a, b = T.lvector('a'), T.lvector('b')
    return [a, b], [(a * 3 - b) // 7 + (a % 5) * (b ** 2) - abs(a)]


def _stable_ops():
    x = T.dmatrix('x')
    return [x], [T.nnet.softplus(x) - T.log1p(T.exp(-abs(x))) + T.nnet.sigmoid(2 * x) * T.erf(x)]


def _two_outputs_shared_subexpression():
    x, y = T.fvector('x'), T.fvector('y')
    s = T.exp(x) + y
    return [x, y], [s * 2, T.maximum(s, x) - T.minimum(y, 0.5)]


def _half_precision():
    x, y = T.tensor('float16', shape=(None,), name='x'), T.fvector('y')
    return [x, y], [T.cast(T.exp(x) * 2 + 1, 'float16') + T.round_(y)]


GRAPHS = {f.__name__.strip('_'): f for f in (
    _logistic, _bench_chain, _mlp_layer_grad, _mixed_dtypes, _int_arithmetic, _stable_ops,
    _two_outputs_shared_subexpression, _half_precision)}


def _fused(name):
    inputs, outputs = GRAPHS[name]()
    fgraph = FunctionGraph(inputs, outputs, clone=False)
    rewrite_graph(fgraph, 'default', extra=backends.extra_rewrites('cupy'))
    return [n for n in fgraph.toposort()
            if isinstance(n.op, Elemwise) and isinstance(n.op.scalar_op, Composite)]


FUSED = {name: _fused(name) for name in GRAPHS}


def _spec(node):
    return elementwise_spec(node.op.scalar_op, [i.dtype for i in node.inputs], [o.dtype for o in node.outputs])


@pytest.fixture(scope='module')
def kernels(tmp_path_factory):
    specs = [_spec(node) for nodes in FUSED.values() for node in nodes]
    return hostcc.compile_elementwise(specs, workdir=str(tmp_path_factory.mktemp('fused')))


def _value(var, rng):
    shape = tuple(3 if s is None else s for s in var.type.shape)
    dtype = np.dtype(var.dtype)
    if dtype.kind == 'b':
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.kind in 'iu':
        return rng.integers(-50, 50, shape).astype(dtype)
    return (rng.standard_normal(shape) * 3).astype(dtype)


@pytest.mark.parametrize('name', sorted(GRAPHS))
def test_fused_kernel_matches_the_numpy_backend(name, kernels):
    nodes = FUSED[name]
    assert nodes, f'fusion produced no Composite for {name}'
    rng = np.random.default_rng(7)
    for node in nodes:
        inputs = [np.asarray(getattr(i, 'data', None)) if hasattr(i, 'data') else _value(i, rng)
                  for i in node.inputs]
        with np.errstate(all='ignore'):
            want = backends.lower('numpy', node)(*inputs)
        got = kernels[_spec(node)](*inputs)
        want = want if isinstance(want, tuple) else (want,)
        got = got if isinstance(got, tuple) else (got,)
        for g, w in zip(got, want):
            w = np.asarray(w)
            assert g.dtype == w.dtype and g.shape == w.shape
            if w.dtype.kind in 'biu':
                np.testing.assert_array_equal(g, w)
            else:
                np.testing.assert_allclose(g, w, rtol=8 * np.finfo(w.dtype).eps,
                                           atol=8 * np.finfo(w.dtype).eps)


def test_the_bench_chain_is_one_kernel():
    (node,) = FUSED['bench_chain']
    spec = _spec(node)
    assert set(spec.in_dtypes) == {'float32'} and spec.out_dtypes == ('float32',)
    assert node.inputs[0].name == 'x' and all(hasattr(c, 'data') for c in node.inputs[1:])
    assert spec.operation.count('\n') >= 6   # every step of the chain in one body
