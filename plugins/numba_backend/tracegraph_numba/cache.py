"""Generated modules on disk, one file per graph, so Numba's `cache=True` works.

`<config.cache_dir>/numba/tg_<key>.py`, the key hashing the source, this package's
code and the versions that shape machine code.  A file is written atomically, and a
file whose text differs from what it should hold (a crash, a full disk) is rewritten
on load: that check is why files are not fsync'ed (4 ms a file, thousands for the
test suite).  `forget_compiled` removes Numba's `__pycache__` code when it cannot be
loaded.  A graph's module lives as long as the function compiled from it (`release_with`).
"""
from __future__ import annotations

import contextlib
import functools
import glob
import hashlib
import importlib.util
import os
import platform
import sys
import weakref

import llvmlite
import numba
import numpy as np

from tracegraph import config
from tracegraph.compiler import cache_dir

HERE = os.path.dirname(os.path.abspath(__file__))


def _package_fingerprint():
    """A hash of this package's files as this process loaded them (a file edited later,
    during a long test session, must not give its new key to the old code running)."""
    digest = hashlib.sha256()
    for name in sorted(os.listdir(HERE)):
        if name.endswith('.py'):
            with open(os.path.join(HERE, name), 'rb') as fh:
                digest.update(name.encode() + b'\n' + fh.read())
    return digest.hexdigest()[:16]


PACKAGE_FINGERPRINT = _package_fingerprint()


def versions():
    return (f'python {platform.python_version()} numpy {np.__version__} numba {numba.__version__} '
            f'llvmlite {llvmlite.__version__} tracegraph-numba {PACKAGE_FINGERPRINT}')


def directory():
    """`<config.cache_dir>/numba`, or a private directory if that cannot be written."""
    return cache_dir.usable(os.path.join(config.cache_dir, 'numba'))


@functools.lru_cache(maxsize=4096)
def key_of(source):
    return hashlib.sha256(f'{versions()}\n{source}'.encode()).hexdigest()[:32]


def path_of(key):
    return os.path.join(directory(), f'tg_{key}.py')


def ensure_file(source):
    """The path of a sound module file holding `source`, written (or rewritten) if needed."""
    key = key_of(source)
    path = path_of(key)
    text = f'# tracegraph-numba module {key} ({versions()})\n' + source
    try:
        with open(path, encoding='utf-8') as fh:
            if fh.read() == text:
                return path
        # The file exists but is not what it should be: its compiled code is suspect too.
        forget_compiled(path)
    except (OSError, UnicodeDecodeError):
        pass
    if not cache_dir.write_atomic(path, text):   # the directory went bad: a private one now
        return ensure_file(source)
    return path


def compiled_files(path):
    """Numba's cached files (index, machine code) for the module at `path`."""
    stem = os.path.splitext(os.path.basename(path))[0]
    return glob.glob(os.path.join(os.path.dirname(path), '__pycache__', stem + '.*'))


def forget_compiled(path):
    """Remove Numba's cached machine code for the module at `path`."""
    for found in compiled_files(path):
        with contextlib.suppress(OSError):
            os.unlink(found)


def load(path):
    """Execute the module file as a fresh module (each compiled function gets its own),
    named after the file: Numba's cached code names the module whose globals it uses."""
    name = f'tracegraph_numba_generated_{os.path.basename(path)[3:-3]}'
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module      # Numba looks it up there while it compiles
    spec.loader.exec_module(module)
    return module


def load_blas_bindings(name='scipy.linalg.cython_blas'):
    """Numba's BLAS bindings, loaded alone: Numba imports them when its lowerings first load
    (dot or not), running scipy/linalg/__init__.py (0.3 s CPU, a third of a warm MLP compile)."""
    if name in sys.modules or 'scipy.linalg' in sys.modules:
        return      # Numba's own import costs nothing then
    spec = importlib.util.find_spec('scipy.linalg')
    found = glob.glob(os.path.join(spec.submodule_search_locations[0], 'cython_blas.*.so')) if spec else []
    if len(found) == 1:     # else Numba imports them (or says what is missing)
        spec = importlib.util.spec_from_file_location(name, found[0])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
        sys.meta_path.insert(0, _BindBlasBindings())


class _BindBlasBindings:
    """A meta path finder: gives scipy.linalg, imported later, the bindings loaded alone as its `cython_blas`."""

    def find_spec(self, name, path=None, target=None):
        if name != 'scipy.linalg':
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            module.cython_blas = sys.modules['scipy.linalg.cython_blas']
        spec.loader.exec_module = exec_module
        return spec


def release_with(owner, module):
    """Take `module` out of `sys.modules` when `owner` (the function's `run`) dies, unless
    another function's module took its name since.  Kernel modules stay: they are shared."""
    done = weakref.finalize(owner, _unregister, module.__name__, module)
    done.atexit = False  # nothing to free when the process ends


def _unregister(name, module):
    if sys.modules.get(name) is module:
        del sys.modules[name]
    # Removing it is not enough: its globals hold the dispatcher and the dispatcher holds
    # the globals, a cycle the collector cannot see through (the dispatcher is a C type).
    # Each linked function has a module of its own (`load`), so no one else reads it.
    module.__dict__.clear()
