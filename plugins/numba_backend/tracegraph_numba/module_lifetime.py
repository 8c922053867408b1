"""A compiled function's generated module lives as long as the function.

`cache.load` registers each graph module in `sys.modules` (Numba looks it up there
while it compiles).  Removing it is not enough: its globals hold the dispatcher and
the dispatcher holds the globals, a cycle the collector cannot see through (the
dispatcher is a C type), so the namespace is emptied too.
"""
from __future__ import annotations

import sys
import weakref


def release_with(owner, module):
    """Take `module` out of `sys.modules` when `owner` (the function's `run`) dies, unless
    another function's module took its name since.  Kernel modules stay: they are shared."""
    done = weakref.finalize(owner, _unregister, module.__name__, module)
    done.atexit = False  # nothing to free when the process ends


def _unregister(name, module):
    if sys.modules.get(name) is module:
        del sys.modules[name]
    # Each linked function has a module of its own (cache.load), so no one else reads it.
    module.__dict__.clear()
