"""Theano's module path for gradients: `from tracegraph.gradient import grad, jacobian, ...`."""
from .autodiff import (DisconnectedInputError, DisconnectedType, GradientError, Lop,  # noqa: F401
                       NullTypeGradError, Rop, disconnected_type, grad, grad_not_implemented,
                       grad_undefined, hessian, jacobian, verify_grad)
