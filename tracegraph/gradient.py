"""Theano's module path for gradients: `from tracegraph.gradient import grad, jacobian, ...`."""
from .autodiff import (DisconnectedInputError, DisconnectedType, GradientError, Lop,  # noqa: F401
                       NullTypeGradError, Rop, disconnected_type, grad, grad_not_implemented,
                       grad_undefined, hessian, jacobian, verify_grad)


def zero_grad(x):
    """x, whose gradient is zero (Theano's `zero_grad`)."""
    from .tensor.view_ops import GradOverride
    return _override(x, GradOverride(0, 'zero'))


def disconnected_grad(x):
    """x, with no gradient path through it: grad with respect to what x depends on
    through x alone raises (or returns zero) as for a disconnected input."""
    from .tensor.view_ops import GradOverride
    return _override(x, GradOverride(0, 'disconnected'))


def consider_constant(x):
    """x, treated as a constant by grad (Theano's `consider_constant`: a zero gradient)."""
    return zero_grad(x)


def grad_clip(x, lower_bound, upper_bound):
    """x, whose gradient is clipped to [lower_bound, upper_bound] (Theano's `grad_clip`)."""
    from .tensor.view_ops import GradOverride
    if lower_bound > upper_bound:
        raise ValueError(f'grad_clip: lower_bound {lower_bound} is above upper_bound {upper_bound}')
    return _override(x, GradOverride(0, 'clip', float(lower_bound), float(upper_bound)))


def grad_scale(x, multiplier):
    """x, whose gradient is multiplied by `multiplier` (Theano's `grad_scale`)."""
    from .tensor.view_ops import GradOverride
    return _override(x, GradOverride(0, 'scale', float(multiplier)))


def _override(x, op):
    import dataclasses
    from .tensor.basic import as_tensor_variable
    x = as_tensor_variable(x)
    return dataclasses.replace(op, ndim=x.ndim)(x)
