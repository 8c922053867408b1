"""Op: what a node computes, as pure data.

An Op knows its output types (`make_node`), and optionally its gradient (`grad`),
its pushforward (`R_op`) and its shape rule (`infer_shape`).  It does not know how
to run: backends lower it.  Ops built into tracegraph are frozen dataclasses, so
their fields define equality and hash.  Ops written Theano's way list the
attributes that define them in `__props__`; this base class then derives equality,
hash and printing from those.
"""
from __future__ import annotations

from .apply import Apply
from .op_table import OpTable
from .variable import Type

# How make_node's default turns an argument (a variable, a number, an array) into a
# graph input: values are the tensor layer's, above this one, so tensor/basic.py
# installs as_tensor_variable here when it loads (install_input_conversion).
_installed = {}


def install_input_conversion(convert):
    """Make `convert(value) -> Variable` what ops declaring `itypes` apply to their inputs."""
    _installed['convert'] = convert


class _Zero:
    """The gradient of a connected input that is zero everywhere."""

    def __repr__(self):
        return 'ZERO'


# What an op's pullback returns for an input whose gradient is zero everywhere
# (autodiff/reverse.py says how None, ZERO and tensors differ).
ZERO = _Zero()


class NoGradient(TypeError):
    """The op defines neither `L_op` nor `grad`: nothing flows back through it."""

    def __init__(self, op):
        super().__init__(f'{op} defines no grad')
        self.op = op


# The pullback of an op class whose rule is written with functions of a layer above
# the op's own module (tensor/operators.py registers those of Dot, DimShuffle, CAReduce
# and the shape ops, which math.py builds; tensor/linalg/grads.py those of the linear
# algebra ops): `rule(op, *the arguments of the op's grad or L_op)`, filled by
# @grad_rule when that module loads; an op finds its rule along its class hierarchy.
GRAD_RULES = OpTable()
grad_rule = GRAD_RULES.register


class Op:
    __props__: tuple | None = None
    itypes: list | None = None  # Theano's shortcut: input and output types, no make_node needed
    otypes: list | None = None

    # -- building ---------------------------------------------------------
    def make_node(self, *inputs):
        """The default, for ops that declare `itypes` and `otypes` (Theano's `as_op` style)."""
        if self.itypes is None or self.otypes is None:
            raise NotImplementedError(f'{type(self).__name__} must define make_node (or itypes and otypes)')
        in_types = [_as_type(t) for t in self.itypes]
        if len(inputs) != len(in_types):
            raise TypeError(f'{self} takes {len(in_types)} input(s), got {len(inputs)}')
        inputs = [_installed['convert'](i) for i in inputs]
        for k, (var, want) in enumerate(zip(inputs, in_types)):
            if var.type.dtype != want.dtype or var.type.ndim != want.ndim:
                raise TypeError(f'{self}: input {k} ({var}) is {var.type}, expected {want}')
        return Apply(self, inputs, [_as_type(t)() for t in self.otypes])

    def __call__(self, *inputs, **kwargs):
        node = self.make_node(*inputs, **kwargs)
        if len(node.outputs) == 1:
            return node.outputs[0]
        return list(node.outputs)

    # -- identity ---------------------------------------------------------
    def _props(self):
        return tuple(getattr(self, p) for p in (self.__props__ or ()))

    def __eq__(self, other):
        if self.__props__ is None:
            return self is other
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self):
        if self.__props__ is None:
            return id(self)
        return hash((type(self), self._props()))

    def __str__(self):
        if self.__props__:
            return f'{type(self).__name__}{{{", ".join(str(p) for p in self._props())}}}'
        return type(self).__name__

    # -- the pullback ------------------------------------------------------
    def L_op(self, inputs, outputs, output_grads):
        """The gradients of the inputs given the outputs' (None: disconnected).

        Reverse mode calls only this.  An op defines it when its pullback reads its
        outputs (exp's is g * exp(x)); otherwise it defines Theano's other spelling,
        `grad(inputs, output_grads)`, which this default calls, so user ops written
        either way work.
        """
        grad = getattr(self, 'grad', None)
        if grad is None:
            raise NoGradient(self)
        return grad(inputs, output_grads)

    # Optional rules, overridden where they exist:
    #   grad(self, inputs, output_grads) -> list of input gradients (see L_op)
    #   R_op(self, inputs, eval_points) -> list of output tangents
    #   infer_shape(self, node, input_shapes) -> list of output shapes
    #   perform(self, node, inputs, output_storage): a pure-Python implementation (Theano style)


def _as_type(t):
    """A Type from a Type or from a variable constructor such as T.dmatrix."""
    if isinstance(t, Type):
        return t
    if callable(t):
        return t().type
    raise TypeError(f'{t!r} is not a type')
