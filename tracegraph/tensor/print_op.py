"""Theano's `printing.Print`: an op that prints its input's value each time the
compiled function runs, and passes the value on.

    x = Print('x is')(x)          # prints "x is __str__ = [...]" on every call

`Print(message, attrs=('__str__',), global_fn=None)`: each attribute in `attrs` is
read from the value (and called if callable); `global_fn(op, value)`, when given,
replaces the printing.  The op runs through its `perform` method, which every
backend supports (Numba leaves machine code for it through objmode), so it prints
on every backend; the value is copied so no in-place rewrite downstream can write
into the input it came from.
"""
from __future__ import annotations

import numpy as np

from ..ir import Apply, Op
from .basic import as_tensor_variable


def _print_fn(op, value):
    for attr in op.attrs:
        shown = getattr(value, attr)
        print(op.message, attr, '=', shown() if callable(shown) else shown)


class Print(Op):
    __props__ = ('message', 'attrs', 'global_fn')

    def __init__(self, message='', attrs=('__str__',), global_fn=_print_fn):
        self.message = message
        self.attrs = tuple(attrs)
        self.global_fn = global_fn or _print_fn

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def __str__(self):
        return f'Print{{{self.message}}}'

    def perform(self, node, inputs, output_storage):
        value = inputs[0]
        self.global_fn(self, value)
        output_storage[0][0] = np.array(value, copy=True)

    def grad(self, inputs, output_grads):
        return [output_grads[0]]

    def R_op(self, inputs, eval_points):
        return [eval_points[0]]
