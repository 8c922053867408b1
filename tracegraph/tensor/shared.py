"""Shared variables: symbolic variables that also hold a value, shared by every
function that mentions them.  The value lives in a Container that compiled
functions read before a call and write after it."""
from __future__ import annotations

import copy
import itertools
import threading

import numpy as np

from ..ir import Variable
from .basic import as_tensor_variable
from .elemwise import _adopt
from .type import TensorType
from .variable import TensorVariable


_container_ids = itertools.count()


class Container:
    """A box holding one value; compiled functions read and replace `.value`.

    `lock` makes a call that updates the value atomic with respect to other calls
    touching the same box; functions take the locks of all their boxes in `uid`
    order, so two functions sharing several boxes never deadlock (compiler/locking.py).
    """

    __slots__ = ('value', 'owner', 'lock', 'uid')

    def __init__(self, value, owner=None):
        self.value = value
        self.owner = owner
        self.lock = threading.RLock()
        self.uid = next(_container_ids)

    def __getstate__(self):
        return {'value': self.value, 'owner': self.owner}

    def __setstate__(self, state):
        self.__init__(state['value'], state['owner'])

    def __repr__(self):
        return f'Container({self.value!r})'


def to_host(value):
    """A NumPy copy-free view of a backend value (CuPy arrays come back with `.get()`)."""
    if isinstance(value, np.ndarray):
        return value
    getter = getattr(value, 'get', None)
    if callable(getter) and hasattr(value, '__cuda_array_interface__'):
        return getter()
    return np.asarray(value)


class SharedVariable(TensorVariable):
    """A tensor variable with a value.  `default_update`, when set, is the expression a
    function applies to it after each call unless told otherwise (random streams use it)."""

    def __init__(self, type, value, name=None, strict=False, allow_downcast=None, borrow=False):
        super().__init__(type, name=name)
        self.container = Container(None, owner=self)
        self.default_update = None
        self._allow_downcast = allow_downcast
        self.set_value(value, borrow=borrow)

    def get_value(self, borrow=False, return_internal_type=False):
        """The value; a copy unless `borrow=True` (then, on a GPU backend with
        `return_internal_type=True`, the device array itself)."""
        value = self.container.value
        if borrow and return_internal_type:
            return value
        host = to_host(value)
        if borrow:
            return host
        return host.copy() if host is value else host

    def set_value(self, value, borrow=False):
        """Replace the value (copied unless `borrow=True`); it must fit the variable's type."""
        if not isinstance(value, np.ndarray) and hasattr(value, '__cuda_array_interface__'):
            self._check_device_value(value)
            with self.container.lock:
                self.container.value = value if borrow else value.copy()
            return
        data = self.type.filter(value, allow_downcast=self._allow_downcast,
                                what=f'the value of shared variable {self.name or self}')
        if not borrow and (data is value or (isinstance(value, np.ndarray) and np.shares_memory(data, value))):
            data = data.copy()
        with self.container.lock:  # never in the middle of a call that updates it
            self.container.value = data

    def _check_device_value(self, value):
        if value.dtype != self.type.dtype or value.ndim != self.type.ndim:
            raise TypeError(f'shared variable {self.name or self} holds {self.type}; got a device '
                            f'array of {value.dtype} with {value.ndim} dimension(s)')

    def __bool__(self):
        # Theano code tests `if not W:` to mean "W was not given"; a shared variable is an
        # object that exists, so it is truthy (Theano 1.0 did the same).  Symbolic results
        # still refuse bool(), since they have no value while the graph is built.
        return True

    @property
    def value(self):
        return self.get_value()

    @value.setter
    def value(self, v):
        self.set_value(v)

    def clone(self):
        return self  # a shared variable is one value, wherever the graph is copied

    def __deepcopy__(self, memo):
        other = copy.copy(self)
        other.container = Container(copy.deepcopy(self.container.value, memo), owner=other)
        return other


class GenericSharedVariable(SharedVariable):
    """A shared variable of a non-tensor type (e.g. a random generator state)."""

    def set_value(self, value, borrow=False):
        data = self.type.filter(value)
        with self.container.lock:
            self.container.value = data if borrow else copy.deepcopy(data)

    def get_value(self, borrow=False, return_internal_type=False):
        value = self.container.value
        return value if borrow else copy.deepcopy(value)


def checked_update(target, expr):
    """`expr` as the new value of shared variable `target` (tg.function's updates and
    scan's): a Python number takes the target's dtype; a different dtype, rank or
    static length is an error that says how to fix it."""
    name = target.name or str(target)
    if not isinstance(expr, Variable):
        expr = as_tensor_variable(expr)
        if getattr(expr, 'weak', None) is not None:
            expr = _adopt(expr, target.type.dtype)
    if expr.type == target.type:
        return expr
    if getattr(expr.type, 'dtype', None) != getattr(target.type, 'dtype', None):
        raise TypeError(
            f'the update of shared variable {name!r} has dtype {expr.type.dtype} but {name} is '
            f'{target.type.dtype}: an update must keep the dtype. Cast the expression, e.g. '
            f'({expr}).astype({target.type.dtype!r}).')
    if expr.type.ndim != target.type.ndim:
        raise TypeError(f'the update of shared variable {name!r} has {expr.type.ndim} '
                        f'dimension(s) but {name} has {target.type.ndim}')
    for axis, (want, got) in enumerate(zip(target.type.shape, expr.type.shape)):
        if want is not None and got is not None and want != got:
            raise ValueError(f'the update of shared variable {name!r} has length {got} on axis '
                             f'{axis}, but {name} has {want}')
    return expr


_SHARED_CONSTRUCTORS = []


def shared_constructor(fn):
    """Register a constructor tried (newest first) before the tensor one: fn(value, name,
    strict, allow_downcast, borrow, **kw) -> SharedVariable, or raise TypeError to pass."""
    _SHARED_CONSTRUCTORS.insert(0, fn)
    return fn


def shared(value, name=None, strict=False, allow_downcast=None, borrow=False, shape=None,
           broadcastable=None, **kwargs):
    """A shared variable holding `value`.  Python ints make int64 scalars, floats float64.

    Its static shape is unknown on every axis (so `set_value` may change it) unless
    `shape=` or `broadcastable=` says otherwise.
    """
    for constructor in _SHARED_CONSTRUCTORS:
        try:
            return constructor(value, name=name, strict=strict, allow_downcast=allow_downcast,
                               borrow=borrow, **kwargs)
        except TypeError:
            continue
    if isinstance(value, SharedVariable):
        raise TypeError('shared() of a shared variable: use it directly')
    if isinstance(value, bool):
        data = np.asarray(value)
    elif isinstance(value, int):
        data = np.asarray(value, dtype='int64')
    elif isinstance(value, float):
        data = np.asarray(value, dtype='float64')
    elif isinstance(value, np.ndarray) or hasattr(value, '__cuda_array_interface__'):
        data = value
    else:
        data = np.asarray(value)
        if data.dtype == object:
            raise TypeError(f'shared(): cannot store {type(value).__name__} values')
    if broadcastable is not None:
        static = tuple(1 if b else None for b in broadcastable)
    elif shape is not None:
        static = tuple(shape)
    else:
        static = (None,) * data.ndim
    ttype = TensorType(data.dtype, static)
    return SharedVariable(ttype, data, name=name, strict=strict, allow_downcast=allow_downcast,
                          borrow=borrow)
