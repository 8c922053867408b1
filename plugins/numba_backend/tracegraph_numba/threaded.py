"""Large chunked elementwise work on every core (elemwise.py's large-work path).

A chunked kernel (chunked.py) keeps its chunks in L1 but runs on one thread; the blocked
evaluator's threads make a ufunc pass per step over L2-sized blocks.  Here the chunked
loop nest runs on row ranges of the output on every thread, into outputs NumPy allocates
(with huge pages; Numba's allocator has none): `(x*y + 2*x - exp(-y)) * tanh(x)` on 10^7
float64 took 27 ms (52 of CPU), blocked 46 (84), one chunked thread 69.  Short rows
and fewer rows than two a thread stay blocked (`spec`).
"""
from __future__ import annotations

import functools

import numpy as np

from tracegraph.kernels.blocked import evaluate as blocked_evaluate
from tracegraph.kernels.threads import n_threads, run_split

from . import cache
from .kernel_call import dispatcher

SHARES_PER_THREAD = 8   # taken on demand: a thread slowed by another process does less


@functools.lru_cache(maxsize=None)
def _compiled(source):
    """The row-range kernel (`nogil`), compiled at the first call that needs it."""
    cache.ensure_file(source)
    return dispatcher(cache.key_of(source))


def large_elemwise(spec, rows_source, inplace, short_rows, lengths, *inputs):
    """The node's outputs: `rows_source`'s kernel on row ranges on every core, or blocked.
    `inplace`: {output: the input it overwrites}, as the graph's kernel does."""
    n, threads = lengths[0], n_threads()
    if short_rows or n < 2 * threads:
        return blocked_evaluate(spec, lengths, *inputs)
    kernel = _compiled(rows_source)
    in_dtypes, steps, outputs = spec
    dtypes = list(in_dtypes) + [step[-1] for step in steps]
    outs = [inputs[inplace[j]] if j in inplace else np.empty(lengths, dtype=dtypes[k])
            for j, k in enumerate(outputs)]
    # Scalars as the node's dtypes (typed as the graph's kernel types them).
    inputs = [a if isinstance(a, np.ndarray) else np.dtype(d).type(a) for a, d in zip(inputs, in_dtypes)]
    per = max(1, -(-n // (threads * SHARES_PER_THREAD)))

    def run_rows(lo, hi):
        kernel(hi - lo, *lengths[1:], *[a[lo:hi] if a.ndim and a.shape[0] == n else a for a in inputs],
               *[o[lo:hi] for o in outs])
    run_split(run_rows, [(lo, min(lo + per, n)) for lo in range(0, n, per)], threads)
    return tuple(outs)
