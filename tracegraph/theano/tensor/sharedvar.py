"""Theano's `tensor.sharedvar` names: `TensorSharedVariable` and `ScalarSharedVariable`.

`tg.shared()` makes one SharedVariable class for every tensor value; these names are
views of it for `isinstance` checks as Theano's libraries write them:
`isinstance(tg.shared(np.zeros(3)), TensorSharedVariable)` is True, and
`ScalarSharedVariable` matches the 0-d ones (Theano made those from Python scalars).
"""
from __future__ import annotations

from ...tensor.shared import GenericSharedVariable, SharedVariable, shared  # noqa: F401


class _TensorSharedMeta(type):
    def __instancecheck__(cls, obj):
        return cls._accepts(obj) or type.__instancecheck__(cls, obj)

    def __subclasscheck__(cls, sub):
        return type.__subclasscheck__(cls, sub) or (
            issubclass(sub, SharedVariable) and not issubclass(sub, GenericSharedVariable)
            and cls.__name__ == 'TensorSharedVariable')


class TensorSharedVariable(SharedVariable, metaclass=_TensorSharedMeta):
    """A shared variable holding a tensor (what `shared(ndarray)` returns)."""

    @staticmethod
    def _accepts(obj):
        return isinstance(obj, SharedVariable) and not isinstance(obj, GenericSharedVariable)


class ScalarSharedVariable(TensorSharedVariable):
    """A shared variable holding a 0-d tensor (what `shared(1.5)` returns)."""

    @staticmethod
    def _accepts(obj):
        return TensorSharedVariable._accepts(obj) and obj.ndim == 0


def tensor_constructor(value, name=None, strict=False, allow_downcast=None, borrow=False, **kwargs):
    """Theano's constructor of tensor shared variables (the same as `shared`)."""
    return shared(value, name=name, strict=strict, allow_downcast=allow_downcast, borrow=borrow, **kwargs)


scalar_constructor = tensor_constructor
