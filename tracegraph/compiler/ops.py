"""Theano's `compile.ops`: `as_op`, which turns a Python function into an Op."""
from __future__ import annotations

from ..ir import Op


class FromFunctionOp(Op):
    """An op whose `perform` calls a Python function on NumPy arrays."""

    __props__ = ('fn', 'itypes', 'otypes', 'infer_shape_fn')

    def __init__(self, fn, itypes, otypes, infer_shape=None):
        self.fn = fn
        self.itypes = tuple(itypes)
        self.otypes = tuple(otypes)
        self.infer_shape_fn = infer_shape

    def perform(self, node, inputs, output_storage):
        outs = self.fn(*inputs)
        if len(self.otypes) == 1:
            outs = [outs]
        for storage, value, var in zip(output_storage, outs, node.outputs):
            import numpy as np
            storage[0] = np.asarray(value, dtype=var.type.dtype)

    def __str__(self):
        return f'FromFunctionOp{{{getattr(self.fn, "__name__", "fn")}}}'


def as_op(itypes, otypes, infer_shape=None):
    """Decorator: `@as_op(itypes=[T.dmatrix], otypes=[T.dmatrix])` over a NumPy function."""
    def wrap(fn):
        return FromFunctionOp(fn, itypes, otypes, infer_shape)
    return wrap
