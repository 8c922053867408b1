"""Generated modules on disk, one file per graph, so Numba's `cache=True` works.

A module is stored as `<config.cache_dir>/numba/tg_<key>.py`, where the key hashes
the generated source, the package code it runs and the versions that shape the
machine code (Python, NumPy, Numba, llvmlite).  The file is written to a temporary
name and renamed, so a reader never sees half a file; a file whose text differs
from what it should hold (corrupted, truncated by a crash or a full disk) is
detected on load and rewritten.  That check is why the file is not fsync'ed (4 ms
a file here, thousands of files for the test suite): what a crash loses is found
and written again.
Numba keeps its compiled code beside it in `__pycache__`; `forget_compiled` removes
that when Numba cannot load it.

The key covers exactly the code the machine code is made of: the generated
source, and the files of this package whose names the source uses (helpers,
vector_math, blocked, ...) with all they import from the package.  A change to
the code generator (linker, lowering, elemwise, ...) changes the source of the
kernels it affects and no other, and a change to a runtime module recompiles the
kernels that use it, so neither throws away the whole cache.  A graph module
names its kernels by their keys, so it follows them.  Rule that keeps this
sound: compiled code reaches the package's code only through names it imports
(an `@njit` helper, an `@intrinsic`, an `@overload` of the package's own
function); tests/test_cache.py checks the package keeps to it.
"""
from __future__ import annotations

import functools
import glob
import hashlib
import importlib.util
import os
import platform
import re
import sys
import tempfile
import types

import llvmlite
import numba
import numpy as np

from tracegraph import config

PACKAGE = __package__
HERE = os.path.dirname(os.path.abspath(__file__))
# `from tracegraph_numba.x import ...`, `from .x import ...`, `from . import x, y`,
# `import tracegraph_numba.x`: what a module imports from this package.
_FROM = re.compile(r'^[ \t]*from[ \t]+(?:\.|' + PACKAGE + r'\b)(\.?\w*)[ \t]+import[ \t]+'
                   r'(\([^)]*\)|[^\n]*)', re.M)
_IMPORT = re.compile(r'^[ \t]*import[ \t]+' + PACKAGE + r'\.(\w+)', re.M)
# The form generated code imports in (lowered.KERNEL_HEADER): `from tracegraph_numba.x import a, b`.
_GENERATED_FROM = re.compile(r'^[ \t]*from[ \t]+' + PACKAGE + r'\.(\w+)[ \t]+import[ \t]+([^\n]*)', re.M)
# What a module defines at its top level: `def f`, `class C`, `X = ...`, `X: int = ...`.
_DEFINED = re.compile(r'^(?:def|class)[ \t]+(\w+)|^(\w+)[ \t]*[:=]', re.M)


def versions():
    return (f'python {platform.python_version()} numpy {np.__version__} numba {numba.__version__} '
            f'llvmlite {llvmlite.__version__}')


def package_imports(text):
    """Names of this package's modules that `text` (Python source) imports."""
    found = set(_IMPORT.findall(text))
    for module, names in _FROM.findall(text):
        if module.strip('.'):
            found.add(module.strip('.'))
        else:   # `from . import a, b`: the names that are modules
            for name in names.strip('()').replace('\n', ',').split(','):
                found.add(name.split('#')[0].split(' as ')[0].strip())
    return {name for name in found if os.path.isfile(os.path.join(HERE, f'{name}.py'))}


def _read_module(name):
    with open(os.path.join(HERE, f'{name}.py'), encoding='utf-8') as fh:
        return fh.read()


# The package's files as they were when the linker first imported this module,
# before it imports the runtime modules: a file edited later (while a long test
# session runs) must not give its new text's key to the old code this process runs.
_TEXTS = {name[:-3]: _read_module(name[:-3]) for name in os.listdir(HERE) if name.endswith('.py')}


@functools.lru_cache(maxsize=None)
def _module_text(name):
    return _TEXTS[name] if name in _TEXTS else _read_module(name)


