"""Which variables built before `fn` ran the loop reads as they are, and which it
rebuilds at every step: Theano's rule for random draws made outside the loop.

Theano's loop tutorial builds `d = trng.binomial(size=W[1].shape)` outside `fn`,
uses it inside, and gets a new mask at every step; "if you want d not updated
through the loop, pass it as a non_sequence".  So a variable made outside whose
graph draws from a random stream, and reads nothing but shared variables,
constants and the listed non-sequences, is pulled into the loop: its nodes become
part of the step, and its stream's update becomes one of scan's updates.  Any other
variable made outside (a deterministic expression, or a draw from a symbolic
input) is computed once, outside, and read by every step; and a variable listed in
`non_sequences` is always read as it is (drawn once per call).
"""
from __future__ import annotations

from ..ir import Constant
from ..tensor.shared import SharedVariable


def read_as_is(made_outside, non_sequences):
    """The test `_outer_reads` stops at: v is read from outside, not rebuilt per step."""
    listed = set(non_sequences)
    redraw = _Redrawn(listed)
    return lambda v: v in listed or (made_outside(v) and not redraw(v))


class _Redrawn:
    """v -> whether v's graph draws from a stream and reads only shared variables,
    constants and listed non-sequences (memoized; walks each node once)."""

    def __init__(self, listed):
        self.listed = listed
        self.memo = {}  # variable -> (reads only allowed leaves, draws)

    def __call__(self, v):
        ok, draws = self._facts(v)
        return ok and draws

    def _facts(self, root):
        stack = [root]
        while stack:
            v = stack[-1]
            if v in self.memo:
                stack.pop()
                continue
            if v.owner is None or v in self.listed:
                stack.pop()
                allowed = v in self.listed or isinstance(v, (Constant, SharedVariable))
                self.memo[v] = (allowed, False)
                continue
            pending = [i for i in v.owner.inputs if i not in self.memo]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            inputs = v.owner.inputs
            ok = all(self.memo[i][0] for i in inputs)
            draws = _reads_stream(v.owner) or any(self.memo[i][1] for i in inputs)
            for out in v.owner.outputs:
                self.memo[out] = (ok, draws)
        return self.memo[root]


def _reads_stream(node):
    """A node that reads a random stream: a shared state with a default update."""
    return any(isinstance(i, SharedVariable) and i.default_update is not None for i in node.inputs)
