"""The derivative of every scalar op, one line each, and the Elemwise pullback built on them.

A rule takes the op's inputs, its output `z` and the output gradient `g` (all tensors
of the broadcast shape) and returns one gradient per input, written with T.* functions
so that gradients are themselves differentiable (hessian, Rop).  ZERO: connected but
zero everywhere (piecewise-constant ops); None: disconnected.
"""
from __future__ import annotations

import math

import numpy as np

from ..tensor import math as m
from ..tensor.scalar import SCALAR_OPS, Composite, NoGrad
from .errors import NullGradient, grad_not_implemented
from .reverse import ZERO, backprop


def _zero(*args):
    return (ZERO,) * (len(args) - 2)


def _one(y):
    # A 1 of y's dtype: `y - 1` with a Python 1 would forget that the Python 2 in `x ** 2`
    # was adopted as x's dtype (two weak constants promote to int64).
    return m.constant(np.ones((), y.dtype))


_SQRT_PI = math.sqrt(math.pi)

SCALAR_GRADS = {
    'add': lambda x, y, z, g: (g, g),
    'sub': lambda x, y, z, g: (g, m.neg(g)),
    'mul': lambda x, y, z, g: (m.mul(g, y), m.mul(g, x)),
    'true_div': lambda x, y, z, g: (m.true_div(g, y), m.neg(m.true_div(m.mul(g, z), y))),
    'int_div': _zero,
    'mod': lambda x, y, z, g: (g, m.neg(m.mul(g, m.int_div(x, y)))),
    'pow': lambda x, y, z, g: (m.mul(m.mul(g, y), m.pow(x, m.sub(y, _one(y)))), m.mul(m.mul(g, z), m.log(x))),
    'neg': lambda x, z, g: (m.neg(g),),
    'abs': lambda x, z, g: (m.mul(g, m.sgn(x)),),
    'sgn': _zero,
    'sqr': lambda x, z, g: (m.mul(m.mul(g, 2), x),),
    'maximum': lambda x, y, z, g: (m.switch(m.eq(z, x), g, 0), m.switch(m.eq(z, y), g, 0)),
    'minimum': lambda x, y, z, g: (m.switch(m.eq(z, x), g, 0), m.switch(m.eq(z, y), g, 0)),
    'clip': lambda x, lo, hi, z, g: (m.switch(m.and_(m.ge(x, lo), m.le(x, hi)), g, 0),
                                     m.switch(m.lt(x, lo), g, 0), m.switch(m.gt(x, hi), g, 0)),
    'sqrt': lambda x, z, g: (m.true_div(m.mul(g, 0.5), z),),
    'exp': lambda x, z, g: (m.mul(g, z),),
    'exp2': lambda x, z, g: (m.mul(m.mul(g, z), math.log(2.0)),),
    'expm1': lambda x, z, g: (m.mul(g, m.add(z, 1)),),
    'log': lambda x, z, g: (m.true_div(g, x),),
    'log2': lambda x, z, g: (m.true_div(g, m.mul(x, math.log(2.0))),),
    'log10': lambda x, z, g: (m.true_div(g, m.mul(x, math.log(10.0))),),
    'log1p': lambda x, z, g: (m.true_div(g, m.add(x, 1)),),
    'sin': lambda x, z, g: (m.mul(g, m.cos(x)),),
    'cos': lambda x, z, g: (m.neg(m.mul(g, m.sin(x))),),
    'tan': lambda x, z, g: (m.mul(g, m.add(m.sqr(z), 1)),),
    'arcsin': lambda x, z, g: (m.true_div(g, m.sqrt(m.sub(1, m.sqr(x)))),),
    'arccos': lambda x, z, g: (m.neg(m.true_div(g, m.sqrt(m.sub(1, m.sqr(x))))),),
    'arctan': lambda x, z, g: (m.true_div(g, m.add(m.sqr(x), 1)),),
    'arctan2': lambda y, x, z, g: (m.true_div(m.mul(g, x), m.add(m.sqr(x), m.sqr(y))),
                                   m.neg(m.true_div(m.mul(g, y), m.add(m.sqr(x), m.sqr(y))))),
    'sinh': lambda x, z, g: (m.mul(g, m.cosh(x)),),
    'cosh': lambda x, z, g: (m.mul(g, m.sinh(x)),),
    'tanh': lambda x, z, g: (m.mul(g, m.sub(1, m.sqr(z))),),
    'arcsinh': lambda x, z, g: (m.true_div(g, m.sqrt(m.add(m.sqr(x), 1))),),
    'arccosh': lambda x, z, g: (m.true_div(g, m.sqrt(m.sub(m.sqr(x), 1))),),
    'arctanh': lambda x, z, g: (m.true_div(g, m.sub(1, m.sqr(x))),),
    'erf': lambda x, z, g: (m.mul(m.mul(g, 2 / _SQRT_PI), m.exp(m.neg(m.sqr(x)))),),
    'erfc': lambda x, z, g: (m.mul(m.mul(g, -2 / _SQRT_PI), m.exp(m.neg(m.sqr(x)))),),
    'erfinv': lambda x, z, g: (m.mul(m.mul(g, _SQRT_PI / 2), m.exp(m.sqr(z))),),
    'sigmoid': lambda x, z, g: (m.mul(m.mul(g, z), m.sub(1, z)),),
    'softplus': lambda x, z, g: (m.mul(g, m.sigmoid(x)),),
    'log1mexp': lambda x, z, g: (m.neg(m.true_div(g, m.expm1(m.neg(x)))),),
    'floor': _zero, 'ceil': _zero, 'trunc': _zero,
    'round_half_to_even': _zero, 'round_half_away_from_zero': _zero,
    'eq': _zero, 'neq': _zero, 'lt': _zero, 'le': _zero, 'gt': _zero, 'ge': _zero,
    'and_': _zero, 'or_': _zero, 'xor': _zero, 'invert': _zero, 'isnan': _zero, 'isinf': _zero,
    'switch': lambda c, a, b, z, g: (ZERO, m.switch(c, g, 0), m.switch(c, 0, g)),
    'second': lambda a, b, z, g: (None, g),
    'identity': lambda x, z, g: (g,),
    'cast': lambda x, z, g: (g,),
}


