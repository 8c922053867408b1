"""Finding, checking and choosing backends (pluggy plugins found by entry point)."""
from __future__ import annotations

import difflib
import functools
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import pluggy

from . import config, hookspecs
from .ir import OpTable


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
    # 'package.module:function' of the default `link`, imported at the first compile
    # (plugins are loaded by every process; their linkers import heavy libraries).
    linker = None
    # 'package.module:name' of the scalar ops this backend spells itself (a collection of
    # names, or a function returning one); the others run through their decomposition.
    spellings = None
    # True when this backend's values are the NumPy backend's (host NumPy arrays) and it
    # lowers through `lower_graph`: the NumPy backend may then run a function's calls
    # while this one compiles (config.compile_in_background, compiler/background.py).
    numpy_first = False
    # 'package.module:function' that gives, for a graph, the slow part of `link` as a job
    # a child process can run: ('package.module:function', picklable args) filling the
    # backend's disk cache, so that the `link` after it loads machine code; or None.
    compile_job = None

    def unavailable_reason(self):
        """None when this backend can run here, else a sentence saying why not."""
        return None

    def link(self, fgraph, options):
        """Compile a rewritten FunctionGraph into an Executable."""
        if self.linker is None:
            raise NotImplementedError(f'backend {self.name!r} sets neither `linker` nor `link`')
        return hookspecs.load(self.linker)(fgraph, options)

    def scalar_spellings(self):
        """The names of the scalar ops this backend spells itself; None when unknown."""
        if self.spellings is None:
            return None
        table = hookspecs.load(self.spellings)
        return set(table() if callable(table) else table)

    def to_host(self, value):
        from .tensor.shared import to_host
        return to_host(value)

    def native_input(self, ttype, value, allow_downcast, what):
        """An input value of this backend's own array type (e.g. a Dask array), checked
        against `ttype` and returned unconverted; None for any other value, which the
        function then converts to NumPy.  `what` names the input in error messages."""
        return None


class LoweringTable(OpTable):
    """A backend's lowering rules by op class, and its answer for an op that has only a
    Python `perform` method (Theano's "Creating a new Op"); `lower(node)` is what the
    backend's `tracegraph_lower_op` hook answers::

        LOWERINGS = LoweringTable(perform=run_perform)
        lowers = LOWERINGS.register

        @lowers(Dot)
        def lower_dot(node): ...
    """

    def __init__(self, perform=None):
        super().__init__()
        self.perform = perform

    def lower(self, node):
        """The rule's lowering of `node`, else `perform(node)` for an op with a Python
        `perform`, else None (the core then names the op in a LoweringError)."""
        rule = self.find(node.op)
        if rule is not None:
            return rule(node)
        if self.perform is not None and callable(getattr(node.op, 'perform', None)):
            return self.perform(node)
        return None


class BackendError(ValueError):
    pass


class LoweringError(TypeError):
    """An op has no lowering on a backend (raised at function() time)."""


class ObjectModeWarning(UserWarning):
    """A compiled backend runs an op through its Python `perform` (object mode)."""


_WARNED_PERFORM = set()


def warn_python_perform(backend, op):
    """Warn, once per backend and op class, that `backend` runs `op` through its Python
    `perform`: the compiled code leaves machine code (or the GPU) for that node on every
    call, which is correct but slow, and was silent before."""
    key = (backend, type(op))
    if key in _WARNED_PERFORM:
        return
    _WARNED_PERFORM.add(key)
    warnings.warn(f'backend {backend!r} has no compiled lowering for op {op} '
                  f'({type(op).__module__}.{type(op).__qualname__}): it runs the op\'s Python '
                  '`perform` in object mode on every call (correct, but slow)',
                  ObjectModeWarning, stacklevel=2)


class PluginError(TypeError):
    """A plugin implements a hook that tracegraph does not define (a misspelling)."""


@functools.lru_cache(maxsize=None)
def plugin_manager():
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.load_setuptools_entrypoints(hookspecs.PROJECT)
    _check_hooks(pm)
    return pm


def register(plugin, name=None):
    """Register a plugin object or module by hand (tests, notebooks); a plugin with a
    hook tracegraph does not define is refused (PluginError) and left unregistered."""
    pm = plugin_manager()
    pm.register(plugin, name=name)
    try:
        _check_hooks(pm)
    except PluginError:
        pm.unregister(plugin)
        raise
    _registry.cache_clear()
    return plugin


def _check_hooks(pm):
    """pluggy's check_pending, with an error that names the plugin and the hook.

    pluggy calls only the hooks it has a spec for: a misspelled hook
    (`tracegraph_lower_ops`) would otherwise be ignored without a word."""
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        plugin = exc.plugin
        known = [n for n in dir(hookspecs) if n.startswith(hookspecs.PROJECT + '_')]
        unknown = [c.name for c in pm.get_hookcallers(plugin) or () if not c.has_spec()]
        hints = []
        for hook in unknown:
            close = difflib.get_close_matches(hook, known, n=1)
            hints.append(f'{hook!r}' + (f' (did you mean {close[0]!r}?)' if close else ''))
        raise PluginError(f'plugin {pm.get_name(plugin)!r} implements hook(s) that tracegraph does '
                          f'not define: {", ".join(hints)}. The hooks are: {", ".join(known)} '
                          '(tracegraph/hookspecs.py)') from exc


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
