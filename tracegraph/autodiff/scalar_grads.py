"""The Elemwise pullback, built on the derivative each scalar-op record carries, and
registered for Elemwise in ir/op.py's GRAD_RULES (autodiff/__init__ loads this module).

A record's `grad(m, *inputs, z, g)` (tensor/scalar.py, one line per op) takes the op's
inputs, its output `z` and the output gradient `g` (all tensors of the broadcast shape)
and returns one gradient per input, written with the T.* functions of `m` (passed in
from here) so that gradients are themselves differentiable (hessian, Rop).  ZERO_GRAD
becomes ZERO (connected but zero everywhere); None: disconnected; NoGrad: Theano
defined none, an error if asked for.
"""
from __future__ import annotations

from ..ir.op import grad_rule
from ..tensor import math as m
from ..tensor.elemwise import Elemwise
from ..tensor.scalar import SCALAR_OPS, ZERO_GRAD, Composite, NoGrad
from .errors import NullGradient, grad_not_implemented
from .reverse import ZERO, backprop


# The derivative of each scalar op, by name: the records' (tensor/scalar.py).
SCALAR_GRADS = {name: op.grad for name, op in SCALAR_OPS.items() if op.grad is not None}


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


@grad_rule(Elemwise)
def elemwise_grads(op, inputs, outputs, output_grads):
    """The pullback of Elemwise(scalar_op): the scalar rule, summed back over broadcast axes."""
    scalar_op = op.scalar_op
    if isinstance(scalar_op, Composite):
        grads = composite_grads(scalar_op, inputs, outputs, output_grads)
    else:
        grads = _rule(scalar_op)(*inputs, outputs[0], output_grads[0])
        grads = [grad_not_implemented(scalar_op, k, x, g.comment) if isinstance(g, NoGrad) else
                 ZERO if g is ZERO_GRAD else g for k, (g, x) in enumerate(zip(grads, inputs))]
    return [g if g is None or g is ZERO or isinstance(g, NullGradient) else m.sum_to(g, x)
            for g, x in zip(grads, inputs)]


def _rule(scalar_op):
    """The op's derivative, from its record, given this module's `m`."""
    if getattr(scalar_op, 'grad', None) is None:
        raise TypeError(f'no derivative is known for the scalar op {scalar_op}; give its record '
                        '(tracegraph/tensor/scalar.py) a grad=')
    return lambda *args: scalar_op.grad(m, *args)


MISSING = sorted(n for n, op in SCALAR_OPS.items() if op.grad is None)  # a test asserts this is empty