def composite_grads(op, inputs, outputs, output_grads):
    """A fused op: rebuild its steps as Elemwise nodes and pull back through them."""
    values = list(inputs)
    for scalar_op, args, _ in op.steps:
        values.append(m.Elemwise(scalar_op)(*(values[a] for a in args)))
    seeds = {}
    for k, g in zip(op.outputs, output_grads):
        if g is not None:
            seeds[values[k]] = m.add(seeds[values[k]], g) if values[k] in seeds else g
    return backprop(list(inputs), seeds)


def elemwise_grads(scalar_op, inputs, outputs, output_grads):
    """The pullback of Elemwise(scalar_op): the scalar rule, summed back over broadcast axes."""
    if isinstance(scalar_op, Composite):
        grads = composite_grads(scalar_op, inputs, outputs, output_grads)
    else:
        grads = _rule(scalar_op)(*inputs, outputs[0], output_grads[0])
        grads = [grad_not_implemented(scalar_op, k, x, g.comment) if isinstance(g, NoGrad) else g
                 for k, (g, x) in enumerate(zip(grads, inputs))]
    return [g if g is None or g is ZERO or isinstance(g, NullGradient) else sum_to(g, x)
            for g, x in zip(grads, inputs)]


def _rule(scalar_op):
    """The op's derivative: on its record (`ScalarOp.grad`, given this module's `m`), else
    in SCALAR_GRADS."""
    if getattr(scalar_op, 'grad', None) is not None:
        return lambda *args: scalar_op.grad(m, *args)
    rule = SCALAR_GRADS.get(scalar_op.name)
    if rule is None:
        raise TypeError(f'no derivative is known for the scalar op {scalar_op}; give its record '
                        '(tracegraph/tensor/scalar.py) a grad=')
    return rule


def sum_to(g, x):
    """`g` summed over the axes along which `x` was broadcast (static length 1 in x)."""
    g = m.as_tensor_variable(g)
    if g.ndim > x.ndim:
        g = m.sum(g, axis=tuple(range(g.ndim - x.ndim)))
    axes = [a for a, (n, k) in enumerate(zip(x.type.shape, g.type.shape)) if n == 1 and k != 1]
    if axes:
        g = m.sum(g, axis=axes, keepdims=True)
    return g


MISSING = sorted(n for n, op in SCALAR_OPS.items() if op.grad is None and n not in SCALAR_GRADS)  # a test asserts this is empty
