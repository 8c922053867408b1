"""The table of named rewrites and the phases they run in.

A rewrite is a small function registered under a name:

    @register('local_log1p', phase='stabilize', tracks=(Elemwise,))
    def local_log1p(fgraph, node):
        ...return None (no change) or {old_variable: new_variable}

`tracks` lists the op classes (or op instances, e.g. `elemwise('log')`) whose nodes
the rewrite looks at; with `tracks=None` the rewrite sees the whole graph once per
sweep and is called as `fn(fgraph)`.  Phases run in the order of `PHASES`, each to
a fixed point.

The table sits in the IR, below every op family, so that a family registers its own
rewrites where it is defined (scan/rewrites.py, scan/pushout.py) without importing
the rewrite engine (tracegraph/rewrite/), which reads the table when it runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

PHASES = ('canonicalize', 'stabilize', 'specialize', 'fuse', 'inplace')


@dataclass(frozen=True)
class Rewrite:
    """One named rewrite.  `fast_compile` rewrites also run in the 'fast_compile' set."""

    name: str
    fn: Callable
    phase: str
    tracks: tuple | None
    fast_compile: bool = False

    @property
    def whole_graph(self):
        return self.tracks is None

    def __call__(self, *args):
        return self.fn(*args)


REWRITES: dict[str, Rewrite] = {}


def rewrite(name, phase='canonicalize', tracks=None, fast_compile=False):
    """Make a Rewrite from a function without registering it (a backend's own passes)."""
    if phase not in PHASES:
        raise ValueError(f'rewrite {name!r}: phase {phase!r} is not one of {PHASES}')
    if tracks is not None and not isinstance(tracks, (tuple, list)):
        tracks = (tracks,)

    def make(fn):
        return Rewrite(name, fn, phase, None if tracks is None else tuple(tracks), fast_compile)
    return make


def register(name, phase='canonicalize', tracks=None, fast_compile=False):
    """Decorator: register `fn` as rewrite `name` (see the module docstring)."""
    def add(fn):
        made = rewrite(name, phase, tracks, fast_compile)(fn)
        old = REWRITES.get(name)
        if old is not None and old.fn.__qualname__ != fn.__qualname__:
            raise ValueError(f'a rewrite named {name!r} is already registered ({old.fn.__module__})')
        REWRITES[name] = made
        return fn
    return add


def select(which, extra=()):
    """The rewrites of a set: 'default', 'fast_compile', 'none', or a list of names."""
    if which in (None, 'none', 'None', False):
        return []
    pool = list(REWRITES.values()) + [r for r in extra if r.name not in REWRITES]
    if which == 'default':
        return pool
    if which == 'fast_compile':
        return [r for r in pool if r.fast_compile]
    if isinstance(which, str):
        raise ValueError(f"rewrites={which!r}: use 'default', 'fast_compile', 'none' or a list "
                         'of rewrite names')
    by_name = {r.name: r for r in pool}
    unknown = [n for n in which if n not in by_name]
    if unknown:
        raise ValueError(f'unknown rewrite(s) {unknown}; known: {sorted(by_name)}')
    return [by_name[n] for n in which]
