"""A compiled function's generated module lives as long as the function.

`cache.load` registers each graph module in `sys.modules`: Numba must find it there
while it compiles (it names the module of the code it caches, and compiles lazily
on a first call when a signature is not known in advance).  Left there, a module
lives as long as the process, with everything its globals hold.  (Numba itself
keeps a compiled dispatcher's machine code alive after that: measured, the process
still grows by ~2.6 MB per distinct function compiled and dropped.)
"""
from __future__ import annotations

import sys
import weakref


def release_with(owner, module):
    """Take `module` out of `sys.modules` when `owner` (the function's `run`) dies.

    Another function compiled from the same file may have registered its own module
    under the same name since; that one stays.  (Kernel modules are not released:
    they are a process-wide cache shared by every graph that calls them.)
    """
    weakref.finalize(owner, _unregister, module.__name__, module)


def _unregister(name, module):
    if sys.modules.get(name) is module:
        del sys.modules[name]
