"""The Dask backend on a distributed.LocalCluster of worker processes (loopback only):
chunk kernels, random draws and scan chunks travel to other processes by pickle."""
import os
import subprocess
import sys

import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.random import RandomStreams

distributed = pytest.importorskip('distributed')

# The conformance files run on the cluster in CI (the whole suite takes minutes there).
CLUSTER_SUITE = ['test_basic_algebra.py', 'test_function.py', 'test_random_tutorial.py',
                 'test_scan.py']


@pytest.fixture(scope='module')
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host='127.0.0.1', dashboard_address='127.0.0.1:0')
    client = distributed.Client(cluster, set_as_default=True)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def test_work_runs_on_the_workers(client):
    x = T.dmatrix('x')
    f = tg.function([x], T.exp(x).sum(axis=1), backend='dask', backend_options={'chunks': (2, 3)})
    a = np.random.default_rng(0).normal(size=(6, 6))
    with distributed.get_task_stream(client) as stream:
        np.testing.assert_allclose(f(a), np.exp(a).sum(axis=1))
    workers = {task['worker'] for task in stream.data}
    assert workers <= set(client.scheduler_info()['workers']) and workers
    assert len(stream.data) >= 4  # a task per chunk at least (Dask fuses exp into the sum)


def test_random_draws_on_the_cluster_equal_numpy(client):
    srng = RandomStreams(seed=42)
    rv = srng.normal(size=(9, 2))
    f_dask = tg.function([], rv, backend='dask', backend_options={'chunks': 'split:4'})
    f_np = tg.function([], rv, backend='numpy')
    srng.seed(42)
    got = [f_dask(), f_dask()]
    srng.seed(42)
    want = [f_np(), f_np()]
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_chunked_scan_with_updates_on_the_cluster(client):
    x = T.dvector('x')
    total = tg.shared(np.float64(0), name='total')
    acc, _ = tg.scan(lambda xt, prev: prev * 0.5 + xt, sequences=x, outputs_info=T.constant(1.0))
    f = tg.function([x], acc, updates=[(total, total + acc[-1])], backend='dask',
                    backend_options={'chunks': 3})
    values = np.arange(10.0)
    want, prev = [], 1.0
    for v in values:
        prev = prev * 0.5 + v
        want.append(prev)
    np.testing.assert_allclose(f(values), want)
    np.testing.assert_allclose(total.get_value(), want[-1])


def test_conformance_suite_part_on_a_local_cluster():
    """The conformance files above, through the pytest plugin's --dask-cluster."""
    import tracegraph.testing.conformance as suite
    here = os.path.dirname(suite.__file__)
    paths = [os.path.join(here, name) for name in CLUSTER_SUITE]
    paths = [p for p in paths if os.path.exists(p)]
    root = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    cmd = [sys.executable, '-m', 'pytest', '-q', '--tracegraph-backend', 'dask',
           '--dask-cluster', '2', *paths]
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
