"""Tracing: call a Python function with placeholders and keep the graph it builds.

A placeholder is a symbolic tensor made from an argument's abstract value (dtype,
rank, broadcast pattern) and named after the argument (`x`, `params['w']`).  The
function runs once per signature on placeholders; what it returns, and the updates
it asked for with `tg.update`, make a Traced graph, compiled later like tg.function.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from ..compiler.io import In
from ..ir import Constant, Variable, graph_inputs, user_location
from ..tensor.basic import as_tensor_variable
from ..tensor.shared import SharedVariable
from ..tensor.truthiness import refuse_all
from ..tensor.variable import NoValueError
from .arguments import none_arguments, none_error
from .errors import explain_no_value, explain_numpy_call, leaked_variable
from .pytree import flatten, unflatten
from .signature import Signature, leaf_spec


@dataclass(frozen=True)
class Traced:
    """The graph one signature traced to, before rewriting and compiling.

    `inputs`: the placeholders, one per array leaf of the arguments; `outputs`: the
    result leaves (`out_tree` rebuilds the result's containers); `updates`: the
    (shared variable, new value) pairs recorded with tg.update.  `debugprint` and
    `pydotprint` accept it (they print `graph_outputs`).
    """

    name: str
    signature: Signature
    inputs: tuple
    outputs: tuple
    out_tree: object
    updates: tuple

    @property
    def graph_outputs(self):
        return list(self.outputs) + [value for _, value in self.updates]

    def compile(self, backend=None, donate=(), **function_options):
        """Compile this graph with tg.function; `donate` lists input positions whose
        arrays the function may overwrite."""
        from ..compiler.function import function
        ins = [In(p, mutable=k in donate) for k, p in enumerate(self.inputs)]
        single = self.out_tree.num_leaves == 1 and self.out_tree.num_nodes == 1
        outputs = self.outputs[0] if single else list(self.outputs)
        return function(ins, outputs, updates=list(self.updates), on_unused_input='ignore',
                        backend=backend, name=self.name, **function_options)

    def __repr__(self):
        args = ', '.join(f'{p.name}: {spec}' for p, spec in zip(self.inputs, self.signature.leaves))
        return (f'<Traced {self.name}({args}) -> {len(self.outputs)} output(s), '
                f'{len(self.updates)} update(s)>')


# -- the updates a traced function asks for ------------------------------------------
class _TraceState(threading.local):
    def __init__(self):
        self.stack = []  # one dict {shared: value} per trace in progress, innermost last


_state = _TraceState()


def update(shared, new_value):
    """Inside a @tg.compile function: after each call, set `shared` to `new_value`.

    Like tg.function's `updates`, every new value is computed from the values before
    the call and all are applied together after it; reading `shared` anywhere in the
    function (before or after this line) gives its OLD value.  Returns `new_value` as
    a variable.
    """
    if not _state.stack:
        raise RuntimeError('tg.update() records an update for the function that @tg.compile is '
                           'tracing, and no trace is in progress. Outside a traced function, pass '
                           'updates=[(shared, new_value)] to tg.function.')
    if not isinstance(shared, SharedVariable):
        raise TypeError(f'tg.update: {shared} is not a shared variable; only variables made with '
                        'tg.shared(...) can be updated')
    pending = _state.stack[-1]
    if shared in pending:
        where = user_location()
        raise ValueError(f'tg.update: shared variable {shared.name or shared} is updated twice in '
                         f'one traced function (again at {where}); compute the final value and '
                         'call tg.update once')
    value = new_value if isinstance(new_value, Variable) else as_tensor_variable(new_value)
    pending[shared] = value
    return value


# -- tracing ---------------------------------------------------------------------------
def placeholders_for(signature):
    return [spec.tensor_type()(path) for spec, path in zip(signature.leaves, signature.paths)]


def trace(fn, name, signature, rebuild_call):
    """Run `fn` on placeholders for `signature`; `rebuild_call(leaves)` gives (args, kwargs)."""
    inputs = placeholders_for(signature)
    args, kwargs = rebuild_call(inputs)
    _state.stack.append({})
    try:
        with refuse_all():  # `if x:` on a placeholder means its value: refuse it
            result = fn(*args, **kwargs)
    except NoValueError as exc:
        raise explain_no_value(exc, fn, inputs).with_traceback(exc.__traceback__) from None
    except TypeError as exc:
        clearer = explain_numpy_call(exc, fn)
        nones = none_arguments(fn, args, kwargs) if clearer is None else []
        if nones:  # most likely the None reached an operation that needs an array
            raise none_error(name, nones, exc) from exc
        if clearer is None:
            raise
        raise clearer.with_traceback(exc.__traceback__) from None
    finally:
        pending = _state.stack.pop()
    leaves, out_tree = flatten(result)
    outputs = tuple(_as_output(leaf, k, name) for k, leaf in enumerate(leaves))
    updates = tuple(pending.items())
    _check_closed(fn, inputs, list(outputs) + [v for _, v in updates])
    return Traced(name, signature, tuple(inputs), outputs, out_tree, updates)


def _as_output(leaf, position, name):
    if isinstance(leaf, Variable):
        return leaf
    if leaf_spec(leaf) is None:
        raise TypeError(f'{name}() returned a {type(leaf).__name__} ({leaf!r:.40}) as result '
                        f'leaf {position}; results must be variables, numeric arrays or numbers, '
                        'in tuples, lists, dicts or dataclasses')
    return as_tensor_variable(leaf)


def _check_closed(fn, inputs, outputs):
    """Every free variable of the graph must be a placeholder, a constant or shared."""
    allowed = set(inputs)
    for v in graph_inputs(outputs):
        if v not in allowed and not isinstance(v, (Constant, SharedVariable)):
            raise leaked_variable(fn, v)
