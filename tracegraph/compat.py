"""Run Theano programs unchanged: make `import theano` name tracegraph.

    import tracegraph.compat
    tracegraph.compat.alias_theano()      # then: import theano.tensor as T, ...

or, for a whole program and its helper modules:

    python -m tracegraph.theano_compat script.py [args...]

The alias is an import hook: `theano` and every `theano.<sub>` module resolve to
`tracegraph` and `tracegraph.<sub>` (the same module objects, so `isinstance`
checks and shared state agree).
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

ALIAS = 'theano'
TARGET = 'tracegraph'


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves `theano[.x.y]` to the already-importable `tracegraph[.x.y]`."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != ALIAS and not fullname.startswith(ALIAS + '.'):
            return None
        real = TARGET + fullname[len(ALIAS):]
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self, is_package=True)

    def create_module(self, spec):
        real = TARGET + spec.name[len(ALIAS):]
        return importlib.import_module(real)

    def exec_module(self, module):
        pass  # the real module is already executed


_finder = _AliasFinder()


def alias_theano():
    """Make `import theano...` import tracegraph's modules for the rest of this process."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    for name in list(sys.modules):
        if name == TARGET or name.startswith(TARGET + '.'):
            sys.modules.setdefault(ALIAS + name[len(TARGET):], sys.modules[name])
    return importlib.import_module(ALIAS)


def remove_alias():
    """Undo `alias_theano()` (tests use this)."""
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in list(sys.modules):
        if name == ALIAS or name.startswith(ALIAS + '.'):
            del sys.modules[name]
