"""Compiling while the NumPy backend runs the calls (`config.compile_in_background`).

A JIT backend's first compile of a graph takes seconds: Numba spends 8 s on the MLP
training step of issue 21 with an empty cache, most of it in Numba's own passes, where
the NumPy backend links the same rewritten graph in milliseconds.  So for a backend
whose values are the NumPy backend's (host arrays, `Backend.numpy_first`), `function()`
returns a function that runs on the NumPy backend's code, and moves it to the
backend's own code once that is linked.  Both run one rewritten graph, and shared
variables live in their containers, not in either code, so calls made before the move
and after it read and update the same state.

Where: a child process runs the backend's `compile_job` (the compile, filling its disk
cache), then a thread here links (loading the machine code).  On a thread alone the
compile shares the GIL with the calls, and most of Numba's compile is Python: the MLP
step's calls ran 3x slower meanwhile, and the compile took 40% longer.  While a child
compiles, this process's BLAS runs one thread fewer (threadpoolctl): OpenBLAS's threads
wait for work by spinning, and on 2 cores two of them beside the child ran the MLP step
in 5.9 ms instead of 2.1 (one thread: 2.7 ms, and the child at full speed).  A child
that fails changes nothing: the link here then compiles, and raises what there is.

The thread is not a daemon: a process that ends first waits for the compile (as long
as `function()` would have), which leaves the machine code cached for the next one (a
child stopped by a signal, as Ctrl-C stops it, ends the compile).  A missing lowering
still raises in `function()`; any other error of the link is warned about, the NumPy
backend's code keeps running, and `Function.finish_compile()` raises it.

    python -m tracegraph.compiler.background < pickle of (cache_dir, 'module:function', args)
"""
from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import threading
import warnings

from .. import backends, config, hookspecs
from .collector import fewer_collections


def wanted(backend):
    """Whether `function()` links for `backend` in the background."""
    return bool(config.compile_in_background) and backend.numpy_first


class BackgroundLink:
    """`backend`'s link of `fgraph`, made in the background; it replaces a function's code."""

    def __init__(self, backend, fgraph, options):
        # What would fail first in the link, and is the user's to fix: raised here.
        backends.lower_graph(backend.name, fgraph)
        self.backend, self.fgraph, self.options = backend, fgraph, options
        self.error = None
        self.done = threading.Event()

    def start(self, function):
        """Link on a thread, then move `function` to the result."""
        thread = threading.Thread(target=self._link, args=(function,), daemon=False,
                                  name=f'tracegraph {self.backend.name} compile of {function.name}')
        thread.start()

    def _link(self, function):
        try:
            if self.backend.compile_job is not None:
                job = hookspecs.load(self.backend.compile_job)(self.fgraph)
                if job is not None:
                    run_in_child(job)
            with fewer_collections():
                executable = self.backend.link(self.fgraph, self.options)
        except Exception as exc:
            self.error = exc
            warnings.warn(f'tracegraph: compiling {function.name!r} for the {self.backend.name} '
                          f'backend failed ({type(exc).__name__}: {exc}); its calls keep running on '
                          'the NumPy backend. finish_compile() raises the error.', RuntimeWarning)
        else:
            function.switch_to(executable)
        finally:
            self.done.set()

    def wait(self, timeout=None):
        """True once the backend's code runs the calls, False if `timeout` passed first;
        raises the link's error."""
        finished = self.done.wait(timeout)
        if self.error is not None:
            raise self.error
        return finished


def run_in_child(job):
    """Run `job` ('module:function', args) in a child process that imports the modules
    this one imported (the same files give the same cache keys)."""
    data = pickle.dumps((config.cache_dir, *job))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    with _fewer_blas_threads():
        child = subprocess.run([sys.executable, '-m', __name__], input=data, env=env,
                               capture_output=True, check=False)
    if child.returncode < 0:    # stopped by a signal (Ctrl-C): no compile here either
        raise RuntimeError(f'the compiling process was stopped by signal {-child.returncode}')


_lock = threading.Lock()
_children = 0       # child processes compiling now
_blas_limit = None  # threadpoolctl's limit while any does


@contextlib.contextmanager
def _fewer_blas_threads():
    """One BLAS thread fewer while any child compiles (the first in limits, the last out restores)."""
    global _children, _blas_limit
    from threadpoolctl import threadpool_info, threadpool_limits
    with _lock:
        _children += 1
        if _children == 1:
            now = max((p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas'), default=1)
            _blas_limit = threadpool_limits(now - 1, user_api='blas') if now > 1 else None
    try:
        yield
    finally:
        with _lock:
            _children -= 1
            if _children == 0 and _blas_limit is not None:
                _blas_limit.restore_original_limits()
                _blas_limit = None


def _child():
    config.cache_dir, function, args = pickle.load(sys.stdin.buffer)
    hookspecs.load(function)(*args)


if __name__ == '__main__':
    _child()
