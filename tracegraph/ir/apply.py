"""Apply: one application of an Op to input variables, producing output variables."""
from __future__ import annotations

from .source import user_location


class Apply:
    """A node of the graph.  Outputs know their owner (this node) and their index."""

    def __init__(self, op, inputs, outputs, source=None):
        self.op = op
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.source = source if source is not None else user_location()
        for i, out in enumerate(self.outputs):
            if out.owner is not None and out.owner is not self:
                raise ValueError(f'{op}: output {i} already belongs to another node')
            out.owner = self
            out.index = i

    @property
    def out(self):
        if len(self.outputs) != 1:
            raise AttributeError(f'{self.op} has {len(self.outputs)} outputs; use .outputs')
        return self.outputs[0]

    def clone_with_new_inputs(self, inputs):
        """The same op over new inputs, with fresh outputs of the same types."""
        outputs = [o.clone() for o in self.outputs]
        return Apply(self.op, inputs, outputs, source=self.source)

    def __str__(self):
        return f'{self.op}({", ".join(str(i) for i in self.inputs)})'

    __repr__ = __str__

    @property
    def nin(self):
        return len(self.inputs)

    @property
    def nout(self):
        return len(self.outputs)
