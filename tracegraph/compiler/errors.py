"""Run-time errors that name the op and the user's line that built it."""
from __future__ import annotations


class GraphRuntimeError(RuntimeError):
    """Raised for errors inside a compiled function that fit no built-in class."""


def explain(exc, executable, fn_name):
    """A copy of `exc` whose message names the failing node and the user's source line."""
    node = _failing_node(exc, executable)
    if node is None:
        return None
    where = f'\n  built at {node.source}' if node.source else ''
    inputs = ', '.join(f'{i} {i.type}' for i in node.inputs)
    message = f'{exc}\n  while running {node.op} in function {fn_name!r}{where}\n  inputs: {inputs}'
    new = rebuilt(type(exc), message)
    new.node = node
    return new


def rebuilt(cls, message):
    """An exception of `cls`, or of its nearest base that takes a message (NumPy's
    _ArrayMemoryError wants a shape and a dtype: it becomes a MemoryError)."""
    for base in cls.__mro__:
        if base in (BaseException, Exception):
            break
        try:
            return base(message)
        except Exception:
            continue
    return GraphRuntimeError(message)


def _failing_node(exc, executable):
    tb = exc.__traceback__
    found = None
    while tb is not None:
        code = tb.tb_frame.f_code
        node = executable.node_at(code.co_filename, tb.tb_lineno)
        if node is not None:
            found = node
        tb = tb.tb_next
    return found