def _bound_names(imported):
    """The names an import binds, from the text after its `import`."""
    names = set()
    for part in re.sub(r'#[^\n]*', '', imported).strip('() \t\n').replace('\n', ',').split(','):
        words = part.split()
        if words:
            names.add(words[-1])    # `a` or `a as b`
    return names


@functools.lru_cache(maxsize=None)
def _star_names(module):
    """The names `from module import *` binds that come from this package's code:
    what its text defines or imports from the package, and what the loaded module
    holds (a name bound at run time too), less what comes from other libraries."""
    text = _module_text(module)
    names = {a or b for a, b in _DEFINED.findall(text)}
    for _, imported in _FROM.findall(text):
        names |= _bound_names(imported)
    for name, value in vars(importlib.import_module(f'{PACKAGE}.{module}')).items():
        origin = getattr(value, '__module__', None)
        if not isinstance(value, types.ModuleType) and (not isinstance(origin, str) or
                                                        origin.startswith(PACKAGE)):
            names.add(name)
    return {name for name in names if not name.startswith('_')}


def generated_imports(source):
    """This package's modules whose names the generated `source` uses.

    Every generated module imports the whole kernel header; a module whose names
    it never uses adds nothing to its machine code, so editing vector_math
    recompiles the kernels that call nb_exp and leaves the others alone.  An import
    this does not read name by name (another form, a multi-line one) counts whole.
    """
    rest = _GENERATED_FROM.sub('', source)
    words = set(re.findall(r'\w+', rest))
    found = package_imports(rest)
    for module, imported in _GENERATED_FROM.findall(source):
        names = _star_names(module) if '*' in imported else _bound_names(imported)
        if '(' in imported or names & words:
            found.add(module)
    return found


def runtime_modules(source):
    """This package's modules that the generated `source` runs: the ones it uses
    (generated_imports) and all they import from the package, transitively."""
    seen, todo = set(), list(generated_imports(source))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(package_imports(_module_text(name)))
    return frozenset(seen)


@functools.lru_cache(maxsize=None)
def _fingerprint(modules):
    digest = hashlib.sha256()
    for name in sorted(modules):
        digest.update(f'{name}\n{_module_text(name)}\n'.encode())
    return digest.hexdigest()[:16]


def runtime_fingerprint(source):
    """A hash of the package code `source` runs (see the module docstring)."""
    return _fingerprint(runtime_modules(source))


def directory():
    return os.path.join(config.cache_dir, 'numba')


@functools.lru_cache(maxsize=4096)
def key_of(source):
    text = f'{versions()}\n{runtime_fingerprint(source)}\n{source}'
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def path_of(key):
    return os.path.join(directory(), f'tg_{key}.py')


def file_text(key, source):
    return f'# tracegraph-numba module {key} ({versions()})\n' + source


def ensure_file(source):
    """The path of a sound module file holding `source`, written (or rewritten) if needed."""
    key = key_of(source)
    path = path_of(key)
    text = file_text(key, source)
    try:
        with open(path, encoding='utf-8') as fh:
            if fh.read() == text:
                return path
        # The file exists but is not what it should be: its compiled code is suspect too.
        forget_compiled(path)
    except (OSError, UnicodeDecodeError):
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.tmp-', suffix='.py', dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def forget_compiled(path):
    """Remove Numba's cached machine code for the module at `path`."""
    stem = os.path.splitext(os.path.basename(path))[0]
    for found in glob.glob(os.path.join(os.path.dirname(path), '__pycache__', stem + '.*')):
        try:
            os.unlink(found)
        except OSError:
            pass


def load(path):
    """Execute the module file as a fresh module (each compiled function gets its own).

    The module's name depends only on the file: Numba's cached code names the module
    whose globals it uses, and a later process must find it under the same name.
    """
    name = f'tracegraph_numba_generated_{os.path.basename(path)[3:-3]}'
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
