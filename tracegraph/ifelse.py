"""ifelse: choose between two branches with a scalar condition.

`ifelse(cond, then_branch, else_branch)` returns the values of one branch; both
branches may be a variable or a list of variables of matching types.  Backends
compute only the branch that is taken.
"""
from __future__ import annotations

from dataclasses import dataclass

from .ir import Apply, Op
from .tensor.basic import as_tensor_variable
from .tensor.batching import NoBatchRule, batch_rule, batched_value
from .tensor.type import TensorType


@dataclass(frozen=True)
class IfElse(Op):
    """Outputs `then` values when `cond` is true, else the `else` values.

    Inputs: cond, then_0..then_{n-1}, else_0..else_{n-1}.
    """

    n_outs: int

    def make_node(self, cond, *branches):
        cond = as_tensor_variable(cond)
        if cond.ndim != 0:
            raise TypeError(f'ifelse condition must be a scalar, got {cond} ({cond.type})')
        if len(branches) != 2 * self.n_outs:
            raise TypeError(f'ifelse needs {self.n_outs} values per branch')
        then, else_ = branches[:self.n_outs], branches[self.n_outs:]
        then = [as_tensor_variable(t) for t in then]
        else_ = [_match(e, t) for t, e in zip(then, else_)]
        outputs = []
        for t, e in zip(then, else_):
            shape = tuple(a if a == b else None for a, b in zip(t.type.shape, e.type.shape))
            outputs.append(TensorType(t.dtype, shape)())
        return Apply(self, [cond] + then + else_, outputs)

    def __str__(self):
        return 'if{}'.format('' if self.n_outs == 1 else f'[{self.n_outs}]')

    def grad(self, inputs, output_grads):
        # The taken branch gets g, the other zeros (chosen lazily, like the values).
        from .autodiff.reverse import ZERO
        from .tensor.math import zeros_like
        cond, n = inputs[0], self.n_outs
        then, else_ = inputs[1:1 + n], inputs[1 + n:]
        g_then = IfElse(n)(cond, *output_grads, *[zeros_like(t) for t in then])
        g_else = IfElse(n)(cond, *[zeros_like(e) for e in else_], *output_grads)
        as_list = (lambda v: v if isinstance(v, list) else [v])
        return [ZERO] + as_list(g_then) + as_list(g_else)



@batch_rule(IfElse)
def _ifelse(node, args, flags, size):
    if flags[0]:
        raise NoBatchRule('cannot batch an ifelse whose condition depends on the batched value')
    values = [batched_value(a, f, size) for a, f in zip(args[1:], flags[1:])]
    return IfElse(node.op.n_outs)(args[0], *values)


def _match(e, t):
    e = as_tensor_variable(e)
    if e.ndim != t.ndim:
        raise TypeError(f'ifelse branches differ in rank: {t} has {t.ndim} dims, {e} has {e.ndim}')
    if e.dtype != t.dtype:
        if getattr(e, 'weak', None) is not None:
            from .tensor.math import cast
            return cast(e, t.dtype)
        raise TypeError(f'ifelse branches differ in dtype: {t} is {t.dtype}, {e} is {e.dtype}; '
                        'cast one of them')
    return e


def ifelse(condition, then_branch, else_branch, name=None):
    """Theano's `ifelse(cond, then, else)`; lists give several outputs."""
    single = not isinstance(then_branch, (list, tuple))
    then = [then_branch] if single else list(then_branch)
    else_ = [else_branch] if not isinstance(else_branch, (list, tuple)) else list(else_branch)
    if len(then) != len(else_):
        raise ValueError(f'ifelse: {len(then)} then-values but {len(else_)} else-values')
    outs = IfElse(len(then))(condition, *then, *else_)
    outs = outs if isinstance(outs, list) else [outs]
    for o in outs:
        o.name = name
    return outs[0] if single else outs
