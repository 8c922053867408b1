"""The backend contract: the pluggy hooks a backend plugin implements.

A backend is a distribution with an entry point in the group ``tracegraph``
that names a module (or object) holding hook implementations::

    [project.entry-points.tracegraph]
    mybackend = "my_package.plugin"

Implementations are marked with :data:`hookimpl` and receive only the
arguments they name (pluggy passes keywords).  The core calls these hooks once
per compile, never per call.  ``docs/plugins.md`` walks through writing one.
"""
from __future__ import annotations

import importlib

import pluggy

PROJECT = 'tracegraph'
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def tracegraph_backends():
    """The backends this plugin provides.

    :return: a list of :class:`tracegraph.backends.Backend` objects.  Each has a
        unique ``name`` (what users pass as ``backend=``), a ``version``, an
        ``unavailable_reason()`` that returns None when it can run here or a
        plain sentence saying why not, and ``link(fgraph, options)`` which turns
        a rewritten FunctionGraph into an :class:`tracegraph.backends.Executable`.
        Heavy imports (numba, cupy, dask) belong inside ``link`` and
        ``unavailable_reason``, never at module import time.
    """


@hookspec(firstresult=True)
def tracegraph_lower_op(backend, node):
    """How ``backend`` runs one Apply node.

    :param backend: the backend's name (str).
    :param node: an Apply node; ``node.op`` is the op, ``node.inputs`` and
        ``node.outputs`` carry static types.
    :return: the backend's lowering of this node (its form is the backend's
        own: a Python callable for ``numpy``, source text for ``numba``, ...),
        or None when this plugin does not lower it for that backend.  The first
        non-None answer wins, so a plugin marked ``tryfirst=True`` overrides an
        existing backend's lowering of one op.
    """


@hookspec(firstresult=True)
def tracegraph_lower_scan(backend, node):
    """How ``backend`` runs a Scan node (an op holding an inner FunctionGraph).

    Same contract as :func:`tracegraph_lower_op`; kept apart because a loop is
    lowered differently from a single computation on most backends.  The core asks
    it only of nodes whose op routes there (``op.lowering_hook``), so ``node.op``
    is a :class:`tracegraph.scan.Scan`.
    """


@hookspec(firstresult=True)
def tracegraph_lower_random(backend, node):
    """How ``backend`` draws from a random-variable node.

    Every backend must produce the draws that the counter-based generator in
    ``tracegraph.random.philox`` specifies, so that one seed gives the same
    numbers everywhere.  Same contract as :func:`tracegraph_lower_op`; ``node.op``
    is a :class:`tracegraph.random.op.RandomVariable` (its ``lowering_hook``).
    """


@hookspec
def tracegraph_rewrites(backend):
    """Extra graph rewrites ``backend`` wants after the shared ones.

    :param backend: the backend's name.
    :return: a list of rewrites (see ``tracegraph.rewrite``) or None.
    """


def backend_hookimpl(name, **options):
    """Mark a lowering hook (``backend, node``) that answers only for the backend ``name``.

    Every lowering hook is called for every backend; without this, each plugin
    repeats ``if backend != NAME: return None`` at the top of each hook.  The
    decorated function is called only when ``backend == name`` and keeps its own
    ``(backend, node)`` signature; ``options`` go to :data:`hookimpl`
    (``tryfirst=True``...)::

        @backend_hookimpl('mybackend')
        def tracegraph_lower_op(backend, node):
            return my_lowering(node)
    """
    def decorate(impl):
        def hook(backend, node):
            if backend != name:
                return None
            return impl(backend, node)
        # No functools.wraps: pluggy would follow __wrapped__ to the impl's own
        # argument names, and this wrapper must receive exactly `backend, node`.
        hook.__name__, hook.__qualname__, hook.__doc__ = impl.__name__, impl.__qualname__, impl.__doc__
        hook.__module__, hook.backend_name = impl.__module__, name
        return hookimpl(**options)(hook)
    return decorate


def load(target):
    """The object a ``'package.module:name'`` string names, importing the module."""
    module, _, name = target.partition(':')
    return getattr(importlib.import_module(module), name)


def lowering_hook(name, target, **options):
    """A lowering hook for the backend ``name`` that answers ``target(node)``, where
    ``target`` is ``'package.module:function'``, imported when the hook is first asked.

    A plugin module is loaded by every process that compiles anything, whatever backend
    it uses, so its lowerings (which import Numba, SciPy, CuPy...) are imported by the
    hook, not by the plugin::

        tracegraph_lower_op = lowering_hook('mybackend', 'my_package.lowering:lower_node')
    """
    found = []

    def lowering(backend, node):
        if not found:
            found.append(load(target))
        return found[0](node)
    lowering.__doc__ = f'{target}(node), for the backend {name!r}'
    return backend_hookimpl(name, **options)(lowering)
