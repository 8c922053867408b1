"""A fused elementwise Composite over large arrays, evaluated in cache-sized blocks.

Each step is a NumPy ufunc (SIMD, unlike a compiled loop's libm calls) writing into
a scratch buffer of one block, so the chain makes one pass over memory instead of
one temporary array per step, and the blocks are shared among a thread per core
(ufuncs release the GIL; `threads.run_split`).  The loop over blocks is generated
Python, one line per step, registered with linecache (`f.source` shows it).

Both the NumPy backend (a fused Elemwise above THRESHOLD elements, or a long chain
at any size: `kernels.elemwise`) and the Numba backend (large transcendental work,
through `evaluate` in `numba.objmode`) run this one evaluator.

Block size and threshold, per dtype, measured on this machine kind (2 cores of an
Intel Xeon with AVX-512, 2 MiB of L2 each, shared with other work) by
`python -m bench.elemwise blocks`, CPU time per call (all threads):

* block: the fused chain `(x*y + 2*x - exp(-y)) * tanh(x)` on 10^7 elements took,
  with blocks of 4,096/8,192/16,384/32,768/65,536 elements, float64 133/106/95/84/93
  ms and float32 68/56/45/37/33 ms on a quiet machine (2026-12-07): 256 KiB a buffer
  is best for both, an eighth of the L2, where the chain's six block buffers stay
  while a ufunc call costs ~1 µs per block.  With other work sharing the cores
  (2026-12-06) it was float64 98/75/75/77/98 and float32 41/39/35/32/35: 128 KiB
  best or tied.  So a block is an eighth of the L2 that Linux reports.
* threshold: the plain path (whole-array calls) against blocks on one thread, same
  chain: float64 8,192 elements 31 against 46 µs, 16,384: 262 against 92 µs;
  float32 32,768: 55 against 71, 65,536: 472 against 140.  Once the arrays pass
  128-256 KiB, each whole-array temporary costs fresh pages from the kernel (the
  allocator returns memory that large to it); below that, plain calls win.
  A call above the threshold that spans several blocks shares them among threads.
"""
from __future__ import annotations

import functools
import glob
import heapq
import math

import numpy as np

from tracegraph.compiler.source import exec_with_source
from tracegraph.tensor.scalar import SCALAR_OPS, Composite, cast_op

from .threads import n_threads, run_split
from .ufuncs import INTO, cached_kernel


def l2_cache_bytes(cpu='/sys/devices/system/cpu/cpu0'):
    """The L2 cache of one core, from Linux's sysfs ('2048K'), or None."""
    for index in sorted(glob.glob(f'{cpu}/cache/index*')):
        try:
            with open(f'{index}/level') as level, open(f'{index}/size') as size:
                if level.read().strip() == '2':
                    text = size.read().strip().upper()
                    return int(text.rstrip('KMG')) << {'K': 10, 'M': 20, 'G': 30}.get(text[-1:], 0)
        except (OSError, ValueError):
            return None
    return None


