"""Automatic differentiation: reverse mode (`grad`, `Lop`), `jacobian`, `hessian`,
forward mode (`Rop`) and the finite-difference check `verify_grad`.

Each op's pullback sits next to the op (`grad` or `L_op` methods in
tracegraph/tensor); the scalar ops' derivatives are on their records (tensor/scalar.py).
"""
from .errors import (DisconnectedInputError, DisconnectedType, GradientError, NullTypeGradError,
                     disconnected_type, grad_not_implemented, grad_undefined)
from .gradients import Lop, grad
from .reverse import ZERO
from .verify import verify_grad
from .forward import Rop
from .jacobians import hessian, jacobian
from . import scalar_grads  # noqa: F401 - registers Elemwise's pullback (GRAD_RULES)
from ..tensor import install_grad

install_grad(grad)  # T.grad is tracegraph.grad; `import tracegraph` loads this layer

__all__ = ['DisconnectedInputError', 'DisconnectedType', 'GradientError', 'Lop', 'NullTypeGradError',
           'ZERO', 'disconnected_type', 'grad', 'grad_not_implemented', 'grad_undefined', 'verify_grad',
           'jacobian', 'hessian', 'Rop']
