"""Theano's `theano.gradient`: tracegraph's autodiff under Theano's names, and the
gradient overrides (zero_grad, disconnected_grad, grad_clip, grad_scale).

`tracegraph.gradient` (API.md's path) re-exports this module."""
import dataclasses

from ..autodiff import (DisconnectedInputError, DisconnectedType, GradientError, Lop,
                        NullTypeGradError, Rop, disconnected_type, grad, grad_not_implemented,
                        grad_undefined, hessian, jacobian, verify_grad)
from ..tensor.basic import as_tensor_variable
from ..tensor.view_ops import GradOverride

__all__ = ['DisconnectedInputError', 'DisconnectedType', 'GradientError', 'Lop', 'NullTypeGradError', 'Rop',
           'disconnected_type', 'grad', 'grad_not_implemented', 'grad_undefined', 'hessian', 'jacobian',
           'verify_grad', 'zero_grad', 'disconnected_grad', 'consider_constant', 'grad_clip', 'grad_scale']


def zero_grad(x):
    """x, whose gradient is zero (Theano's `zero_grad`)."""
    return _override(x, GradOverride(0, 'zero'))


def disconnected_grad(x):
    """x, with no gradient path through it: grad with respect to what x depends on
    through x alone raises (or returns zero) as for a disconnected input."""
    return _override(x, GradOverride(0, 'disconnected'))


def consider_constant(x):
    """x, treated as a constant by grad (Theano's `consider_constant`: a zero gradient)."""
    return zero_grad(x)


def grad_clip(x, lower_bound, upper_bound):
    """x, whose gradient is clipped to [lower_bound, upper_bound] (Theano's `grad_clip`)."""
    if lower_bound > upper_bound:
        raise ValueError(f'grad_clip: lower_bound {lower_bound} is above upper_bound {upper_bound}')
    return _override(x, GradOverride(0, 'clip', float(lower_bound), float(upper_bound)))


def grad_scale(x, multiplier):
    """x, whose gradient is multiplied by `multiplier` (Theano's `grad_scale`)."""
    return _override(x, GradOverride(0, 'scale', float(multiplier)))


def _override(x, op):
    x = as_tensor_variable(x)
    return dataclasses.replace(op, ndim=x.ndim)(x)
