"""Settings, read once from the environment and changeable at run time.

`floatX` is the dtype of the un-prefixed constructors (`T.matrix`), `backend` the
backend `tg.function` uses by default.  Settings that Theano programs read or set
(`device`, `mode`, `optimizer`, ...) are accepted and documented; those that change
nothing here say so in `DOCS`.
"""
from __future__ import annotations

import os
import sys
import types


DOCS = {
    'floatX': 'dtype of T.scalar/vector/matrix... and of random draws ("float64" or "float32").',
    'backend': 'default backend for tg.function and @tg.compile (env TRACEGRAPH_BACKEND).',
    'cache_dir': 'where compiled artifacts are cached on disk (env TRACEGRAPH_CACHE_DIR).',
    'compile_in_background': 'backends that compile slowly (numba) compile in a child process while the NumPy backend runs the calls; Function.finish_compile() waits (env TRACEGRAPH_COMPILE_IN_BACKGROUND=1).',
    'rewrites': 'default rewrite set: "default", "fast_compile" or "none".',
    'device': 'Theano setting, accepted: "cpu" keeps the configured backend, "cuda*"/"gpu*" selects the CuPy backend when available.',
    'mode': 'Theano setting, accepted: FAST_RUN (all rewrites), FAST_COMPILE (few rewrites), DebugMode (refused in function()).',
    'optimizer': 'Theano setting, accepted: "fast_run", "fast_compile", "None" choose the rewrite set.',
    'compute_test_value': 'Theano setting, accepted and ignored: static shapes already catch shape errors at build time.',
    'exception_verbosity': 'Theano setting, accepted and ignored: errors always name the op and the user line.',
    'warn_float64': 'Theano setting, accepted and ignored.',
    'allow_gc': 'Theano setting, accepted and ignored: generated code frees values after last use.',
    'openmp': 'Theano setting, accepted and ignored.',
    'cxx': 'Theano setting, accepted and ignored: there is no C code generation.',
    'on_opt_error': 'Theano setting, accepted and ignored.',
    'print_active_device': 'Theano setting, accepted and ignored.',
}

_FLOATS = ('float16', 'float32', 'float64')


def _theano_flags():
    pairs = (item.split('=', 1) for item in os.environ.get('THEANO_FLAGS', '').split(','))
    return {k.strip(): v.strip() for k, v in (p for p in pairs if len(p) == 2)}


def resolve_dtype(dtype):
    """'floatX' names the configured float dtype; anything else is a NumPy dtype."""
    if dtype == 'floatX' or dtype is None:
        return floatX
    return dtype


def settings():
    """Every setting and its current value."""
    return {name: globals()[name] for name in DOCS}


class _ConfigModule(types.ModuleType):
    """Validates assignments such as `tg.config.floatX = 'float32'`."""

    def __setattr__(self, key, value):
        if key == 'floatX' and value not in _FLOATS:
            raise ValueError(f'config.floatX must be one of {_FLOATS}, got {value!r}')
        super().__setattr__(key, value)


_flags = _theano_flags()
floatX = os.environ.get('TRACEGRAPH_FLOATX', _flags.get('floatX', 'float64'))
backend = os.environ.get('TRACEGRAPH_BACKEND', 'numpy')
cache_dir = os.environ.get('TRACEGRAPH_CACHE_DIR',
                           os.path.join(os.path.expanduser('~'), '.cache', 'tracegraph'))
rewrites = os.environ.get('TRACEGRAPH_REWRITES', 'default')
compile_in_background = os.environ.get('TRACEGRAPH_COMPILE_IN_BACKGROUND', '') in ('1', 'true', 'True')
device = _flags.get('device', 'cpu')
mode = _flags.get('mode', 'FAST_RUN')
optimizer = _flags.get('optimizer', 'fast_run')
compute_test_value = _flags.get('compute_test_value', 'off')
exception_verbosity = 'low'
warn_float64 = 'ignore'
allow_gc = True
openmp = False
cxx = ''
on_opt_error = 'warn'
print_active_device = True

sys.modules[__name__].__class__ = _ConfigModule
