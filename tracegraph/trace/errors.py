"""Errors that teach: Python needed the value of a placeholder while tracing.

`TensorVariable.__bool__` and friends raise a generic NoValueError.  The tracer
catches it and raises PlaceholderValueError instead, which says what a placeholder
is, which arguments the value depends on, the user's file and line, and what to
write instead.  A NumPy ufunc called on a placeholder (np.exp(x)) is pointed to its
T.* twin the same way.
"""
from __future__ import annotations

import linecache
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
    innermost = frames[-1] if frames else None  # the dunder that raised: __bool__, ...
    what, why = _WHAT_PYTHON_DID.get(innermost.f_code.co_name if innermost else '',
                                     ('something that needs a value', str(exc)))
    variable = innermost.f_locals.get('self') if innermost else None
    depends = _depends_on(variable, placeholders)
    name = _name(fn)
    lines = _where(f'{name}() needs the value of a placeholder', _user_frame(frames, fn))
    lines += ['', f'While @tg.compile traces {name}(), its array arguments are placeholders: '
                  'symbolic tensors that know their dtype and rank but have no values yet.',
              f'That line calls {what} on {_describe(variable, depends)}: {why}.',
              '', 'Instead:',
              '  - T.switch(cond, a, b) (or T.where) chooses elementwise and stays symbolic;',
              '  - tracegraph.ifelse.ifelse(cond, a, b) chooses one of two branches on a scalar;',
              '  - tg.scan(fn, ...) loops a number of times that depends on values;',
              '  - if the decision depends on a setting rather than on data, make that argument '
              f'static: @tg.compile(static_argnames={_argnames(depends)}); each new value is '
              'traced anew.']
    return PlaceholderValueError('\n'.join(lines))


def _name(fn):
    return getattr(fn, '__qualname__', getattr(fn, '__name__', 'the function'))


def _where(headline, user):
    """The headline with the user's file:line, then that line's text."""
    if user is None:
        return [f'{headline} (the line is not known)']
    text = linecache.getline(user.f_code.co_filename, user.f_lineno).strip()
    return [f'{headline} at {user.f_code.co_filename}:{user.f_lineno}'] + ([f'    {text}'] if text else [])


def _describe(variable, depends):
    ttype = getattr(variable, 'type', None)
    text = f'a symbolic {ttype.dtype} {ttype.ndim}-d value' if hasattr(ttype, 'ndim') else 'a symbolic value'
    return text + (f' computed from {", ".join(depends)}' if depends else '')


_UFUNC_ON_VARIABLE = re.compile(r'loop of ufunc does not support argument \d+ of type '
                                r'\w*Variable which has no callable (\w+) method')


def explain_numpy_call(exc, fn):
    """A clearer TypeError when a NumPy ufunc (np.exp, ...) met a placeholder, else None."""
    found = _UFUNC_ON_VARIABLE.search(str(exc))
    if found is None:
        return None
    ufunc = found.group(1)
    lines = _where(f"{_name(fn)}() called NumPy's {ufunc} on a placeholder",
                   _user_frame(_frames(exc.__traceback__), fn))
    lines.append(f'While @tg.compile traces a function its array arguments are symbolic '
                 f'placeholders, and NumPy functions need values: use T.{ufunc}(...) '
                 '(import tracegraph.tensor as T), which builds the graph.')
    return TypeError('\n'.join(lines))


def leaked_variable(fn, variable):
    name = _name(fn)
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
