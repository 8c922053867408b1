"""The abstract signature of a call: what a traced graph depends on.

An array argument is abstracted to its dtype, rank and broadcast pattern (which axes
have length one); its values and other lengths do not matter.  A static argument
counts by its value.  A container counts by its structure.  Two calls with equal
signatures run the same compiled graph.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..tensor.type import TensorType


@dataclass(frozen=True)
class ArraySpec:
    """The abstract value of one array argument: a dtype and, per axis, 1 or None
    (length one, so it broadcasts, or any other length)."""

    dtype: str
    pattern: tuple

    @property
    def ndim(self):
        return len(self.pattern)

    def tensor_type(self):
        return TensorType(self.dtype, self.pattern)

    def __str__(self):
        dims = ', '.join('1' if p == 1 else '?' for p in self.pattern)
        return f'{self.dtype}[{dims}]'


def _pattern(shape):
    return tuple(1 if n == 1 else None for n in shape)


def _from_array(value):
    return ArraySpec(value.dtype.name, _pattern(value.shape))


def _from_python(dtype):
    spec = ArraySpec(np.dtype(dtype).name, ())
    return lambda value: spec


def _from_array_like(value):
    # Another array library (CuPy, Dask, ...): it has a dtype and a shape, which may hold
    # unknown lengths (Dask uses nan); those are simply not length one.
    shape = tuple(n if isinstance(n, (int, np.integer)) else None for n in value.shape)
    return ArraySpec(np.dtype(value.dtype).name, _pattern(shape))


# Python numbers become 0-d placeholders of NumPy's default dtype for them, exactly as
# np.asarray would make them (so a Python float argument is float64).
_SPEC_OF_CLASS = {
    np.ndarray: _from_array,
    bool: _from_python('bool'),
    int: _from_python('int64'),
    float: _from_python('float64'),
    complex: _from_python('complex128'),
}


def leaf_spec(value):
    """The ArraySpec of an argument leaf, or None when it is not a numeric array or number."""
    maker = _SPEC_OF_CLASS.get(value.__class__)
    if maker is None:
        if isinstance(value, np.generic):  # np.float32(2.0) and friends: 0-d arrays
            maker = _from_array
        elif hasattr(value, 'dtype') and hasattr(value, 'shape') and hasattr(value, 'ndim'):
            maker = _from_array_like
        else:
            return None
    spec = maker(value)
    return spec if np.dtype(spec.dtype).kind in _NUMERIC_KINDS else None


_NUMERIC_KINDS = 'biufc'  # strings, objects and dates are not tensors


@dataclass(frozen=True)
class Signature:
    """The cache key of one trace.

    `n_positional` and `keywords` say how the arguments were passed (after binding
    them to the function's parameters); `treedef` is the structure of the dynamic
    arguments; `leaves` their ArraySpecs; `statics` the static arguments as
    (position or name, class, value).  Not part of the key: `paths` names each leaf,
    `slots` says which argument (position or keyword) it belongs to.
    """

    n_positional: int
    keywords: tuple
    treedef: object
    leaves: tuple
    statics: tuple
    paths: tuple = field(default=(), compare=False)
    slots: tuple = field(default=(), compare=False)

    def describe(self):
        """One line per argument leaf and static argument, for explanations."""
        lines = [f'{path}: {spec}' for path, spec in zip(self.paths, self.leaves)]
        lines += [f'{_slot_name(slot)} (static): {value!r}' for slot, _, value in self.statics]
        return lines


def _slot_name(slot):
    return f'argument {slot}' if isinstance(slot, int) else slot


def explain_difference(new, old):
    """Sentences saying how signature `new` differs from `old` (a cached one)."""
    reasons = []
    if (new.n_positional, new.keywords) != (old.n_positional, old.keywords):
        reasons.append(f'the arguments were passed differently: {new.n_positional} positional '
                       f'and keywords {list(new.keywords)}, before {old.n_positional} positional '
                       f'and keywords {list(old.keywords)}')
    old_statics = {slot: (cls, value) for slot, cls, value in old.statics}
    for slot, cls, value in new.statics:
        before = old_statics.get(slot)
        if before is None:
            reasons.append(f'{_slot_name(slot)} is static now and was not passed before')
        elif before != (cls, value):
            reasons.append(f'static {_slot_name(slot)} is {value!r} ({cls.__name__}); the cached '
                           f'trace has {before[1]!r} ({before[0].__name__})')
    if new.treedef != old.treedef:
        reasons.append(f'the structure of the arguments changed: {new.treedef}, '
                       f'before {old.treedef}')
        return reasons
    for path, now, then in zip(new.paths, new.leaves, old.leaves):
        reasons += _leaf_difference(path, now, then)
    return reasons


def _leaf_difference(path, now, then):
    if now == then:
        return []
    if now.dtype != then.dtype:
        return [f'{path} has dtype {now.dtype}; the cached trace has {then.dtype}']
    if now.ndim != then.ndim:
        return [f'{path} has {now.ndim} dimension(s); the cached trace has {then.ndim}']
    axes = [ax for ax, (a, b) in enumerate(zip(now.pattern, then.pattern)) if a != b]
    return [f'{path} has a different broadcast pattern on axis {ax}: '
            f'{"length 1" if now.pattern[ax] == 1 else "length other than 1"} now, '
            f'{"length 1" if then.pattern[ax] == 1 else "length other than 1"} before'
            for ax in axes]


def closest(new, cached):
    """The cached signature most like `new` (or None): same structure first, then the
    fewest different static values, dtypes, ranks and broadcast patterns, in that order."""
    return min(cached, key=lambda old: _distance(new, old), default=None)


def _distance(new, old):
    if new.treedef != old.treedef or (new.n_positional, new.keywords) != (old.n_positional, old.keywords):
        return (1, 0, 0, 0, 0)
    statics = sum(a != b for a, b in zip(new.statics, old.statics)) + abs(len(new.statics) - len(old.statics))
    pairs = list(zip(new.leaves, old.leaves))
    return (0, statics, sum(a.dtype != b.dtype for a, b in pairs),
            sum(a.ndim != b.ndim for a, b in pairs), sum(a.pattern != b.pattern for a, b in pairs))
