"""@tg.compile: a Python function traced once per signature, compiled and cached.

    @tg.compile                                   # or @tg.compile(static_argnums=(1,))
    def step(x, w):
        return T.tanh(x @ w).sum()
    step(np.ones((4, 3)), np.ones(3))             # traces, compiles, runs
    step(np.zeros((8, 3)), np.ones(3))            # same signature: runs the cached graph

The cache maps a Signature (see signature.py) to an Entry: the Traced graph, the
tg.Function compiled from it, and generated fast calls (see fastpath.py).
"""
from __future__ import annotations

import functools
import logging

from .arguments import Binder
from .fastpath import MISSING, generate
from .pytree import unflatten
from .signature import closest, explain_difference
from .tracer import trace

log = logging.getLogger('tracegraph.trace')


class Entry:
    """One signature's trace, its compiled function (made on the first call, so that
    `lower` does not compile) and its fast calls, keyed by the classes of the leaves."""

    __slots__ = ('signature', 'traced', 'function', 'run', 'fast_calls')

    def __init__(self, signature, traced):
        self.signature = signature
        self.traced = traced
        self.function = None
        self.run = None
        self.fast_calls = {}


class Compiled:
    """A function compiled by tracing; call it with arrays.  See `compile`."""

    def __init__(self, fn, backend=None, static_argnums=(), static_argnames=(),
                 donate_argnums=(), explain_cache_misses=False, no_default_updates=False):
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.backend = backend
        self.no_default_updates = no_default_updates
        self.explain_cache_misses = explain_cache_misses
        self.trace_count = 0
        self._binder = Binder(fn, static_argnums, static_argnames, donate_argnums)
        self._cache = {}
        # Each instance gets its own class, so that the generated fast call of the entry
        # used last can *be* `__call__`: Python looks `__call__` up on the class, and one
        # level of forwarding (*args, **kwargs) would cost a third of the call overhead.
        self.__class__ = type(type(self).__name__, (type(self),), {})

    def __call__(self, *args, **kwargs):
        return self._call(args, kwargs)

    def __get__(self, obj, objtype=None):
        # A decorated method: bind the instance like a function would.  It is then an
        # argument like any other, so it must be static (static_argnums=0) or a container.
        return self if obj is None else functools.partial(self, obj)

    # -- calling ---------------------------------------------------------------------
    def _call(self, args, kwargs):
        sig, leaves = self._binder.split(args, kwargs)
        if sig is None:  # called with symbolic variables: build the graph in place
            return self.fn(*args, **kwargs)
        entry = self._entry(sig, leaves)
        if entry.function is None:
            self._compile(entry)
        self._install_fast_call(entry, leaves)
        out = entry.run(*leaves)
        return out if _is_single(entry.traced.out_tree) else unflatten(entry.traced.out_tree, out)

    def _slow(self, positional, rest, kwargs):
        """Where a fast call sends the calls it does not recognise."""
        args = tuple(a for a in positional if a is not MISSING) + rest
        return self._call(args, kwargs)

    def _entry(self, sig, leaves):
        entry = self._cache.get(sig)
        if entry is None:
            if self.explain_cache_misses and self._cache:
                log.warning('%s', self._explain(sig))
            self.trace_count += 1
            traced = trace(self.fn, self.__qualname__, sig, self._rebuild_call(sig))
            entry = self._cache[sig] = Entry(sig, traced)
        return entry

    def _compile(self, entry):
        donate = {k for k, slot in enumerate(entry.signature.slots)
                  if slot in self._binder.donate_argnums}
        entry.function = entry.traced.compile(backend=self.backend, donate=donate,
                                              no_default_updates=self.no_default_updates)
        # Function's own fast path, when it has one, skips its keyword handling.
        entry.run = getattr(entry.function, '_fast', entry.function)

    def _install_fast_call(self, entry, leaves):
        classes = tuple(leaf.__class__ for leaf in leaves)
        fast = entry.fast_calls.get(classes)
        if fast is None and classes not in entry.fast_calls:
            fast = entry.fast_calls[classes] = generate(
                entry, classes, self._binder, entry.run, entry.traced.out_tree, Compiled._slow)
        type(self).__call__ = fast if fast is not None else Compiled.__call__

    def _rebuild_call(self, sig):
        """A function from placeholder leaves to the (args, kwargs) of a traced call."""
        statics = {slot: value for slot, _, value in sig.statics}

        def rebuild(leaves):
            dyn_pos, dyn_kw = unflatten(sig.treedef, leaves)
            dyn_pos = iter(dyn_pos)
            args = tuple(statics[k] if k in statics else next(dyn_pos)
                         for k in range(sig.n_positional))
            kwargs = {name: statics[name] if name in statics else dyn_kw[name]
                      for name in sig.keywords}
            return args, kwargs
        return rebuild

    # -- looking inside ------------------------------------------------------------------
    def lower(self, *args, **kwargs):
        """The Traced graph for these arguments, without compiling or running it.

        `tg.debugprint(step.lower(x))` prints it; a later call with the same
        signature compiles this trace instead of tracing again.
        """
        sig, leaves = self._binder.split(args, kwargs)
        if sig is None:
            raise TypeError(f'{self.__qualname__}.lower() needs concrete arguments (arrays, '
                            'numbers), not symbolic variables')
        return self._entry(sig, leaves).traced

    def explain_cache_miss(self, *args, **kwargs):
        """Why a call with these arguments would trace again (or that it would not)."""
        sig, _ = self._binder.split(args, kwargs)
        if sig is None:
            return 'symbolic arguments: the function is called inline, nothing is cached'
        if sig in self._cache:
            return f'cache hit: {self.__qualname__} was traced for this signature'
        return self._explain(sig)

    def _explain(self, sig):
        name = self.__qualname__
        old = closest(sig, list(self._cache))
        if old is None:
            return f'cache miss: {name} has not been traced yet'
        reasons = explain_difference(sig, old)
        return (f'cache miss: {name} is traced again because, compared with the closest of '
                f'its {len(self._cache)} cached signature(s):\n  - ' + '\n  - '.join(reasons))

    @property
    def cache_size(self):
        return len(self._cache)

    def clear_cache(self):
        self._cache.clear()
        type(self).__call__ = Compiled.__call__

    def __repr__(self):
        return f'<tracegraph.compile {self.__qualname__}: {len(self._cache)} signature(s) cached>'


