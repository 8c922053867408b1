"""The import alias: make `import theano` name tracegraph, for the rest of the process.

`theano` is tracegraph itself; `theano.X` is `tracegraph.theano.X` where the room
holds X (gof, scalar, gradient, sandbox.rng_mrg, scan_module, sparse,
tensor.sharedvar, compile, ...) and `tracegraph.X` otherwise (tensor, printing,
ifelse, config, ...); `theano.compile.X` beyond the room is `tracegraph.compiler.X`.
The same module objects, so `isinstance` checks and shared state agree.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

ALIAS = 'theano'
TARGET = 'tracegraph'
ROOM = 'tracegraph.theano'
# Theano's name of a tracegraph package where the two differ: `theano.compile` is the
# room's module (also @tg.compile), its submodules are tracegraph.compiler's.
RENAMED = {'.compile.': '.compiler.'}


def real_name(alias_name):
    """The module `theano[.x.y]` names: the room's where the room holds it, else
    tracegraph's.  A room package that mirrors one of tracegraph's (`tensor`) only
    adds modules to it, so its own name stays tracegraph's."""
    rest = alias_name[len(ALIAS):]
    room, own = ROOM + rest, TARGET + _renamed(rest)
    if rest and _spec(room) is not None:
        if _spec(room).submodule_search_locations is None or _spec(own) is None:
            return room
    return own


def _renamed(rest):
    for theano_name, own_name in RENAMED.items():
        if rest.startswith(theano_name):
            return own_name + rest[len(theano_name):]
    return rest


def _spec(name):
    try:
        return importlib.util.find_spec(name)
    except ModuleNotFoundError:  # a parent is a module, not a package
        return None


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves `theano[.x.y]` to the tracegraph module `real_name` gives."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != ALIAS and not fullname.startswith(ALIAS + '.'):
            return None
        real = _spec(real_name(fullname))
        if real is None:
            return None
        return importlib.util.spec_from_loader(fullname, self,
                                               is_package=real.submodule_search_locations is not None)

    def create_module(self, spec):
        module = importlib.import_module(real_name(spec.name))
        spec.loader_state = module.__spec__
        return module

    def exec_module(self, module):
        # The real module is already executed; the import system has just set its
        # __spec__ to the alias's, so give it back its own (real_name reads it).
        module.__spec__ = module.__spec__.loader_state


_finder = _AliasFinder()


def alias_theano():
    """Make `import theano...` import tracegraph's modules for the rest of this process."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    loaded = [name for name in sys.modules if name == TARGET or name.startswith(TARGET + '.')]
    for name in loaded:
        prefix = ROOM if name.startswith(ROOM + '.') else TARGET
        alias = ALIAS + name[len(prefix):]
        real = real_name(alias)
        if real in sys.modules:
            sys.modules.setdefault(alias, sys.modules[real])
    return importlib.import_module(ALIAS)


def remove_alias():
    """Undo `alias_theano()` (tests use this)."""
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in list(sys.modules):
        if name == ALIAS or name.startswith(ALIAS + '.'):
            del sys.modules[name]
