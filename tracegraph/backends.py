"""Finding, checking and choosing backends (pluggy plugins found by entry point)."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable

import pluggy

from . import config, hookspecs


@dataclass(frozen=True)
class Availability:
    """Whether a backend can run here; `reason` says why not.  Truthy when it can."""

    ok: bool
    reason: str = ''
    version: str = ''

    def __bool__(self):
        return self.ok


@dataclass
class Executable:
    """What a backend's `link` returns.

    `run(*inputs)` takes the function's input values then the shared variables'
    values, in `fgraph.inputs` order, and returns a tuple with one value per
    `fgraph.outputs`.  `source` is the generated code (shown as `f.source`);
    `node_at(filename, lineno)` maps a line of it back to the Apply node it runs,
    so run-time errors can name the op and the user's line.
    """

    run: Callable
    source: str = ''
    node_at: Callable[[str, int], Any] = lambda filename, lineno: None
    profile: Any = None
    extra: dict = field(default_factory=dict)


class Backend:
    """Base class for backends; plugins return instances from `tracegraph_backends`."""

    name = 'unnamed'
    version = ''
    description = ''

    def unavailable_reason(self):
        """None when this backend can run here, else a sentence saying why not."""
        return None

    def link(self, fgraph, options):
        """Compile a rewritten FunctionGraph into an Executable."""
        raise NotImplementedError

    def to_host(self, value):
        from .compile.shared import to_host
        return to_host(value)

    def native_input(self, ttype, value, allow_downcast, what):
        """An input value of this backend's own array type (e.g. a Dask array), checked
        against `ttype` and returned unconverted; None for any other value, which the
        function then converts to NumPy.  `what` names the input in error messages."""
        return None


class BackendError(ValueError):
    pass


class LoweringError(TypeError):
    """An op has no lowering on a backend (raised at function() time)."""


@functools.lru_cache(maxsize=None)
def plugin_manager():
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.load_setuptools_entrypoints(hookspecs.PROJECT)
    return pm


def register(plugin, name=None):
    """Register a plugin object or module by hand (tests, notebooks)."""
    pm = plugin_manager()
    pm.register(plugin, name=name)
    _registry.cache_clear()
    return plugin


def unregister(plugin):
    plugin_manager().unregister(plugin)
    _registry.cache_clear()


@functools.lru_cache(maxsize=None)
def _registry():
    found = {}
    for backends in plugin_manager().hook.tracegraph_backends():
        for backend in backends or ():
            found.setdefault(backend.name, backend)
    return found


def registered():
    """Every registered backend, by name (available or not)."""
    return dict(_registry())


@functools.lru_cache(maxsize=None)
def _availability(name):
    backend = _registry()[name]
    try:
        reason = backend.unavailable_reason()
    except Exception as exc:  # a broken install is a reason, not a crash
        reason = f'{type(exc).__name__}: {exc}'
    return Availability(reason is None, reason or '', getattr(backend, 'version', ''))


def available():
    """Map each registered backend's name to an Availability (truthy when it can run here)."""
    return {name: _availability(name) for name in sorted(_registry())}


def availability(name):
    """The Availability of one backend (falsy when it is not registered).

    Checking a backend may import its library (Dask, CuPy): asking about one
    backend spares a process the imports of all the others.
    """
    if name not in _registry():
        return Availability(False, f'backend {name!r} is not registered')
    return _availability(name)


def get(name=None):
    """The backend called `name` (default: config.backend), or a clear error."""
    name = name or config.backend
    registry = _registry()
    if name not in registry or not _availability(name):
        lines = []
        for other, status in available().items():
            lines.append(f'  {other}: ' + ('available' if status else f'unavailable ({status.reason})'))
        known = '\n'.join(lines) or '  (none: is tracegraph-numpy installed?)'
        what = 'is not registered' if name not in registry else f'cannot run here ({_availability(name).reason})'
        raise BackendError(f'backend {name!r} {what}. Backends:\n{known}')
    return registry[name]


def lower(backend, node, hook='tracegraph_lower_op'):
    """Ask the plugins how `backend` runs `node`; a missing lowering is a clear error."""
    caller = getattr(plugin_manager().hook, hook)
    result = caller(backend=backend, node=node)
    if result is None:
        where = f' (built at {node.source})' if node.source else ''
        raise LoweringError(f'backend {backend!r} has no lowering for op {node.op}{where}')
    return result


def lower_graph(backend, fgraph):
    """Every node's lowering for `backend`, asked of the hooks one node at a time (so a
    plugin may override any one), keyed by node in execution order."""
    return {node: lower(backend, node, getattr(node.op, 'lowering_hook', 'tracegraph_lower_op'))
            for node in fgraph.toposort()}


def extra_rewrites(backend):
    rewrites = []
    for found in plugin_manager().hook.tracegraph_rewrites(backend=backend):
        rewrites.extend(found or ())
    return rewrites
