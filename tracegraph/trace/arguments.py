"""Binding a call's arguments: which are static, which are traced, and their names.

A call is first bound to the function's parameters (so `f(a, w=b)` and `f(a, b)` are
the same call), then split into static arguments, which are part of the cache key
by value, and dynamic ones, which are flattened into array leaves.
"""
from __future__ import annotations

import inspect

import numpy as np

from ..ir import Variable
from .pytree import flatten_with_accessors
from .signature import Signature, leaf_spec


class ArgumentError(TypeError):
    """An argument @tg.compile cannot trace (not an array, an unhashable static value...)."""


class Binder:
    """What one decorated function needs to bind calls: its parameters and options."""

    def __init__(self, fn, static_argnums=(), static_argnames=(), donate_argnums=()):
        self.fn_name = getattr(fn, '__qualname__', getattr(fn, '__name__', repr(fn)))
        try:
            self.signature = inspect.signature(fn)
        except (TypeError, ValueError):  # a builtin or C callable: take calls as given
            self.signature = None
        params = list(self.signature.parameters.values()) if self.signature else []
        self.positional_names = [p.name for p in params
                                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        self.varargs = next((p.name for p in params if p.kind == p.VAR_POSITIONAL), None)
        self.static_argnums, self.static_argnames = self._statics(static_argnums, static_argnames)
        self.donate_argnums = frozenset(_int_tuple(donate_argnums, 'donate_argnums'))
        self._check_known(params)
        overlap = self.donate_argnums & self.static_argnums
        if overlap:
            raise ValueError(f'{self.fn_name}: argument(s) {sorted(overlap)} are both static and '
                             'donated; a static argument is a Python value, not a buffer')

    def _statics(self, argnums, argnames):
        nums = set(_int_tuple(argnums, 'static_argnums'))
        names = set((argnames,) if isinstance(argnames, str) else argnames or ())
        # A static parameter may be passed by position or by keyword: know it both ways.
        for k, name in enumerate(self.positional_names):
            if k in nums:
                names.add(name)
            if name in names:
                nums.add(k)
        return frozenset(nums), frozenset(names)

    def _check_known(self, params):
        """Option values that name no parameter are typos: say so at decoration time."""
        if self.signature is None:
            return
        kinds = {p.kind for p in params}
        if inspect.Parameter.VAR_POSITIONAL not in kinds:
            n = len(self.positional_names)
            for what, nums in (('static_argnums', self.static_argnums),
                               ('donate_argnums', self.donate_argnums)):
                beyond = sorted(k for k in nums if k >= n)
                if beyond:
                    raise ValueError(f'{self.fn_name}: {what} {beyond} but the function takes '
                                     f'{n} positional parameter(s) {self.positional_names}')
        if inspect.Parameter.VAR_KEYWORD not in kinds:
            known = {p.name for p in params}
            unknown = sorted(self.static_argnames - known)
            if unknown:
                raise ValueError(f'{self.fn_name}: static_argnames {unknown} name no parameter '
                                 f'of the function (its parameters: {sorted(known)})')

    def bind(self, args, kwargs):
        """(positional, keywords) after binding to the parameters; defaults left out."""
        if self.signature is None:
            return tuple(args), dict(kwargs)
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f'{self.fn_name}(): {exc}') from None
        return bound.args, bound.kwargs

    def name_of(self, position):
        if position < len(self.positional_names):
            return self.positional_names[position]
        return f'{self.varargs or "args"}[{position - len(self.positional_names)}]'

    def split(self, args, kwargs):
        """Bind a call: (Signature, dynamic leaves).  Raises ArgumentError for bad leaves."""
        positional, keywords = self.bind(args, kwargs)
        statics, dyn_pos, dyn_kw = [], [], {}
        for k, value in enumerate(positional):
            if k in self.static_argnums:
                statics.append((k, value.__class__, _hashable(value, self.name_of(k), self.fn_name)))
            else:
                dyn_pos.append(value)
        for name in sorted(keywords):
            value = keywords[name]
            if name in self.static_argnames:
                statics.append((name, value.__class__, _hashable(value, name, self.fn_name)))
            else:
                dyn_kw[name] = value
        self._check_lists(positional, dyn_kw)
        accessors, leaves, treedef = flatten_with_accessors((tuple(dyn_pos), dyn_kw))
        if any(isinstance(leaf, Variable) for leaf in leaves):
            return None, leaves  # symbolic arguments: the caller builds the graph inline
        slots = self._leaf_slots(accessors, len(positional))
        names = [self._slot_name(slot) + ''.join(e.codify('') for e in entries[2:])
                 for slot, entries in zip(slots, accessors)]
        specs = []
        for name, leaf in zip(names, leaves):
            spec = leaf_spec(leaf)
            if spec is None:
                raise ArgumentError(_not_an_array(self.fn_name, name, leaf))
            specs.append(spec)
        sig = Signature(len(positional), tuple(sorted(keywords)), treedef, tuple(specs),
                        tuple(statics), paths=tuple(names), slots=tuple(slots))
        return sig, leaves

    def _check_lists(self, positional, dyn_kw):
        """A ragged nested list of numbers was meant as an array that cannot exist: traced
        as a container of scalars it would silently compute something else (`x * 2`
        repeats a list)."""
        named = [(self.name_of(k), v) for k, v in enumerate(positional) if k not in self.static_argnums]
        for name, value in named + sorted(dyn_kw.items()):
            if _ragged_numbers(value):
                raise ArgumentError(
                    f'{self.fn_name}(): argument {name} is a ragged nested list of numbers '
                    f'({_short(value)}): its rows differ in length, so it is no array. Pass '
                    'an array (numpy.asarray) with equal rows, or a tuple of arrays if it is '
                    'a container.')

    def _leaf_slots(self, accessors, n_positional):
        """The argument each leaf belongs to: its position, or its keyword's name.

        A leaf's accessor starts [0][k] (the k-th dynamic positional argument) or
        [1]['name'] (a keyword argument); the rest is its path inside that argument.
        """
        positions = self.dynamic_positions(n_positional)
        return [positions[e[1].entry] if e[0].entry == 0 else e[1].entry for e in accessors]

    def _slot_name(self, slot):
        return self.name_of(slot) if isinstance(slot, int) else slot

    def dynamic_positions(self, n_positional):
        return [k for k in range(n_positional) if k not in self.static_argnums]


