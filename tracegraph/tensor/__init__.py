"""tracegraph.tensor, imported as T: symbolic arrays and the functions over them."""
from .basic import as_tensor, as_tensor_variable, constant, tensor
from .elemwise import DimShuffle, Elemwise
from .math import *  # noqa: F401,F403
from .math import abs_, all, any, max, min, round, sum  # noqa: A004  (names of the API)
from . import operators  # noqa: F401  (x + y, x.sum(), ... on TensorVariable; the pullbacks of Dot, CAReduce, ...)
from .subtensor import IncSubtensor, Subtensor, inc_subtensor, set_subtensor
from .type import TensorType
from .variable import NoValueError, TensorConstant, TensorVariable
from . import nnet, math as basic_math  # noqa: F401
# Theano 1.0's extra_ops, sort and the rest of its tensor.basic (issue 20).
from . import extra_ops, sort as _sort_module  # noqa: F401,E402
from .extra_ops import (bincount, compress, cumprod, cumsum, diff, fill_diagonal,  # noqa: F401,E402
                        fill_diagonal_offset, flatnonzero, nonzero, nonzero_values, ravel_multi_index,
                        repeat, searchsorted, squeeze, to_one_hot, unique, unravel_index)
from .sort import argsort, sort  # noqa: F401,E402
from .compositions import (addbroadcast, batched_dot, batched_tensordot, choose, diag, inv,  # noqa: F401,E402
                           largest, mgrid, ogrid, ones, patternbroadcast, roll, smallest, square,
                           stack, swapaxes, take, tile, tri, tril, triu, unbroadcast, zeros)
from ..ir import Variable  # noqa: F401,E402  (Theano: tensor.Variable is the graph's Variable)
# Last: T.scalar is the constructor, not the submodule tensor/scalar.py that importing set.
from .constructors import *  # noqa: F401,F403,E402  (scalar, fmatrix, dvectors, ...: one row per dtype)

TensorVariable.__module__ = __name__


# T.grad is Theano's tensor.grad, autodiff's, a layer above: autodiff installs it here
# when it loads, and `import tracegraph` always loads it (autodiff/__init__.py).
_installed = {}


def install_grad(grad):
    """Make `grad(cost, wrt, **kwargs)` (tracegraph.grad) what T.grad calls."""
    _installed['grad'] = grad


def grad(cost, wrt, **kwargs):
    """T.grad: the same as tracegraph.grad."""
    return _installed['grad'](cost, wrt, **kwargs)


def __getattr__(name):
    # Submodules that depend on later layers load on first use.
    if name in ('shared_randomstreams', 'nlinalg', 'slinalg'):
        import importlib
        return importlib.import_module(f'{__name__}.{name}')
    raise AttributeError(f'module tracegraph.tensor has no attribute {name!r}')
