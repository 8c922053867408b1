"""TensorType: a dtype and a static shape (a length, or None, per axis)."""
from __future__ import annotations

import numpy as np

from ..ir import Type
from .. import config


class TensorType(Type):
    """The type of an n-dimensional array.

    `shape` holds a known length or None per axis; an axis of known length 1 is
    *broadcastable*.  Theano's spelling `TensorType(dtype, broadcastable)` with a
    tuple of booleans is accepted too.
    """

    __slots__ = ('dtype', 'shape', '_hash')

    def __init__(self, dtype, shape=None, broadcastable=None, name=None):
        if shape is not None and broadcastable is None and all(isinstance(s, (bool, np.bool_)) for s in shape) and len(shape) > 0:
            broadcastable, shape = shape, None
        if broadcastable is not None:
            shape = tuple(1 if b else None for b in broadcastable)
        if shape is None:
            raise TypeError('TensorType needs a shape (or a broadcastable pattern)')
        object.__setattr__(self, 'dtype', np.dtype(config.resolve_dtype(dtype)).name)
        object.__setattr__(self, 'shape', tuple(None if s is None else int(s) for s in shape))
        object.__setattr__(self, '_hash', hash((self.dtype, self.shape)))

    def __setattr__(self, key, value):
        raise AttributeError('TensorType is immutable')

    def __reduce__(self):
        return (TensorType, (self.dtype, self.shape))

    # -- identity -------------------------------------------------------
    def __eq__(self, other):
        return type(other) is TensorType and other.dtype == self.dtype and other.shape == self.shape

    def __hash__(self):
        return self._hash

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def broadcastable(self):
        return tuple(s == 1 for s in self.shape)

    @property
    def numpy_dtype(self):
        return np.dtype(self.dtype)

    def clone(self, dtype=None, shape=None):
        return TensorType(dtype or self.dtype, self.shape if shape is None else shape)

    def __str__(self):
        dims = ', '.join('?' if s is None else str(s) for s in self.shape)
        return f'TensorType({self.dtype}, shape=({dims}{"," if self.ndim == 1 else ""}))'

    __repr__ = __str__

    def is_super(self, other):
        """True when every value of `other` is also a value of self."""
        return (self.dtype == other.dtype and self.ndim == other.ndim
                and all(a is None or a == b for a, b in zip(self.shape, other.shape)))

    # -- values ---------------------------------------------------------
    def filter(self, value, strict=False, allow_downcast=None, what='value'):
        """Convert `value` to an array of this type, or raise saying why not.

        Follows Theano: an array of another dtype is cast only when no precision
        is lost, unless `allow_downcast`; Python numbers and lists are accepted
        when converting them loses nothing; Python floats may always become floatX.
        """
        if isinstance(value, np.ndarray) and value.dtype == self.dtype:
            data = value
        elif strict:
            raise TypeError(f'{what} must be a {self.dtype} array (strict), got {_describe(value)}')
        else:
            data = self._convert(value, allow_downcast, what)
        if data.ndim != self.ndim:
            raise TypeError(f'{what} must have {self.ndim} dimension(s) to match {self}, '
                            f'got {data.ndim} (shape {data.shape})')
        for axis, (want, got) in enumerate(zip(self.shape, data.shape)):
            if want is not None and want != got:
                raise ValueError(f'{what} has length {got} on axis {axis}; {self} needs {want}')
        return data

    def _convert(self, value, allow_downcast, what):
        is_python = not isinstance(value, (np.ndarray, np.generic)) and not hasattr(value, '__array_namespace__')
        if not is_python and not isinstance(value, (np.ndarray, np.generic)):
            value = np.asarray(value)  # another array library: bring it to host
        try:
            src = np.asarray(value)
        except ValueError as exc:  # ragged nested lists: NumPy names neither input nor value
            raise ValueError(f'{what}: cannot make a {self.dtype} array from {_describe(value)}: '
                             f'{exc}') from None
        if src.dtype == object:
            raise TypeError(f'{what}: cannot make a {self.dtype} array from {_describe(value)}')
        if src.dtype.kind in 'USV':  # never parse text as numbers, downcast allowed or not
            raise TypeError(f'{what}: expected numbers for a {self.dtype} array, got '
                            f'{_describe(value)} ({src.dtype.kind == "U" and "text" or "bytes"})')
        if src.dtype == self.dtype:
            return src
        if allow_downcast or np.can_cast(src.dtype, self.dtype, 'safe'):
            return src.astype(self.dtype)
        if is_python:
            converted = src.astype(self.dtype)
            if (isinstance(value, float) and self.dtype == config.floatX) or np.array_equal(converted, src):
                return converted
        raise TypeError(
            f'{what}: a {src.dtype} value would lose precision as {self.dtype} '
            f'(got {_describe(value)}). Pass a {self.dtype} array, or compile with '
            f'allow_input_downcast=True to accept the downcast.')

    def value_is_valid(self, value):
        try:
            self.filter(value, strict=True)
            return True
        except (TypeError, ValueError):
            return False

    @property
    def variable_class(self):
        from .variable import TensorVariable
        return TensorVariable


def _describe(value):
    if isinstance(value, np.ndarray):
        return f'array of {value.dtype} with shape {value.shape}'
    text = repr(value)
    return text if len(text) < 60 else text[:57] + '...'
