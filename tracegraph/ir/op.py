"""Op: what a node computes, as pure data.

An Op knows its output types (`make_node`), and optionally its gradient (`grad`),
its pushforward (`R_op`) and its shape rule (`infer_shape`).  It does not know how
to run: backends lower it.  Ops built into tracegraph are frozen dataclasses, so
their fields define equality and hash.  Ops written Theano's way list the
attributes that define them in `__props__`; this base class then derives equality,
hash and printing from those.
"""
from __future__ import annotations


class Op:
    __props__: tuple | None = None

    # -- building ---------------------------------------------------------
    def make_node(self, *inputs):
        raise NotImplementedError(f'{type(self).__name__}.make_node')

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

    # Optional rules, overridden where they exist:
    #   grad(self, inputs, output_grads) -> list of input gradients (None = disconnected)
    #   R_op(self, inputs, eval_points) -> list of output tangents
    #   infer_shape(self, node, input_shapes) -> list of output shapes
    #   perform(self, node, inputs, output_storage): a pure-Python implementation (Theano style)
