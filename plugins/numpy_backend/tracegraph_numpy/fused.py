"""Fused elementwise kernels for the NumPy backend.

A Composite (or one expensive scalar op) over a large array is evaluated in
cache-sized blocks: each step is a NumPy ufunc writing into a preallocated scratch
buffer, so the whole chain makes one pass over memory instead of one temporary
array per op.  The blocks are shared among a thread per core (ufuncs release the
GIL).  Small arrays, and inputs that broadcast in ways blocks cannot follow, take
the plain path: one NumPy call per step over whole arrays.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .scalar_kernels import scalar_kernel

BLOCK = 8192            # elements per block: a handful of float64 buffers fit in L2
MIN_BLOCKED = 1 << 16   # below this many elements, the plain path is faster
_pool = None


def n_threads():
    """Threads for blocked kernels: env TRACEGRAPH_NUM_THREADS, else the usable cores."""
    value = os.environ.get('TRACEGRAPH_NUM_THREADS')
    if value:
        return max(1, int(value))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _executor(n):
    global _pool
    if _pool is None or _pool._max_workers < n:
        _pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix='tracegraph-fused')
    return _pool


def _sigmoid_into(x, out):
    # 1 / (1 + exp(-x)) is accurate everywhere (exp overflow gives the right 0),
    # and unlike scipy's expit it runs on NumPy's SIMD exp.
    np.negative(x, out=out)
    np.exp(out, out=out)
    np.add(out, 1, out=out)
    np.reciprocal(out, out=out)


_INTO = {'sigmoid': _sigmoid_into}


def _step_writer(scalar_op, in_dtypes, dtype):
    """A function (args..., out) that writes one step's values into `out`."""
    into = _INTO.get(getattr(scalar_op, 'name', None))
    if into is not None and np.dtype(dtype).kind == 'f':
        return into
    kernel = scalar_kernel(scalar_op, in_dtypes, dtype)
    if isinstance(kernel, np.ufunc):
        def write_ufunc(*args):
            kernel(*args[:-1], out=args[-1])
        return write_ufunc

    def write_any(*args):
        args[-1][...] = kernel(*args[:-1])
    return write_any


class FusedKernel:
    """Evaluate a single-output Composite; `inplace` is the input its result overwrites."""

    def __init__(self, composite, inplace=None, plain=None):
        self.composite = composite
        self.inplace = inplace
        self.plain = plain
        self.nin = composite.nin
        self.dtype = np.dtype(composite.output_dtypes()[0])
        dtypes = list(composite.in_dtypes)
        self.writers = []
        for op, args, dtype in composite.steps:
            self.writers.append((_step_writer(op, [dtypes[a] for a in args], dtype), args))
            dtypes.append(dtype)
        self.step_dtypes = dtypes[self.nin:]
        self.slots = self._assign_buffers()
        self.__name__ = 'fused'

    def _assign_buffers(self):
        """A scratch slot per step, reused once its value is dead (the last step has none)."""
        steps = self.composite.steps
        last_use = {}
        for k, (_, args, _) in enumerate(steps):
            for a in args:
                last_use[a] = k
        free, slots, n_slots = {}, [], 0
        for k in range(len(steps)):
            value = self.nin + k
            dtype = self.step_dtypes[k]
            pool = free.setdefault(dtype, [])
            slot = pool.pop() if pool else None
            if slot is None:
                slot, n_slots = n_slots, n_slots + 1
            slots.append(slot)
            for a in steps[k][1]:
                if a >= self.nin and last_use.get(a) == k and a != value:
                    free.setdefault(self.step_dtypes[a - self.nin], []).append(slots[a - self.nin])
        self.n_slots = n_slots
        self.slot_dtypes = {}
        for k, slot in enumerate(slots):
            self.slot_dtypes[slot] = self.step_dtypes[k]
        return slots

    # -- calling -----------------------------------------------------------------
    def __call__(self, *inputs):
        size = max(getattr(a, 'size', 1) for a in inputs)
        if size < MIN_BLOCKED:
            return self._plain(inputs)
        shape = np.broadcast_shapes(*(np.shape(a) for a in inputs))
        flat = self._flatten(inputs, shape)
        if flat is None:
            return self._plain(inputs)
        out = self._output(inputs, shape)
        self._run_blocks(flat, out.reshape(-1))
        return out

    def _plain(self, inputs):
        result = self.plain(*inputs)
        if self.inplace is not None:
            target = inputs[self.inplace]
            if isinstance(target, np.ndarray) and target.shape == np.shape(result) \
                    and target.flags.writeable:
                np.copyto(target, result)
                return target
        return result

    def _flatten(self, inputs, shape):
        """Each input as a 1-d array of the output's size, or a 0-d scalar; None if neither."""
        flat = []
        for a in inputs:
            a = np.asarray(a)
            if a.size == 1:
                flat.append(a.reshape(()))
            elif a.shape == shape and a.flags.c_contiguous:
                flat.append(a.reshape(-1))
            else:
                return None
        return flat

    def _output(self, inputs, shape):
        if self.inplace is not None:
            target = inputs[self.inplace]
            if isinstance(target, np.ndarray) and target.shape == shape and \
                    target.flags.c_contiguous and target.flags.writeable:
                return target
        return np.empty(shape, dtype=self.dtype)

    def _run_blocks(self, flat, out):
        n = out.shape[0]
        threads = min(n_threads(), max(1, n // (4 * BLOCK)))
        per = -(-n // threads)
        per = -(-per // BLOCK) * BLOCK
        ranges = [(s, min(s + per, n)) for s in range(0, n, per)]
        if len(ranges) == 1:
            self._run_range(flat, out, *ranges[0])
            return
        pool = _executor(len(ranges) - 1)
        futures = [pool.submit(self._run_range, flat, out, s, e) for s, e in ranges[1:]]
        self._run_range(flat, out, *ranges[0])
        for f in futures:
            f.result()

    def _run_range(self, flat, out, start, stop):
        buffers = [np.empty(BLOCK, dtype=self.slot_dtypes[s]) for s in range(self.n_slots)]
        last = len(self.writers) - 1
        with np.errstate(all='ignore'):
            for b0 in range(start, stop, BLOCK):
                b1 = min(b0 + BLOCK, stop)
                m = b1 - b0
                values = [v if v.ndim == 0 else v[b0:b1] for v in flat]
                for k, (write, args) in enumerate(self.writers):
                    target = out[b0:b1] if k == last else buffers[self.slots[k]][:m]
                    write(*(values[a] for a in args), target)
                    values.append(target)
