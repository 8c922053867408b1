"""Where a backend keeps compiled artifacts: under `config.cache_dir`, or a private directory.

`TRACEGRAPH_CACHE_DIR` may name something unusable: a file, a read-only or full
disk, a directory another user owns.  Compiling must not fail for that: the first
time a directory is found unusable, warn once (naming it and why) and write this
process's artifacts to a private temporary directory instead, removed at exit.  Such
artifacts are compiled anew by every process (no persistent disk cache).  The Numba
backend keeps its generated modules and their machine code here.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import warnings

_lock = threading.Lock()
_usable = set()      # directories a probe file was written to
_unusable = {}       # directory -> the OSError that ruled it out
_private = []        # the one private directory of this process, once made


class CacheDirWarning(UserWarning):
    """The configured cache directory cannot be written: compiling without it."""


def usable(wanted):
    """`wanted` if modules can be written there, else this process's private directory."""
    if wanted in _usable:
        return wanted
    with _lock:
        if wanted in _unusable:
            return _private_dir()
        try:
            os.makedirs(wanted, exist_ok=True)
            fd, probe = tempfile.mkstemp(prefix='.probe-', dir=wanted)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            return _give_up(wanted, exc)
        _usable.add(wanted)
        return wanted


def unusable(wanted, exc):
    """A write into `wanted` failed after all: use the private directory from now on."""
    with _lock:
        if _private and wanted == _private[0]:
            raise exc  # nowhere left to write
        _usable.discard(wanted)
        return _give_up(wanted, exc)


def write_atomic(path, text):
    """Write `text` to `path` through a temporary file renamed into place, so no reader
    sees half a file.  False when the directory cannot take the file after all (it is
    marked unusable: the caller asks `usable` again)."""
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix='.tmp-', suffix=os.path.splitext(path)[1], dir=folder)
    except OSError as exc:  # the directory went bad since it was probed
        unusable(folder, exc)
        return False
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


def _give_up(wanted, exc):
    if wanted not in _unusable:
        _unusable[wanted] = exc
        warnings.warn(
            f'tracegraph: the cache directory {wanted!r} cannot be used ({exc}); compiled '
            'code is kept in a temporary directory for this process only. Set '
            'TRACEGRAPH_CACHE_DIR (or tracegraph.config.cache_dir) to a writable directory to '
            'keep it between runs.', CacheDirWarning, stacklevel=4)
    return _private_dir()


def _private_dir():
    if not _private:
        path = tempfile.mkdtemp(prefix='tracegraph-cache-')
        atexit.register(shutil.rmtree, path, ignore_errors=True)
        _private.append(path)
    return _private[0]
