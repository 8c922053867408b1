"""The graphs of bench/cupy.py, at toy sizes, through this backend's code on the CPU.

No timing here (speed is measured only in bench/): this checks that the benchmark's
workloads build and give the NumPy backend's numbers, so a GPU run measures
correct programs.
"""
import numpy as np
import pytest

from tracegraph import backends
from tracegraph_cupy import host_backend, hostcc

bench_cupy = pytest.importorskip('bench.cupy', reason='run from the repository root (python -m pytest)')
pytestmark = pytest.mark.skipif(hostcc.compiler() is None, reason='no host C++ compiler (g++)')


@pytest.fixture(scope='module')
def on_host(tmp_path_factory):
    plugin = host_backend.register(str(tmp_path_factory.mktemp('bench')))
    yield host_backend.NAME
    backends.unregister(plugin)


def test_fused_chain(on_host):
    step, x, y, x_host = bench_cupy.chain_step(on_host, 1000)
    step()
    np.testing.assert_allclose(y.get_value(), bench_cupy._chain_numpy(x_host), rtol=1e-5)


def test_mlp_step(on_host):
    results = []
    for backend in ('numpy', on_host):
        step, params, *_ = bench_cupy.mlp_step(backend, (20, 16, 16, 5), 32)
        step()
        step()
        results.append([p.get_value() for p in params])
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_rnn_step(on_host):
    results = []
    for backend in ('numpy', on_host):
        step, W, U, *_ = bench_cupy.rnn_step(backend, 5, 4, 8)
        step()
        results.append((W.get_value(), U.get_value()))
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
