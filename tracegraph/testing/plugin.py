"""The pytest plugin behind the conformance suite (registered by entry point `pytest11`).

It adds `--tracegraph-backend NAME` (repeatable) and runs a test once per registered
backend (a backend that cannot run here is skipped with its reason) when the test
asks for:
- `tracegraph_backend`, anywhere (the namespaced name other projects should use);
- `backend`, only where the test opted in: the conformance suite's own package, a
  module or test marked `pytest.mark.tracegraph_backends`, or a directory whose
  conftest.py says `from tracegraph.testing.plugin import parametrize_backends as
  pytest_generate_tests`.  Installing tracegraph loads this plugin into every pytest
  run, so another project's own `backend` fixture is left alone.
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


MARKER = 'tracegraph_backends'
_CONFORMANCE = os.path.join(os.path.dirname(os.path.realpath(__file__)), 'conformance') + os.sep


def pytest_configure(config):
    config.addinivalue_line('markers', f'{MARKER}: run this test once per tracegraph backend, '
                                       'passing its name as the `backend` argument')


def pytest_generate_tests(metafunc):
    if 'tracegraph_backend' in metafunc.fixturenames:
        _parametrize(metafunc, 'tracegraph_backend')
    if 'backend' in metafunc.fixturenames and _opted_in(metafunc):
        _parametrize(metafunc, 'backend')


def parametrize_backends(metafunc):
    """A conftest.py's opt-in for its directory: use as its `pytest_generate_tests`."""
    if 'backend' in metafunc.fixturenames and not _opted_in(metafunc):
        _parametrize(metafunc, 'backend')


def _opted_in(metafunc):
    path = os.path.realpath(str(metafunc.definition.path))
    return path.startswith(_CONFORMANCE) or metafunc.definition.get_closest_marker(MARKER) is not None


def _parametrize(metafunc, argname):
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
    metafunc.parametrize(argname, params)
