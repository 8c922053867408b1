"""Dot: matrix and vector products (BLAS in every backend)."""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import Apply, Op
from ..ir.op import GRAD_RULES
from .basic import as_tensor_variable
from .elemwise import promote
from .type import TensorType


@dataclass(frozen=True)
class Dot(Op):
    """numpy.dot for operands of 1 or 2 dimensions."""

    def make_node(self, a, b):
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        if a.ndim not in (1, 2) or b.ndim not in (1, 2):
            raise TypeError(f'Dot takes 1-d or 2-d operands, got {a.ndim}-d and {b.ndim}-d '
                            '(use T.tensordot or T.dot, which reshape for you)')
        ka = a.type.shape[-1]
        kb = b.type.shape[0]
        if ka is not None and kb is not None and ka != kb:
            raise ValueError(f'dot: shapes {a.type.shape} and {b.type.shape} are not aligned '
                             f'({ka} != {kb})')
        shape = a.type.shape[:-1] + b.type.shape[1:]
        # NumPy's dtype: narrow integers wrap, booleans give any(a & b) as a bool.
        return Apply(self, [a, b], [TensorType(promote([a, b]), shape)()])

    def __str__(self):
        return 'dot'

    def infer_shape(self, node, input_shapes):
        a, b = input_shapes
        rows = tuple(a[:1]) if len(a) == 2 else ()
        cols = tuple(b[1:]) if len(b) == 2 else ()
        return [rows + cols]

    def grad(self, inputs, output_grads):
        return GRAD_RULES.find(self)(self, inputs, output_grads)
