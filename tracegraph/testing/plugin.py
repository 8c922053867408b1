"""The pytest plugin behind the conformance suite (registered by entry point `pytest11`).

It adds `--tracegraph-backend NAME` (repeatable) and a `backend` fixture that runs a
test once per registered backend; a backend that cannot run here is skipped with
its reason.
"""
from __future__ import annotations

import os

import pytest


def pytest_addoption(parser):
    group = parser.getgroup('tracegraph')
    group.addoption('--tracegraph-backend', action='append', default=None,
                    help='run the conformance suite on this backend only (repeatable); '
                         'default: every registered backend, or env TRACEGRAPH_TEST_BACKENDS')


def _selected(config):
    chosen = config.getoption('--tracegraph-backend')
    if not chosen and os.environ.get('TRACEGRAPH_TEST_BACKENDS'):
        chosen = [b.strip() for b in os.environ['TRACEGRAPH_TEST_BACKENDS'].split(',') if b.strip()]
    return chosen


def pytest_generate_tests(metafunc):
    if 'backend' not in metafunc.fixturenames:
        return
    from tracegraph import backends
    status = backends.available()
    names = _selected(metafunc.config) or list(status)
    params = []
    for name in names:
        if name not in status:
            params.append(pytest.param(name, marks=pytest.mark.skip(
                reason=f'backend {name!r} is not registered (installed backends: {sorted(status)})')))
        elif not status[name]:
            params.append(pytest.param(name, marks=pytest.mark.skip(
                reason=f'backend {name!r} unavailable: {status[name].reason}')))
        else:
            params.append(name)
    metafunc.parametrize('backend', params)
