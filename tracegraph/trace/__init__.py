"""The tracing front-end: `@tg.compile` turns a Python function of arrays into a
compiled graph, traced once per abstract signature (see compiled.py).

    compiled.py    the decorator, its cache, `lower` and `explain_cache_miss`
    arguments.py   binding a call: static and dynamic arguments, leaf names
    signature.py   abstract values and the cache key, and how two keys differ
    pytree.py      flattening containers (optree)
    tracer.py      calling the function on placeholders; `tg.update`
    fastpath.py    the generated per-call check of a cached signature
    errors.py      the error raised when Python needs a placeholder's value
    transforms.py  grad_of and value_and_grad
"""
from .compiled import Compiled, compile
from .errors import LeakedVariableError, PlaceholderValueError
from .tracer import Traced, update
from .transforms import grad_of, value_and_grad

__all__ = ['Compiled', 'LeakedVariableError', 'PlaceholderValueError', 'Traced', 'compile',
           'grad_of', 'update', 'value_and_grad']
