"""Test-run settings for the Dask backend (a pytest plugin, registered by entry point).

* Small chunks: under pytest the Dask backend cuts every axis of an input into up to
  three chunks (``chunks="split:3"``) so that the conformance suite's small arrays
  exercise the multi-chunk paths.  ``--dask-chunks VALUE`` or the environment
  variable ``DASK_TRACEGRAPH__CHUNKS`` choose otherwise.
* ``--dask-cluster N``: start a ``distributed.LocalCluster`` of N worker processes on
  the loopback interface for the whole session, make its client the default (so
  every compiled Dask function computes there), and close it at the end::

      python -m pytest --pyargs tracegraph.testing.conformance \\
          --tracegraph-backend dask --dask-cluster 2
"""
from __future__ import annotations

import os
import sys

import pytest

TEST_CHUNKS = 'split:3'
_ENV = 'DASK_TRACEGRAPH__CHUNKS'


def pytest_addoption(parser):
    group = parser.getgroup('tracegraph-dask')
    group.addoption('--dask-chunks', default=None,
                    help='chunks for NumPy inputs of Dask-backend functions '
                         f'(default {TEST_CHUNKS!r})')
    group.addoption('--dask-cluster', type=int, default=0, metavar='N',
                    help='run Dask-backend functions on a LocalCluster of N worker processes')


def pytest_configure(config):
    chunks = config.getoption('--dask-chunks') or os.environ.get(_ENV) or TEST_CHUNKS
    os.environ[_ENV] = chunks  # read by Dask when it is imported (here, by worker processes too)
    if 'dask' in sys.modules:
        import dask
        dask.config.set({'tracegraph.chunks': chunks})


@pytest.fixture(scope='session', autouse=True)
def _dask_cluster(request):
    n_workers = request.config.getoption('--dask-cluster')
    if not n_workers:
        yield None
        return
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                           host='127.0.0.1', dashboard_address='127.0.0.1:0')
    client = Client(cluster, set_as_default=True)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
