"""Theano programs run unchanged: `theano` is aliased to tracegraph, and each program
runs once per backend by setting the default backend (the programs never name one)."""
import pytest

import tracegraph
from tracegraph.theano import alias_theano
from tracegraph.testing.plugin import parametrize_backends as pytest_generate_tests  # noqa: F401


@pytest.fixture
def theano(backend, monkeypatch):
    monkeypatch.setattr(tracegraph.config, 'backend', backend)
    return alias_theano()
