"""The CuPy backend's pooling without a GPU: each pooling node is one runtime call, and
that call (the generic strided-view kernels) run with the host array module matches
the NumPy backend.  (The conformance suite's test_pool.py also runs on `cupy_on_host`.)"""
import numpy as np

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph import backends
from tracegraph.tensor.signal import pool
from tracegraph_cupy import runtime
from tracegraph_cupy.lowering import DEVICE, Call


def test_pool_nodes_are_one_runtime_call_and_match_numpy():
    x = T.dtensor4('x')
    y = pool.pool_2d(x, (3, 2), ignore_border=True, stride=(2, 1), pad=(1, 1), mode='average_inc_pad')
    gx = T.grad((pool.pool_2d(x, (2, 2), ignore_border=False) ** 2).sum(), x)
    low = backends.lower('cupy', y.owner)
    assert low == Call('runtime.pool', (('node', y.owner),)) and low.output_on == DEVICE
    v = np.random.default_rng(3).standard_normal((2, 3, 5, 7))
    want = tg.function([x], [y, gx], backend='numpy')(v)
    np.testing.assert_allclose(runtime.pool(np, v, node=y.owner), want[0], rtol=1e-12)
    grad_node = gx.owner
    assert type(grad_node.op).__name__ == 'MaxPoolGrad'
    args = [v] + [tg.function([x], i, backend='numpy')(v) for i in grad_node.inputs[1:]]
    np.testing.assert_allclose(runtime.pool(np, *args, node=grad_node), want[1], rtol=1e-12)
