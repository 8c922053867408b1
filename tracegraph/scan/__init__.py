"""Loops: `scan` (Theano's theano.scan), `until`, and the Scan op they build.

`tracegraph.scan` is both this package and the function: `tg.scan(fn, ...)`
and `from tracegraph import scan` must call the loop builder even after the
package was imported (importing a submodule makes `tracegraph.scan` the module).
So the module object is made callable; it forwards to `scan.basic.scan`.
"""
import sys
import types

from . import batching  # noqa: F401  (registers the batching rule of Scan)
# Registers the scan rewrites with the engine, in this order: a rewrite registered first
# tries a node first, and a loop scan_vectorize turns into whole arrays needs no pushout.
from . import rewrites  # noqa: F401
from . import pushout  # noqa: F401
from . import checkpoint  # noqa: F401  (scan_checkpoint_forward: after the others)
from .basic import Until, scan, until
from .op import Scan

__all__ = ['Scan', 'Until', 'scan', 'until']


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return scan(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
