"""The one thread pool of the array kernels (blocked elementwise work, large draws).

NumPy's ufuncs release the GIL, so a thread per core runs them in parallel.  The
caller's own thread works too, so `n` threads of work need only `n - 1` pool
workers, and a call on one core never touches the pool.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

_pool = None
_lock = threading.Lock()


def n_threads():
    """Threads for array kernels: env TRACEGRAPH_NUM_THREADS, else the usable cores."""
    value = os.environ.get('TRACEGRAPH_NUM_THREADS')
    if value:
        return max(1, int(value))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _executor(workers):
    global _pool
    with _lock:  # two threads growing the pool at once must not both replace it
        if _pool is None or _pool._max_workers < workers:
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix='tracegraph-kernels')
        return _pool


def run_split(task, shares, threads):
    """task(*share) for every share, on `threads` threads (this one and pool workers),
    each taking the next share as it finishes one; returns when all are done, raising
    the first error if any share failed.

    Shares taken on demand, not fixed per thread: on a shared machine one core is
    often busy with another process, and a fixed half would leave the other waiting.
    """
    if threads <= 1 or len(shares) <= 1:
        for share in shares:
            task(*share)
        return
    pending = iter(shares)  # one iterator for every thread: next() on it is atomic (GIL)

    def work():
        for share in pending:
            task(*share)
    pool = _executor(threads - 1)
    futures = [pool.submit(work) for _ in range(min(threads, len(shares)) - 1)]
    error = None
    try:
        work()
    except BaseException as exc:  # the others still write into the caller's arrays: wait
        error = exc
    for future in futures:
        # A task still queued (behind another caller's work) finds nothing left: drop it.
        if not future.cancel():
            error = error or future.exception()
    if error is not None:
        raise error
