"""Large transcendental-heavy elementwise work, evaluated as NumPy ufuncs in blocks.

Numba's exp/tanh/log are scalar libm calls on this kind of machine (no SVML), while
NumPy's ufuncs are SIMD: on 10^7 float64 a fused Numba loop ran 1.2-1.9x slower
than eager NumPy.  Evaluating the same fused steps ufunc by ufunc over blocks of
`BLOCK` elements keeps every temporary in cache, and one thread per core (ufuncs
release the GIL) splits the blocks.  The compiled function calls `evaluate`
through `numba.objmode` for nodes above `elemwise.BLOCKED_MIN_SIZE` elements.

A step is `(name, cast_dtype, args, dtype)`, the scalar op by name from
`tracegraph.tensor.scalar.SCALAR_OPS` (or a cast), exactly as the graph fused it.
"""
from __future__ import annotations

import functools
import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from tracegraph.tensor.scalar import SCALAR_OPS, Builder, cast_op

from .scalar_source import EXPRESSIONS

BLOCK = 1 << 15   # 256 KiB of float64 per temporary: fits in L2 with room to spare

# NumPy runs these binary ufuncs on SIMD only when every operand is contiguous: a
# broadcast operand (a scalar, stride 0) sends the whole call to scalar libm code.
# Measured on 10^4 float64: power 77 µs with a broadcast base, 23 µs with the base
# copied out to a contiguous block first (arctan2: 66 against 23).
CONTIGUOUS_ONLY = frozenset({np.power, np.arctan2})


def _sigmoid(x, out):
    # 1 / (1 + exp(-x)) is accurate everywhere (an overflowing exp gives the right 0)
    # and runs on NumPy's SIMD exp, where scipy's expit is scalar code.
    np.negative(x, out=out)
    np.exp(out, out=out)
    np.add(out, 1, out=out)
    np.reciprocal(out, out=out)
    return out


def _softplus(x, out):
    return np.logaddexp(0, x, out=out)


def _log1mexp(x, out):
    with np.errstate(divide='ignore', invalid='ignore'):
        out[...] = np.where(x > -0.6931471805599453, np.log(-np.expm1(x)), np.log1p(-np.exp(x)))
    return out


def _round_away(x, out):
    t = np.trunc(x)
    out[...] = np.where(np.abs(x - t) == 0.5, t + np.sign(x), np.rint(x))
    return out


def _switch(c, a, b, out):
    out[...] = np.where(c, a, b)
    return out


def _second(a, b, out):
    out[...] = b
    return out


def _identity(a, out):
    out[...] = a
    return out


# SciPy's ufunc (by name) for the ops the Numba loop spells through scipy's C code.
SCIPY = {'erf': 'erf', 'erfc': 'erfc', 'erfinv': 'erfinv', 'gammaln': 'gammaln', 'psi': 'psi',
         'gamma': 'gamma', 'gammainc': 'gammainc', 'gammaincc': 'gammaincc', 'erfcinv': 'erfcinv',
         'erfcx': 'erfcx', 'j0': 'j0', 'j1': 'j1', 'i0': 'i0', 'i1': 'i1', 'xlogy0': 'xlogy'}


def special(name):
    """A scalar op's SciPy ufunc, imported on first use (about 0.15 s)."""
    import scipy.special
    if name == 'tri_gamma':
        return lambda x, out: scipy.special.zeta(2.0, x, out=out)
    return getattr(scipy.special, SCIPY[name])


UFUNCS = {
    'add': np.add, 'sub': np.subtract, 'mul': np.multiply, 'true_div': np.true_divide,
    'int_div': np.floor_divide, 'mod': np.mod, 'pow': np.power, 'neg': np.negative,
    'abs': np.abs, 'sgn': np.sign, 'sqr': np.square, 'maximum': np.maximum, 'minimum': np.minimum,
    'clip': np.clip, 'sqrt': np.sqrt, 'exp': np.exp, 'exp2': np.exp2, 'expm1': np.expm1,
    'log': np.log, 'log2': np.log2, 'log10': np.log10, 'log1p': np.log1p, 'sin': np.sin,
    'cos': np.cos, 'tan': np.tan, 'arcsin': np.arcsin, 'arccos': np.arccos, 'arctan': np.arctan,
    'arctan2': np.arctan2, 'sinh': np.sinh, 'cosh': np.cosh, 'tanh': np.tanh,
    'arcsinh': np.arcsinh, 'arccosh': np.arccosh, 'arctanh': np.arctanh,
    'sigmoid': _sigmoid,
    'softplus': _softplus, 'log1mexp': _log1mexp, 'floor': np.floor, 'ceil': np.ceil,
    'trunc': np.trunc, 'round_half_to_even': np.rint, 'round_half_away_from_zero': _round_away,
    'eq': np.equal, 'neq': np.not_equal, 'lt': np.less, 'le': np.less_equal,
    'gt': np.greater, 'ge': np.greater_equal, 'and_': np.bitwise_and, 'or_': np.bitwise_or,
    'xor': np.bitwise_xor, 'invert': np.invert, 'isnan': np.isnan, 'isinf': np.isinf,
    'switch': _switch, 'second': _second, 'identity': _identity,
}


def kernel_of(name):
    """The array function for one step: a ufunc, SciPy's, or the record's decomposition."""
    if name in UFUNCS:
        return UFUNCS[name]
    if name in SCIPY or name == 'tri_gamma':
        return special(name)
    return _decomposed(SCALAR_OPS[name])


