"""Functional transforms of traced functions: `grad_of(f)` and `value_and_grad(f)`.

Each is a new Python function that, when traced, calls `f` on the placeholders and
asks tg.grad for the gradient of its scalar result with respect to the placeholders
of the chosen arguments; the gradient comes back in the structure of those arguments
(a dict of parameters gets a dict of gradients).  The result is compiled like any
other @tg.compile function.
"""
from __future__ import annotations

import functools

from ..ir import Variable
from ..tensor.basic import as_tensor_variable
from .compiled import Compiled, compile
from .pytree import flatten, unflatten


def grad_of(fun, argnums=0, has_aux=False, **compile_options):
    """A compiled function returning d fun / d (argument `argnums`).

    `fun` returns a scalar (or `(scalar, aux)` with `has_aux=True`, then the result is
    `(grad, aux)`).  `argnums` is an int, or a tuple for a tuple of gradients.  An
    argument the result does not depend on gets a zero gradient.  `compile_options`
    are @tg.compile's (backend, static_argnums, ...); when `fun` is already compiled
    its options are the defaults.
    """
    return _transform(fun, argnums, has_aux, compile_options, with_value=False)


def value_and_grad(fun, argnums=0, has_aux=False, **compile_options):
    """Like grad_of, but the compiled function returns `(value, grad)` (with
    `has_aux=True`: `((value, aux), grad)`), computed in one graph."""
    return _transform(fun, argnums, has_aux, compile_options, with_value=True)


def _transform(fun, argnums, has_aux, compile_options, with_value):
    if isinstance(fun, Compiled):
        compile_options = {**_options_of(fun), **compile_options}
        fun = fun.fn
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    kind = 'value_and_grad' if with_value else 'grad_of'

    @functools.wraps(fun)
    def differentiated(*args, **kwargs):
        out = fun(*args, **kwargs)
        value, aux = out if has_aux else (out, None)
        cost = _scalar_cost(value, fun, kind)
        grads = tuple(_grad_of_argument(cost, args, k, fun, kind) for k in nums)
        g = grads[0] if isinstance(argnums, int) else grads
        if with_value:
            return ((value, aux), g) if has_aux else (value, g)
        return (g, aux) if has_aux else g
    return compile(differentiated, **compile_options)


def _options_of(compiled):
    binder = compiled._binder
    return {'backend': compiled.backend, 'no_default_updates': compiled.no_default_updates,
            'static_argnums': tuple(binder.static_argnums),
            'static_argnames': tuple(binder.static_argnames),
            'donate_argnums': tuple(binder.donate_argnums)}


def _scalar_cost(value, fun, kind):
    cost = as_tensor_variable(value)
    if cost.ndim != 0:
        raise TypeError(f'{kind}({fun.__name__}): the function must return a scalar to '
                        f'differentiate, but it returned {cost.ndim}-d {cost}; sum it, or use '
                        'tg.gradient.jacobian inside a traced function')
    return cost


def _grad_of_argument(cost, args, k, fun, kind):
    from ..autodiff import grad
    if k >= len(args):
        raise TypeError(f'{kind}({fun.__name__}): argnums includes {k}, but the call passed '
                        f'{len(args)} positional argument(s)')
    leaves, treedef = flatten(args[k])
    if not all(isinstance(leaf, Variable) for leaf in leaves):
        raise TypeError(f'{kind}({fun.__name__}): argument {k} is static or not an array; only '
                        'traced array arguments can be differentiated')
    grads = grad(cost, list(leaves), disconnected_inputs='ignore') if leaves else []
    return unflatten(treedef, list(grads))