# Bytes per block: an eighth of a core's L2 (above), 64 KiB to 512 KiB, and 128 KiB
# where Linux does not say.
BLOCK_BYTES = min(max((l2_cache_bytes() or 1 << 20) // 8, 1 << 16), 1 << 19)
# Elements per block, and the element count from which blocks on every core beat
# one whole-array ufunc call per step (below it the NumPy backend runs the plain
# path, and a call from Numba stays on one thread).  Other dtypes: float64's bytes.
BLOCK = {'float64': BLOCK_BYTES // 8, 'float32': BLOCK_BYTES // 4}
THRESHOLD = {'float64': 1 << 14, 'float32': 1 << 16}

# Elements from which a Composite of one non-ufunc step (sigmoid) blocks, in any dtype.
LONE_STEP_THRESHOLD = 1 << 20

# Less work (2 MiB: 16 blocks of 128 KiB) runs on the calling thread alone: handing blocks
# to a second thread cost more than it saved (tanh(a + b), float64, quiet machine, blocks
# of 128 KiB: 2 blocks 78 µs on one thread, 164 on two; 8 blocks 281 / 297; 16 blocks
# 675 / 602; 64 blocks 2.25 / 1.80 ms).
THREADS_FROM_BLOCKS = max(2, (16 << 17) // BLOCK_BYTES)

# Blocks a thread takes at a time: enough to make the call and its scratch buffers
# cheap (~2 µs against ~1 ms of work), few enough that a thread whose core is busy
# with another process leaves its share to the others.
SHARE_BLOCKS = 8

# NumPy runs these binary ufuncs on SIMD only when every operand is contiguous: a
# broadcast operand (a scalar, stride 0) sends the whole call to scalar libm code.
# Measured on 10^4 float64: power 77 µs with a broadcast base, 23 µs with the base
# copied out to a contiguous block first (arctan2: 66 against 23).
CONTIGUOUS_ONLY = frozenset({np.power, np.arctan2})


def per_dtype(table, dtype):
    """`table`'s entry for `dtype`, or float64's scaled to the same bytes."""
    dtype = np.dtype(dtype)
    if dtype.name in table:
        return table[dtype.name]
    return max(1, table['float64'] * 8 // dtype.itemsize)


class BlockedKernel:
    """Evaluate a Composite in blocks; `inplace` is the input its one output overwrites."""

    __name__ = 'fused'  # how generated code names it (`k_fused`)

    def __init__(self, composite, inplace=None):
        self.composite, self.inplace = composite, inplace
        self.nin = composite.nin
        dtypes = [np.dtype(d) for d in composite.in_dtypes]
        self.calls = []
        for op, args, dtype in composite.steps:
            self.calls.append(_step_call(op, [dtypes[a] for a in args], dtype))
            dtypes.append(np.dtype(dtype))
        self.dtypes = dtypes
        self.out_dtypes = [dtypes[o] for o in composite.outputs]
        widest = max(dtypes, key=lambda d: d.itemsize)
        self.block, self.threshold = per_dtype(BLOCK, widest), per_dtype(THRESHOLD, widest)
        if len(composite.steps) == 1 and self.calls[0][1] == 'ufunc':
            # One ufunc call has no temporary to keep in cache, and on a quiet machine
            # the threads never paid for their blocks: exp/tanh/log from 65,536 to 4e6
            # elements took 1.1-2.0x (float64) and 1.2-4.4x (float32) the whole-array
            # call's time.  So a lone ufunc stays one call at every size.
            self.threshold = math.inf
        elif len(composite.steps) == 1:
            # A lone sigmoid or softplus: a few SIMD passes in place over the output, no
            # temporary either; the threads paid only from 2^20 elements (blocked / plain
            # wall, quiet machine: float64 2^16 2.26, 2^18 1.13, 2^20 0.99, 2^23 0.68;
            # float32 2.93, 1.58, 0.77, 0.79).
            self.threshold = LONE_STEP_THRESHOLD
        self.slots, self.buffers = self._assign_buffers()
        self._loops = {}  # which inputs are scalars -> the generated block loop

    def _assign_buffers(self):
        """A scratch buffer for each step that is not an output, reused once its value is
        dead: {value: (dtype, index)}, and the number of buffers of each dtype."""
        steps, outputs = self.composite.steps, set(self.composite.outputs)
        last_read = {a: k for k, (_, args, _) in enumerate(steps) for a in args}
        values = [(k, self.nin + k) for k in range(len(steps)) if self.nin + k not in outputs]
        return reuse_buffers(values, last_read, self.dtypes.__getitem__)

    # -- calling -------------------------------------------------------------------
    def __call__(self, *inputs):
        """The output (a tuple of them when there are several) of `inputs` as broadcast."""
        outs = self.evaluate(_broadcast_shape(inputs), inputs)
        return outs[0] if len(outs) == 1 else outs

    def evaluate(self, shape, inputs):
        """The outputs of `inputs` (broadcast to `shape`): new C-contiguous arrays, or
        the in-place input itself where it can take the result."""
        operands, flat = self._operands(inputs, shape)
        outs = self._outputs(inputs, shape)
        if flat and all(o.flags.c_contiguous for o in outs):
            operands = [v.reshape(-1) if v.ndim else v for v in operands]
            targets = [o.reshape(-1) for o in outs]
        else:
            operands = [np.broadcast_to(v, shape) if v.ndim else v for v in operands]
            targets = outs
        self._run(operands, targets)
        return tuple(outs)

    def _operands(self, inputs, shape):
        """Each input as an array of its dtype (0-d when it has one element), and
        whether every one is 0-d or a C-contiguous array of `shape` (the flat layout)."""
        operands, flat = [], True
        for a, dtype in zip(inputs, self.dtypes[:self.nin]):
            if a.__class__ is not np.ndarray or a.dtype != dtype:
                a = np.asarray(a, dtype=dtype)
            if a.size == 1:
                # A broadcast scalar as 0-d: the others may still take the flat path,
                # without a broadcast view per operand (each costs several µs).
                a = a.reshape(()) if a.ndim else a
            elif a.shape != shape or not a.flags.c_contiguous:
                flat = False
            operands.append(a)
        return operands, flat

    def _outputs(self, inputs, shape):
        if self.inplace is not None:
            target = inputs[self.inplace]
            if isinstance(target, np.ndarray) and target.shape == shape and target.flags.writeable:
                return [target]
        return [np.empty(shape, dtype=d) for d in self.out_dtypes]

    def _run(self, operands, targets):
        """Split the blocks (of rows: the flat layout has one element a row) among threads."""
        n, row = targets[0].shape[0], targets[0].shape[1:]
        if targets[0].size == 0:
            return
        loop = self._loop(tuple(v.ndim == 0 for v in operands))
        step = max(1, min(self.block // max(1, math.prod(row)), n))  # rows per block
        blocks = -(-n // step)
        if targets[0].size < self.threshold or blocks < THREADS_FROM_BLOCKS:
            _quiet(loop, 0, n, step, (step,) + row, *targets, *operands)
            return
        threads = n_threads()
        per = step * min(SHARE_BLOCKS, -(-blocks // threads))
        run_split(_quiet, [(loop, s, min(s + per, n), step, (step,) + row, *targets, *operands)
                           for s in range(0, n, per)], threads)

    def _loop(self, scalars):
        loop = self._loops.get(scalars)
        if loop is None:
            source, env = self.block_source(scalars)
            exec_with_source(source, f'blocked {self.composite}', env)
            loop = self._loops[scalars] = env['run_range']
        return loop

    @property
    def __tracegraph_source__(self):
        """The block loop as `f.source` shows it (every input an array)."""
        return self.block_source((False,) * self.nin)[0]

    # -- the generated loop ----------------------------------------------------------
    def block_source(self, scalars):
        """Python source of the loop over the blocks of rows [start, stop) (a flat array's
        rows are its elements): one ufunc call per step, into scratch or the output."""
        outputs = self.composite.outputs
        ins, outs = [f'i{k}' for k in range(self.nin)], [f'o{j}' for j in range(len(outputs))]
        env = {'empty': np.empty, 'dense': _dense}
        lines = [f'def run_range(start, stop, step, shape, {", ".join(outs + ins)}):']
        buffers = {(d, k): f'{d.name}_{k}' for d, n in self.buffers.items() for k in range(n)}
        env.update({d.name: d for d in self.buffers})
        lines += [f'    s_{name} = empty(shape, dtype={d.name})' for (d, _), name in buffers.items()]
        spare = [k for k, (fn, how) in enumerate(self.calls) if fn in CONTIGUOUS_ONLY]
        lines += [f'    c{k} = [None] * {len(self.composite.steps[k][1])}' for k in spare]
        lines += ['    for b0 in range(start, stop, step):',
                  '        b1 = min(b0 + step, stop)',
                  '        full = b1 - b0 == step']
        names = [i if scalar else f'a{k}' for k, (i, scalar) in enumerate(zip(ins, scalars))]
        lines += [f'        a{k} = i{k}[b0:b1]' for k, scalar in enumerate(scalars) if not scalar]
        lines += [f'        r{j} = o{j}[b0:b1]' for j in range(len(outputs))]
        lines += [f'        v_{b} = s_{b} if full else s_{b}[:b1 - b0]' for b in buffers.values()]
        for k, ((fn, how), (_, args, _)) in enumerate(zip(self.calls, self.composite.steps)):
            value = self.nin + k
            env[f'w{k}'] = fn
            target = f'r{outputs.index(value)}' if value in outputs else f'v_{buffers[self.slots[value]]}'
            operands = ', '.join(names[a] for a in args)
            if k in spare:
                operands = f'*dense(c{k}, ({operands},), {target})'
            if how == 'ufunc':
                lines.append(f'        w{k}({operands}, out={target})')
            elif how == 'into':
                lines.append(f'        w{k}({operands}, {target})')
            else:
                lines.append(f'        {target}[...] = w{k}({operands})')
            names.append(target)
        # Inputs passed through, and a value returned twice, are copied into their outputs.
        lines += [f'        r{j}[...] = {names[o]}' for j, o in enumerate(outputs)
                  if o < self.nin or outputs.index(o) != j]
        return '\n'.join(lines) + '\n', env


def reuse_buffers(values, last_read, dtype_of):
    """Scratch buffers for `values`, (when, value) pairs in the order the values are
    computed, each buffer reused once its value is dead: {value: (dtype, index among that
    dtype's buffers)}, and the number of buffers of each dtype.  A value is dead once its
    last reader (`last_read`, in the same terms as `when`) has run, so that reader may
    write its own value over it: each step here, and each loop of Numba's chunked
    kernels, reads its arguments before it writes."""
    place, counts, free, dying = {}, {}, {}, []   # dying: a heap of (last read, value)
    for when, v in values:
        while dying and dying[0][0] <= when:
            u = heapq.heappop(dying)[1]
            free[place[u][0]].append(place[u][1])
        dtype = dtype_of(v)
        pool = free.setdefault(dtype, [])
        place[v] = (dtype, pool.pop() if pool else counts.get(dtype, 0))
        counts[dtype] = max(counts.get(dtype, 0), place[v][1] + 1)
        heapq.heappush(dying, (last_read.get(v, when), v))
    return place, counts


def _broadcast_shape(inputs):
    """The inputs' broadcast shape; without np.broadcast_shapes (~2 µs of a ~6 µs call)
    when the arrays share one shape and the others are 0-d, the usual case."""
    shapes = {np.shape(a) for a in inputs}
    shapes.discard(())
    if len(shapes) == 1:
        return shapes.pop()
    return np.broadcast_shapes(*shapes) if shapes else ()


def _step_call(scalar_op, in_dtypes, dtype):
    """(function, how) for one step: how is 'ufunc' (writes with out=), 'into' (takes
    the output as its last argument) or 'assign' (returns values to copy)."""
    into = INTO.get(getattr(scalar_op, 'name', None))
    if into is not None and np.dtype(dtype).kind == 'f':
        return into, 'into'
    kernel = cached_kernel(scalar_op, in_dtypes, dtype)
    return kernel, 'ufunc' if isinstance(kernel, np.ufunc) else 'assign'


def _dense(spare, ins, out):
    """`ins` with each broadcast operand copied out to a contiguous block shaped as `out`.

    Only when some operand is already a full contiguous block: if every operand
    is broadcast, so is the result, and copying would not pay."""
    full = [x.shape == out.shape and x.flags.c_contiguous for x in ins]
    if all(full) or not any(full):
        return ins
    dense = list(ins)
    for j, x in enumerate(ins):
        if not full[j]:
            if spare[j] is None:
                spare[j] = np.empty(out.shape, dtype=x.dtype)
            dense[j] = spare[j][:out.shape[0]]     # the last block may be shorter
            np.copyto(dense[j], x)
    return dense


def _quiet(loop, *args):
    # Overflow in exp is part of the math here (1 / (1 + inf) is the right 0).
    with np.errstate(all='ignore'):
        loop(*args)


# -- the Numba backend's entry ---------------------------------------------------------
def evaluate(spec, shape, *args):
    """The outputs (new C-contiguous arrays of `shape`) of the fused steps `spec` of `args`.

    `spec` is the Composite as literal data, which a generated module can hold as a
    constant: `(in_dtypes, ((op name, cast dtype or None, args, dtype), ...), outputs)`.
    """
    return kernel_of_spec(spec).evaluate(tuple(shape), args)


# A module's SPEC is one object passed on every call: found by its identity, since
# hashing a tuple of 512 steps again each call took 12-22 µs (5% of a 1,000-link chain).
_BY_IDENTITY = {}   # id(spec) -> (spec, kernel); holding spec keeps its id unique


def kernel_of_spec(spec):
    found = _BY_IDENTITY.get(id(spec))
    if found is None or found[0] is not spec:
        if len(_BY_IDENTITY) > 1024:
            _BY_IDENTITY.clear()
        found = _BY_IDENTITY[id(spec)] = (spec, _kernel_of_equal_spec(spec))
    return found[1]


@functools.lru_cache(maxsize=256)
def _kernel_of_equal_spec(spec):
    in_dtypes, steps, outputs = spec
    ops = [(cast_op(cast) if name == 'cast' else SCALAR_OPS[name], tuple(args), dtype)
           for name, cast, args, dtype in steps]
    return BlockedKernel(Composite(tuple(in_dtypes), tuple(ops), tuple(outputs)))
