"""OpTable: what a backend (or a rewrite) does for each op class, found along the class
hierarchy, so an op subclass is covered by its base's entry unless it has its own.

    LOWERINGS = OpTable()

    @LOWERINGS.register(Dot)
    def lower_dot(node): ...

    rule = LOWERINGS.find(node.op)     # None when no class of the op is registered
"""
from __future__ import annotations


class OpTable:
    def __init__(self):
        self._entries = {}

    def register(self, *op_classes):
        """A decorator putting the function under each of `op_classes`."""
        def add(entry):
            self.add(op_classes, entry)
            return entry
        return add

    def add(self, op_classes, entry):
        for cls in op_classes:
            self._entries[cls] = entry

    def find(self, op):
        for cls in type(op).__mro__:
            entry = self._entries.get(cls)
            if entry is not None:
                return entry
        return None

    def __contains__(self, op_class):
        return op_class in self._entries
