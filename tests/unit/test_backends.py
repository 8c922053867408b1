"""Choosing backends without paying for the ones a process does not use."""
import subprocess
import sys
import textwrap
import types

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


# -- the plugin contract (issue 18) ----------------------------------------------------
def test_a_misspelled_hook_is_refused_naming_the_plugin_and_the_hook():
    import pytest

    class Misspelled:
        @hookimpl
        def tracegraph_lower_ops(self, backend, node):
            return None

    plugin = Misspelled()
    with pytest.raises(backends.PluginError, match=r"plugin 'misspelled'.*'tracegraph_lower_ops' "
                                                   r"\(did you mean 'tracegraph_lower_op'\?\)"):
        backends.register(plugin, name='misspelled')
    assert backends.plugin_manager().get_plugin('misspelled') is None  # left unregistered
    backends.plugin_manager().check_pending()                          # and the rest is clean


def test_backend_hookimpl_answers_only_for_its_backend():
    from tracegraph.hookspecs import backend_hookimpl

    class Plugin:
        pass
    calls = []

    @backend_hookimpl('only-mine')
    def tracegraph_lower_op(backend, node):
        calls.append(backend)
        return 'lowered'
    Plugin.tracegraph_lower_op = staticmethod(tracegraph_lower_op)
    node = types.SimpleNamespace(op=None)
    assert tracegraph_lower_op('numpy', node) is None
    assert tracegraph_lower_op('only-mine', node) == 'lowered'
    assert calls == ['only-mine']
    plugin = backends.register(Plugin(), name='only-mine-plugin')
    try:
        caller = backends.plugin_manager().hook.tracegraph_lower_op
        assert caller(backend='only-mine', node=node) == 'lowered'
        assert calls == ['only-mine', 'only-mine']  # pluggy passed backend and node
    finally:
        backends.unregister(plugin)


def test_a_python_perform_op_on_a_compiled_backend_warns_once_naming_the_op():
    import warnings

    import numpy as np
    import pytest

    import tracegraph as tg
    import tracegraph.tensor as T
    from tracegraph.ir import Apply, Op

    if not backends.availability('numba'):
        pytest.skip('numba is not installed')

    class TwiceByPerform(Op):
        __props__ = ()

        def make_node(self, x):
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = 2 * inputs[0]

    x = T.dvector('x')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        f = tg.function([x], TwiceByPerform()(x) + 1, backend='numba')
        g = tg.function([x], TwiceByPerform()(x) * 3, backend='numba')
        tg.function([x], TwiceByPerform()(x), backend='numpy')  # the reference: no warning
    mine = [w for w in caught if issubclass(w.category, backends.ObjectModeWarning)]
    assert len(mine) == 1, [str(w.message) for w in mine]
    assert "'numba'" in str(mine[0].message) and 'TwiceByPerform' in str(mine[0].message)
    np.testing.assert_allclose(f(np.array([1.0, 2.0])), [3.0, 5.0])
    np.testing.assert_allclose(g(np.array([1.0, 2.0])), [6.0, 12.0])


def test_mode_strings_that_name_a_backend_select_it():
    import pytest

    import tracegraph as tg
    import tracegraph.tensor as T

    x = T.dvector('x')
    assert tg.function([x], x + 1, mode='FAST_RUN').backend == tg.function([x], x + 1).backend
    assert tg.function([x], x + 1, mode='FAST_COMPILE', backend='numpy').backend == 'numpy'
    if backends.availability('numba'):
        assert tg.function([x], x + 1, mode='NUMBA').backend == 'numba'
    with pytest.raises(ValueError, match="mode 'NUMBA' compiles with backend 'numba'.*backend='numpy'"):
        tg.function([x], x + 1, mode='NUMBA', backend='numpy')
    with pytest.raises(backends.BackendError, match="backend 'jax' is not registered"):
        tg.function([x], x + 1, mode='JAX')
    with pytest.raises(ValueError, match="mode 'FAST_RNU' is not known"):
        tg.function([x], x + 1, mode='FAST_RNU')


def test_constant_folding_needs_no_backend_plugin_and_matches_numpy():
    import numpy as np

    import tracegraph.tensor as T
    from tracegraph.ir import FunctionGraph
    from tracegraph.rewrite import REWRITES
    from tracegraph.rewrite.engine import run

    a = np.array([[0.5, -1.0, 2.0], [3.0, 0.25, -0.75]])
    c = T.constant(a)
    cases = [
        (T.exp(c) * 2 + T.erf(c), np.exp(a) * 2 + __import__('scipy.special').special.erf(a)),
        (T.sum(c, axis=0), a.sum(axis=0)),
        (T.argmax(c, axis=1), a.argmax(axis=1)),
        (c.T[1:, ::-1], a.T[1:, ::-1]),
        (T.dot(c, c.T), a @ a.T),
        (T.concatenate([c, c * 0]).reshape((3, 4)), np.concatenate([a, a * 0]).reshape(3, 4)),
        (T.cumsum(c, axis=1), np.cumsum(a, axis=1)),
        (T.arange(2, 11, 3) + T.eye(1, 3, 0), np.arange(2, 11, 3) + np.eye(1, 3)),
        (T.set_subtensor(c[0, 1:], 7.0), np.where([[0, 1, 1], [0, 0, 0]], 7.0, a)),
        (T.sort(c, axis=1), np.sort(a, axis=1)),  # a HostOp: its perform
    ]
    pm = backends.plugin_manager()
    plugins = {name: pm.unregister(name=name) for name, _ in pm.list_name_plugin()}
    backends._registry.cache_clear()
    try:
        assert backends.registered() == {}
        fg = FunctionGraph([], [out for out, _ in cases])
        run(fg, [REWRITES['constant_folding']])
        for folded, (_, expected) in zip(fg.outputs, cases):
            assert folded.owner is None or folded.owner.inputs[0].owner is None
            value = folded.data if folded.owner is None else folded.owner.inputs[0].data
            np.testing.assert_array_equal(value, expected)
    finally:
        for name, plugin in plugins.items():
            pm.register(plugin, name=name)
        backends._registry.cache_clear()
        backends._availability.cache_clear()
    assert 'numpy' in backends.registered()