def _int_tuple(value, what):
    if value is None:
        return ()
    items = (value,) if isinstance(value, int) else tuple(value)
    if not all(isinstance(i, int) and i >= 0 for i in items):
        raise TypeError(f'{what} must be non-negative ints, got {value!r}')
    return items


def _hashable(value, name, fn_name):
    try:
        hash(value)
    except TypeError:
        raise ArgumentError(
            f'{fn_name}(): static argument {name} must be hashable (its value is part of the '
            f'cache key), got an unhashable {type(value).__name__}. Pass a tuple instead of '
            'a list, or a frozen dataclass.') from None
    return value


def none_arguments(fn, args, kwargs):
    """Names of the arguments of a traced call that are None (for errors while tracing)."""
    try:
        bound = inspect.signature(fn).bind_partial(*args, **kwargs).arguments
    except (TypeError, ValueError):
        return [f'argument {k}' for k, v in enumerate(args) if v is None]
    return [name for name, v in bound.items() if v is None]


def none_error(fn_name, names, exc):
    """A TypeError from tracing with None arguments, naming them."""
    which = ', '.join(names)
    return ArgumentError(
        f'{fn_name}(): tracing failed with {type(exc).__name__}: {exc}. The argument(s) {which} '
        'were passed as None: a None argument is traced as an empty container, not an array. '
        'Pass an array, leave the argument out to use its default, or mark it static '
        f'(@tg.compile(static_argnames=({", ".join(repr(n) for n in names)},))) if the '
        'function tests `is None`.')


def _ragged_numbers(value):
    """A list of lists whose leaves are all numbers, and that NumPy cannot make an array of."""
    if not isinstance(value, list) or not any(isinstance(v, (list, tuple)) for v in value):
        return False
    stack = list(value)
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif not isinstance(item, (bool, int, float, complex)):
            return False  # arrays or other leaves: a container, as the API says
    try:
        np.asarray(value)
    except ValueError:  # "inhomogeneous shape"
        return True
    return False


def _short(value):
    text = repr(value)
    return text if len(text) < 50 else text[:47] + '...'


def _not_an_array(fn_name, name, leaf):
    text = repr(leaf)
    text = text if len(text) < 50 else text[:47] + '...'
    return (f'{fn_name}(): argument {name} is a {type(leaf).__name__} ({text}), which cannot be '
            'traced: array arguments must be NumPy arrays, array-likes or Python numbers '
            '(or tuples, lists, dicts and dataclasses of them). If it is a setting, mark it '
            f'static: @tg.compile(static_argnames=({name.split("[")[0].split(".")[0]!r},)).')
