"""`x.shape[k]` for an axis x does not have (`vector.shape[1]`): Theano built it and
failed only when the function ran, and libraries rely on building it (they check
ranks before running).  ShapeOfMissingAxis is that node: an int64 scalar that raises
a clear IndexError at run time."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir import Apply
from .basic import as_tensor_variable
from .host_op import HostOp
from .type import TensorType


@dataclass(frozen=True)
class ShapeOfMissingAxis(HostOp):
    axis: int

    def make_node(self, shape):
        shape = as_tensor_variable(shape)
        return Apply(self, [shape], [TensorType('int64', ())()])

    def __str__(self):
        return f'ShapeOfMissingAxis{{{self.axis}}}'

    def compute(self, shape):
        raise IndexError(f'shape[{self.axis}] of a {len(shape)}-dimensional tensor (shape '
                         f'{tuple(int(s) for s in shape)}): it has no axis {self.axis}')

    def connection_pattern(self, node):
        return [False]

    def grad(self, inputs, output_grads):
        return [None]


def missing_shape_entry(x, index):
    """For getitem: the lazy-failing entry when `x` is a Shape vector and `index` an int
    beyond its static length; None otherwise (ordinary indexing applies)."""
    from .shape_ops import Shape
    if (not isinstance(index, (int, np.integer)) or isinstance(index, bool) or x.owner is None
            or not isinstance(x.owner.op, Shape)):
        return None
    n = x.type.shape[0]
    if n is None or -n <= index < n:
        return None
    return ShapeOfMissingAxis(int(index))(x)
