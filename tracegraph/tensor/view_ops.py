"""Identity ops that change only a type or a gradient: Rebroadcast (Theano's
unbroadcast/addbroadcast/patternbroadcast) and GradOverride (zero_grad,
disconnected_grad, consider_constant, grad_clip, grad_scale).

Each is a Reshape of x to its own shape, so every backend already runs it (a view, no
copy) and the in-place rewrites already know that its output aliases its input.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import Apply
from .basic import as_tensor_variable
from .shape_ops import Reshape, Shape
from .type import TensorType


@dataclass(frozen=True)
class Rebroadcast(Reshape):
    """x with the static shape `shape` (None: unknown; 1: broadcastable); a run-time
    reshape to x's own shape, so a wrong claim of 1 fails there."""

    shape: tuple = ()

    def make_node(self, x, shape=None):
        x = as_tensor_variable(x)
        # (`shape` is given when a rewrite or a clone rebuilds the node: the claim stays.)
        return Apply(self, [x, Shape()(x) if shape is None else shape], [TensorType(x.dtype, self.shape)()])

    def __str__(self):
        return f'Rebroadcast{{{self.shape}}}'

    def grad(self, inputs, output_grads):
        x = inputs[0]
        return [Rebroadcast(x.ndim, x.type.shape)(output_grads[0]), None]


@dataclass(frozen=True)
class GradOverride(Reshape):
    """x in the forward pass; in the backward pass g becomes:
    'zero' -> 0, 'disconnected' -> nothing (the input is disconnected),
    'clip' -> clip(g, low, high), 'scale' -> g * low."""

    mode: str = 'zero'
    low: float = 0.0
    high: float = 0.0

    def make_node(self, x, shape=None):
        x = as_tensor_variable(x)
        return Apply(self, [x, Shape()(x) if shape is None else shape], [x.type()])

    def __str__(self):
        return {'zero': 'ZeroGrad', 'disconnected': 'DisconnectedGrad', 'clip': 'GradClip',
                'scale': 'GradScale'}[self.mode]

    def connection_pattern(self, node):
        return [self.mode != 'disconnected', False]

    def grad(self, inputs, output_grads):
        from . import math as m
        (g,) = output_grads
        if self.mode == 'disconnected':
            return [None, None]
        if self.mode == 'zero':
            return [m.zeros_like(inputs[0]), None]
        if self.mode == 'clip':
            return [m.clip(g, self.low, self.high), None]
        return [g * self.low, None]


def rebroadcast(x, shape):
    x = as_tensor_variable(x)
    shape = tuple(shape)
    if shape == x.type.shape:
        return x
    return Rebroadcast(x.ndim, shape)(x)