def _is_single(out_tree):
    return out_tree.num_leaves == 1 and out_tree.num_nodes == 1


def compile(fn=None, *, backend=None, static_argnums=(), static_argnames=(), donate_argnums=(),
            explain_cache_misses=False, no_default_updates=False):
    """Compile a Python function of arrays by tracing it: `@tg.compile` or `@tg.compile(...)`.

    The first call with a new abstract signature (each array argument's dtype, rank and
    broadcast pattern, the values of static arguments, the structure of containers)
    calls `fn` with placeholder tensors, compiles the graph it returns like tg.function
    and caches it; later calls with that signature run the cached function.

    - `backend`: a backend's name (default: `config.backend`).
    - `static_argnums` / `static_argnames`: arguments passed to `fn` as Python values
      (they may drive `if` and `for`); each new value traces again.  They must be hashable.
    - `donate_argnums`: positional arguments whose arrays the compiled function may
      overwrite (reuse as scratch or output memory); do not read them after the call.
    - `explain_cache_misses=True`: log, through logging's `tracegraph.trace` logger,
      why each new trace did not match a cached one (`step.explain_cache_miss(*args)`
      returns the same text on demand).
    - `no_default_updates`: as tg.function's (True, or a list of shared variables whose
      default updates, such as a random stream's, are not applied).

    Inside `fn`, `tg.update(shared, new_value)` updates a shared variable after each
    call, with tg.function's semantics (reads see the old value).
    """
    options = dict(backend=backend, static_argnums=static_argnums, static_argnames=static_argnames,
                   donate_argnums=donate_argnums, explain_cache_misses=explain_cache_misses,
                   no_default_updates=no_default_updates)
    if fn is None:
        return lambda f: Compiled(f, **options)
    if not callable(fn):
        raise TypeError(f'tg.compile decorates a function, got {fn!r}; for options write '
                        '@tg.compile(backend=..., static_argnums=...)')
    return Compiled(fn, **options)
