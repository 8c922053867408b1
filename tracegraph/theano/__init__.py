"""Theano's module paths, in their own room.

tracegraph's own packages (ir, tensor, autodiff, scan, random, rewrite, compiler,
trace) hold the library.  This package holds the modules a Theano 1.0 program
imports by Theano's names and that are not part of that design: `gof`, `scalar`,
`gradient`, `compile` (also `tg.compile`), `sandbox.rng_mrg`, `scan_module`, `sparse`
(a clear ImportError), `tensor.sharedvar`, `tensor.shared_randomstreams`.

    import tracegraph.theano
    tracegraph.theano.alias_theano()        # then: import theano.tensor as T, ...

or, for a whole program and its helper modules:

    python -m tracegraph.theano script.py [args...]

The alias resolves `theano.X` to `tracegraph.theano.X` where this room holds X,
and to `tracegraph.X` otherwise (see `alias.py`).
"""
from .alias import alias_theano, remove_alias  # noqa: F401