def _decomposed(op):
    def apply(step, args):
        dtypes = [np.asarray(a).dtype for a in args]
        out = np.empty(np.broadcast_shapes(*(np.shape(a) for a in args)), step.output_dtype(dtypes))
        common = step.input_dtype(dtypes)
        if common is not None:
            args = [np.asarray(a, dtype=common) for a in args]
        kernel = kernel_of(step.name)
        if isinstance(kernel, np.ufunc):
            return kernel(*args, out=out, casting='unsafe')
        return kernel(*args, out=out)

    def const(value, like):
        dtype = np.asarray(like).dtype
        return np.asarray(value, dtype=dtype if dtype.kind in 'fc' else np.float64)

    def kernel(*args, out):
        out[...] = op.decompose(Builder(apply, const), *args)
        return out
    return kernel


def _check_coverage():
    """Every op the Numba loop spells has an array form here: a gap would fail only at
    run time, on arrays of BLOCKED_MIN_SIZE elements or more."""
    missing = sorted(set(EXPRESSIONS) - set(UFUNCS) - set(SCIPY) - {'tri_gamma'})
    if missing:
        raise ImportError(f'tracegraph_numba.blocked has no array function for {missing}')


_check_coverage()


@functools.lru_cache(maxsize=None)
def _pool():
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix='tracegraph-blocked')


@functools.lru_cache(maxsize=256)
def _program(spec):
    """Each step as (kernel, args, common dtype or None, dtype); the input and output dtypes."""
    in_dtypes, steps, outputs = spec
    dtypes = [np.dtype(d) for d in in_dtypes]
    program = []
    for name, cast_dtype, args, dtype in steps:
        op = cast_op(cast_dtype) if name == 'cast' else SCALAR_OPS[name]
        common = None if name == 'cast' else op.input_dtype([dtypes[a] for a in args])
        kernel = _identity if name == 'cast' else kernel_of(name)
        program.append((kernel, tuple(args), common, np.dtype(dtype)))
        dtypes.append(np.dtype(dtype))
    n_in = len(in_dtypes)
    return tuple(program), tuple(outputs), n_in, dtypes[:n_in], [dtypes[o] for o in outputs]


def evaluate(spec, shape, *args):
    """The outputs (new C-contiguous arrays of `shape`) of the fused steps `spec` of `args`."""
    program, outputs, n_in, in_dtypes, out_dtypes = _program(spec)
    results = [np.empty(shape, dtype=d) for d in out_dtypes]
    views = []
    flat = True
    for a, dtype in zip(args, in_dtypes):
        if not isinstance(a, np.ndarray) or a.dtype != dtype:
            a = np.asarray(a, dtype=dtype)
        if a.size == 1:
            # A broadcast scalar as 0-d: the others may still take the flat path,
            # without a broadcast view per operand (each costs several µs).
            a = a.reshape(())
        if a.ndim and (a.shape != tuple(shape) or not a.flags.c_contiguous):
            flat = False
        views.append(a)
    if flat:
        views = [v.reshape(-1) if v.ndim else v for v in views]
        targets = [r.reshape(-1) for r in results]
    else:
        views = [np.broadcast_to(v, shape) if v.ndim else v for v in views]
        targets = results
    n_rows = targets[0].shape[0]
    row_size = max(1, math.prod(targets[0].shape[1:]))
    rows = max(1, min(BLOCK // row_size, n_rows))   # scratch no larger than the work
    starts = list(range(0, n_rows, rows))
    if len(starts) <= 1:
        _run_blocks(program, outputs, n_in, views, targets, starts, rows)
        return tuple(results)
    workers = min(len(starts), _pool()._max_workers)
    share = -(-len(starts) // workers)
    chunks = [starts[k:k + share] for k in range(0, len(starts), share)]
    work = [(program, outputs, n_in, views, targets, chunk, rows) for chunk in chunks]
    list(_pool().map(lambda item: _run_blocks(*item), work))
    return tuple(results)


def _run_blocks(program, outputs, n_in, views, targets, starts, rows):
    with np.errstate(all='ignore'):
        _blocks(program, outputs, n_in, views, targets, starts, rows)


def _blocks(program, outputs, n_in, views, targets, starts, rows):
    scratch = {}
    for start in starts:
        stop = min(start + rows, targets[0].shape[0])
        values = [v[start:stop] if v.ndim else v for v in views]
        for k, (kernel, args, common, dtype) in enumerate(program):
            index = n_in + k
            if index in outputs:
                out = targets[outputs.index(index)][start:stop]
            else:
                buf = scratch.get(k)
                if buf is None:
                    buf = scratch[k] = np.empty((rows,) + targets[0].shape[1:], dtype=dtype)
                out = buf[:stop - start]
            ins = [values[a] for a in args]
            if common is not None:
                ins = [x if x.dtype == common else x.astype(common) for x in ins]
            if kernel in CONTIGUOUS_ONLY:
                ins = _contiguous(ins, out, scratch, k)
            if isinstance(kernel, np.ufunc):
                kernel(*ins, out=out, casting='unsafe')
            else:
                kernel(*ins, out=out)
            values.append(out)
        for j, o in enumerate(outputs):
            if o < n_in:
                targets[j][start:stop] = values[o]


def _contiguous(ins, out, scratch, step):
    """`ins` with each broadcast operand copied out to a contiguous block shaped as `out`.

    Only when some operand is already a full contiguous block: if every operand
    is broadcast, so is the result, and copying would not pay."""
    full = [x.shape == out.shape and x.flags.c_contiguous for x in ins]
    if all(full) or not any(full):
        return ins
    dense = list(ins)
    for j, x in enumerate(ins):
        if not full[j]:
            buf = scratch.get((step, j))
            if buf is None:
                buf = scratch[step, j] = np.empty(out.shape, dtype=x.dtype)
            dense[j] = buf[:out.shape[0]]     # the last block may be shorter
            np.copyto(dense[j], x)
    return dense
