"""Choosing backends without paying for the ones a process does not use."""
import subprocess
import sys
import textwrap

from tracegraph import backends
from tracegraph.backends import Backend
from tracegraph.hookspecs import hookimpl


class _Probe:
    """A plugin whose backend counts how often its availability is checked."""

    def __init__(self):
        self.checks = 0
        probe = self

        class ProbeBackend(Backend):
            name = 'probe-availability'

            def unavailable_reason(self):
                probe.checks += 1
                return None
        self.backend = ProbeBackend()

    @hookimpl
    def tracegraph_backends(self):
        return [self.backend]


def test_availability_of_one_backend_checks_no_other():
    probe = backends.register(_Probe())
    try:
        backends._availability.cache_clear()
        assert backends.availability('numpy')
        assert probe.checks == 0
        assert backends.availability('probe-availability')
        assert probe.checks == 1
    finally:
        backends.unregister(probe)
        backends._availability.cache_clear()


def test_availability_of_an_unknown_backend_is_falsy_with_a_reason():
    status = backends.availability('no-such-backend')
    assert not status
    assert 'no-such-backend' in status.reason


def test_constant_folding_imports_no_other_backend_library():
    # Folding runs on the NumPy backend; it used to check every backend, importing Dask.
    script = textwrap.dedent('''
        import sys
        import numpy as np
        import tracegraph as tg, tracegraph.tensor as T
        x = T.dvector('x')
        f = tg.function([x], x * T.exp(T.constant(np.arange(3.0))), backend='numpy')
        assert 'constant_folding' in f.fgraph.rewrites_applied, f.fgraph.rewrites_applied
        print(sorted(m for m in ('dask', 'cupy') if m in sys.modules))
    ''')
    out = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == '[]'


def test_loading_the_plugins_imports_no_backend_library_or_lowering():
    # Every process that compiles a function loads every plugin: they must stay light.
    script = textwrap.dedent('''
        import sys
        import tracegraph
        from tracegraph import backends
        before = set(sys.modules)
        assert backends.registered()
        heavy = ('scipy', 'numba', 'dask', 'cupy', 'tracegraph.scan', 'tracegraph.random')
        print(sorted(m for m in set(sys.modules) - before
                     if m.startswith(heavy) or m.split('.')[-1] in ('linker', 'lowering')))
    ''')
    out = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == '[]'
