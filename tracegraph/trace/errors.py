"""Errors that teach: Python needed the value of a placeholder while tracing.

`TensorVariable.__bool__` and friends raise a generic NoValueError.  The tracer
catches it and raises PlaceholderValueError instead, which says what a placeholder
is, which arguments the value depends on, the user's file and line, and what to
write instead.  A NumPy ufunc called on a placeholder (np.exp(x)) is pointed to its
T.* twin the same way.
"""
from __future__ import annotations

import os
import re

from ..ir import ancestors
from ..ir.source import _is_internal
from ..tensor.variable import NoValueError

_TESTING_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            'testing') + os.sep

# What Python was doing when it asked for a value, by the dunder that raised, and why
# that cannot work on a placeholder.
_WHAT_PYTHON_DID = {
    '__bool__': ('bool() (an `if`, `while`, `and`, `or`, `not` or `assert`)',
                 'Python cannot choose a branch without the value'),
    '__int__': ('int()', 'int() needs a number; .astype("int64") stays symbolic'),
    '__float__': ('float()', 'float() needs a number; .astype("float64") stays symbolic'),
    '__index__': ('__index__ (indexing a Python list or tuple, range(), ...)',
                  'a Python container cannot be indexed by a value that is not known yet; '
                  'put the items in a tensor (T.stack(items)[i]) to index them symbolically'),
    '__len__': ('len()', 'the length is .shape[0], a symbolic scalar'),
    '__iter__': ('iteration (a `for` loop or unpacking)', 'the length is not known while tracing'),
}


class PlaceholderValueError(NoValueError):
    """Python needed the value of a placeholder while @tg.compile traced a function."""


class LeakedVariableError(TypeError):
    """A traced function used a symbolic variable that is not one of its arguments."""


def explain_no_value(exc, fn, placeholders):
    """A PlaceholderValueError for NoValueError `exc` raised while tracing `fn`."""
    frames = _frames(exc.__traceback__)
    dunder = frames[-1].f_code.co_name if frames else ''
    variable = frames[-1].f_locals.get('self') if frames else None
    user = _user_frame(frames, fn)
    what, why = _WHAT_PYTHON_DID.get(dunder, ('something that needs a value', str(exc)))
    name = getattr(fn, '__qualname__', getattr(fn, '__name__', 'the function'))
    where = f'{user.f_code.co_filename}:{user.f_lineno}' if user else 'an unknown line'
    lines = [f'{name}() needs the value of a placeholder at {where}']
    if user is not None:
        import linecache
        text = linecache.getline(user.f_code.co_filename, user.f_lineno).strip()
        if text:
            lines.append(f'    {text}')
    lines.append('')
    lines.append(f'While @tg.compile traces {name}(), its array arguments are placeholders: '
                 'symbolic tensors that know their dtype and rank but have no values yet.')
    depends = _depends_on(variable, placeholders)
    value = f'a symbolic {variable.type.dtype} {variable.type.ndim}-d value' if hasattr(
        getattr(variable, 'type', None), 'ndim') else 'a symbolic value'
    if depends:
        value += f' computed from {", ".join(depends)}'
    lines.append(f'That line calls {what} on {value}: {why}.')
    lines += ['', 'Instead:',
              '  - T.switch(cond, a, b) (or T.where) chooses elementwise and stays symbolic;',
              '  - tracegraph.ifelse.ifelse(cond, a, b) chooses one of two branches on a scalar;',
              '  - tg.scan(fn, ...) loops a number of times that depends on values;',
              '  - if the decision depends on a setting rather than on data, make that argument '
              f'static: @tg.compile(static_argnames={_argnames(depends)}); each new value is '
              'traced anew.']
    return PlaceholderValueError('\n'.join(lines))


_UFUNC_ON_VARIABLE = re.compile(r'loop of ufunc does not support argument \d+ of type '
                                r'\w*Variable which has no callable (\w+) method')


def explain_numpy_call(exc, fn):
    """A clearer TypeError when a NumPy ufunc (np.exp, ...) met a placeholder, else None."""
    found = _UFUNC_ON_VARIABLE.search(str(exc))
    if found is None:
        return None
    user = _user_frame(_frames(exc.__traceback__), fn)
    where = f' at {user.f_code.co_filename}:{user.f_lineno}' if user else ''
    name = getattr(fn, '__qualname__', getattr(fn, '__name__', 'the function'))
    ufunc = found.group(1)
    return TypeError(
        f'{name}() called NumPy\'s {ufunc} on a placeholder{where}. While @tg.compile traces a '
        'function its array arguments are symbolic placeholders, and NumPy functions need '
        f'values: use T.{ufunc}(...) (import tracegraph.tensor as T), which builds the graph.')


def leaked_variable(fn, variable):
    name = getattr(fn, '__qualname__', getattr(fn, '__name__', 'the function'))
    built = ''
    if variable.owner is not None and getattr(variable.owner, 'source', None) is not None:
        built = f' (built at {variable.owner.source})'
    return LeakedVariableError(
        f'{name}() uses the symbolic variable {variable} of type {variable.type}{built}, which is '
        'not one of its arguments: a traced function sees only its arguments, shared variables '
        'and constants. It may be a placeholder kept from another trace, or a variable made '
        'with T.* outside the function. Pass its value as an argument, or make it a shared '
        'variable with tg.shared(value).')


def _frames(tb):
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


def _user_frame(frames, fn):
    """The innermost frame of the user's code (the traced function or what it calls)."""
    code = getattr(fn, '__code__', None)
    for frame in reversed(frames):
        filename = frame.f_code.co_filename
        if frame.f_code is code or filename.startswith(_TESTING_DIR) or not _is_internal(filename):
            return frame
    return None


def _depends_on(variable, placeholders):
    """Names of the placeholders `variable` was computed from."""
    if variable is None or not hasattr(variable, 'owner'):
        return []
    names = {id(p): p.name for p in placeholders}
    return [names[id(v)] for v in ancestors([variable]) if id(v) in names]


def _argnames(depends):
    """The arguments behind placeholder names like `params['w']`, as a tuple's code."""
    heads = []
    for name in depends or ['...']:
        head = name.split('[')[0].split('.')[0]
        if head not in heads:
            heads.append(head)
    return '(' + ''.join(f"{h!r}, " for h in heads).rstrip(' ') + ')' if depends else '(...)'
