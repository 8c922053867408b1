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

from tracegraph.compile.source import exec_with_source

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


_KERNELS = {}


def cached_kernel(scalar_op, in_dtypes, dtype):
    """scalar_kernel, remembered: finding a kernel's dtypes costs a trial call."""
    key = (scalar_op, tuple(in_dtypes), dtype)
    kernel = _KERNELS.get(key)
    if kernel is None:
        kernel = _KERNELS[key] = scalar_kernel(scalar_op, list(in_dtypes), dtype)
    return kernel


def _sigmoid_into(x, out):
    # 1 / (1 + exp(-x)) is accurate everywhere (exp overflow gives the right 0),
    # and unlike scipy's expit it runs on NumPy's SIMD exp.
    np.negative(x, out=out)
    np.exp(out, out=out)
    np.add(out, 1, out=out)
    np.reciprocal(out, out=out)


_INTO = {'sigmoid': _sigmoid_into}


def _step_call(scalar_op, in_dtypes, dtype):
    """(function, how) for one step: how is 'ufunc' (writes with out=), 'into' (takes
    the output as its last argument) or 'assign' (returns values to copy)."""
    into = _INTO.get(getattr(scalar_op, 'name', None))
    if into is not None and np.dtype(dtype).kind == 'f':
        return into, 'into'
    kernel = cached_kernel(scalar_op, in_dtypes, dtype)
    return kernel, 'ufunc' if isinstance(kernel, np.ufunc) else 'assign'


class FusedKernel:
    """Evaluate a single-output Composite; `inplace` is the input its result overwrites."""

    def __init__(self, composite, inplace=None, plain=None):
        self.composite = composite
        self.inplace = inplace
        self.plain = plain
        self.nin = composite.nin
        self.dtype = np.dtype(composite.output_dtypes()[0])
        dtypes = list(composite.in_dtypes)
        self.calls = []
        for op, args, dtype in composite.steps:
            self.calls.append(_step_call(op, [dtypes[a] for a in args], dtype))
            dtypes.append(dtype)
        self.step_dtypes = dtypes[self.nin:]
        self.slots = self._assign_buffers()
        self._loops = {}  # which inputs are scalars -> the generated block loop
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
            for a in set(steps[k][1]):  # a value read twice by one step is freed once
                if a >= self.nin and last_use.get(a) == k and a != value:
                    free.setdefault(self.step_dtypes[a - self.nin], []).append(slots[a - self.nin])
        self.n_slots = n_slots
        self.slot_dtypes = {}
        for k, slot in enumerate(slots):
            self.slot_dtypes[slot] = self.step_dtypes[k]
        return slots

    # -- calling -----------------------------------------------------------------
    def entry(self):
        """The function generated code calls: small inputs go straight to the plain path."""
        plain, blocked, ndarray = self.plain, self._large, np.ndarray
        if self.inplace is not None:
            return self.__call__

        def fused(*inputs):
            for a in inputs:
                if a.__class__ is ndarray and a.size >= MIN_BLOCKED:
                    return blocked(inputs)
            return plain(*inputs)
        return fused

    def __call__(self, *inputs):
        if max(getattr(a, 'size', 1) for a in inputs) < MIN_BLOCKED:
            return self._plain(inputs)
        return self._large(inputs)

    @property
    def __tracegraph_source__(self):
        """The blocked loop as `f.source` shows it (every input an array)."""
        return self.block_source((False,) * self.nin)[0]

    def __tracegraph_parts__(self):
        return [('plain', self.plain)]

    def _large(self, inputs):
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
        loop = self._loop(tuple(v.ndim == 0 for v in flat))
        n = out.shape[0]
        threads = min(n_threads(), max(1, n // (4 * BLOCK)))
        per = -(-n // threads)
        per = -(-per // BLOCK) * BLOCK
        ranges = [(s, min(s + per, n)) for s in range(0, n, per)]
        if len(ranges) == 1:
            _quiet(loop, ranges[0][0], ranges[0][1], out, *flat)
            return
        pool = _executor(len(ranges) - 1)
        futures = [pool.submit(_quiet, loop, s, e, out, *flat) for s, e in ranges[1:]]
        _quiet(loop, ranges[0][0], ranges[0][1], out, *flat)
        for f in futures:
            f.result()

    def _loop(self, scalars):
        loop = self._loops.get(scalars)
        if loop is None:
            source, env = self.block_source(scalars)
            exec_with_source(source, f'numpy fused {self.composite}', env)
            loop = self._loops[scalars] = env['run_range']
        return loop

    def block_source(self, scalars):
        """Python source of the loop over blocks: one ufunc call per step, into scratch."""
        ins = [f'i{k}' for k in range(self.nin)]
        env = {'empty': np.empty, 'BLOCK': BLOCK}
        lines = [f'def run_range(start, stop, out, {", ".join(ins)}):']
        for slot in range(self.n_slots):
            env[f'd{slot}'] = np.dtype(self.slot_dtypes[slot])
            lines.append(f'    s{slot} = empty(BLOCK, dtype=d{slot})')
        lines += ['    for b0 in range(start, stop, BLOCK):',
                  '        b1 = min(b0 + BLOCK, stop)',
                  '        full = b1 - b0 == BLOCK']
        names = [i if scalar else f'a{k}' for k, (i, scalar) in enumerate(zip(ins, scalars))]
        lines += [f'        a{k} = i{k}[b0:b1]' for k, scalar in enumerate(scalars) if not scalar]
        for slot in range(self.n_slots):
            lines.append(f'        v{slot} = s{slot} if full else s{slot}[:b1 - b0]')
        last = len(self.calls) - 1
        for k, ((fn, how), (_, args, _)) in enumerate(zip(self.calls, self.composite.steps)):
            env[f'w{k}'] = fn
            target = 'out[b0:b1]' if k == last else f'v{self.slots[k]}'
            operands = ', '.join(names[a] for a in args)
            if how == 'ufunc':
                lines.append(f'        w{k}({operands}, out={target})')
            elif how == 'into':
                lines.append(f'        w{k}({operands}, {target})')
            else:
                lines.append(f'        {target}[...] = w{k}({operands})')
            names.append(target)
        return '\n'.join(lines) + '\n', env


def _quiet(loop, *args):
    # Overflow in exp is part of the math here (1 / (1 + inf) is the right 0).
    with np.errstate(all='ignore'):
        loop(*args)
