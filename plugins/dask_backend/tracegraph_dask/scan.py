"""Scan on the Dask backend: the loop runs chunk by chunk of its sequences, in order.

The steps of a loop depend on each other, so this is sequential by nature: the
sequences are cut along their leading axis (into the first sequence's chunks), and
chunk c is one task that runs the NumPy backend's compiled loop over its rows,
starting from the states and finals that chunk c - 1 ended with.  Only one chunk of
the sequences is in memory at a time; the outputs come back chunked the same way.

Loops that cannot be cut (no chunked sequence, an `until` condition, outputs or
finals whose shape is not known in advance) run as the NumPy backend's whole loop
on computed inputs, where the function is called.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import dask
import dask.array as da
import numpy as np

from tracegraph.tensor.type import TensorType
from tracegraph_numpy.scan import scan_kernel

from .chunkwise import computed, concrete, is_lazy, known_shape
from .lowering import Lowering


def lower_scan(node):
    """The Lowering of a Scan node (what `tracegraph_lower_scan` answers)."""
    return Lowering(node, _scan_rule, eager=False)


def _scan_rule(node, options):
    op = node.op
    whole = scan_kernel(op)
    chunked = _ChunkedLoop(op) if _cuttable(node) else None

    def scan(n_steps, *outer):
        steps = int(concrete(n_steps))
        if chunked is not None:
            plan = chunked.plan(steps, outer)
            if plan is not None:
                return chunked.run(plan, outer)
        return whole(steps, *computed(outer))
    return scan


def _cuttable(node):
    op = node.op
    if op.as_while or op.n_seqs == 0:
        return False
    nit_outputs = op.inner.outputs[op.n_states:op.n_states + op.n_nit]
    rows_known = all(None not in v.type.shape for v in nit_outputs)
    finals = node.inputs[op.outer_slices()[2]]
    return rows_known and all(isinstance(v.type, TensorType) for v in finals)


@dataclass(frozen=True)
class _Plan:
    steps: int
    bounds: tuple  # (start, stop) of each chunk of steps


class _ChunkedLoop:
    def __init__(self, op):
        self.op = op
        # Each chunk must hand the next one the last L rows of every state, so chunk
        # loops keep at least that many even where the whole loop keeps fewer.
        windows = op.windows
        keep = list(op.keep)
        for i, window in enumerate(windows):
            if keep[i] is not None:
                keep[i] = max(keep[i], window)
        self.chunk_op = op.with_changes(keep=tuple(keep))
        self.kernel = scan_kernel(self.chunk_op)

    def plan(self, steps, outer):
        seqs = outer[:self.op.n_seqs]
        first = seqs[0]
        lengths = [len(known_shape(s)) for s in seqs]
        if not is_lazy(first) or any(math.isnan(n) or n < steps for n in lengths):
            return None  # the whole loop reports a short sequence with NumPy's message
        sizes = [n for n in _leading_chunks(first, steps) if n]
        if len(sizes) <= 1:
            return None
        starts = np.cumsum([0] + sizes)
        return _Plan(steps, tuple(zip(starts[:-1].tolist(), starts[1:].tolist())))

    def run(self, plan, outer):
        op = self.op
        # outer_slices() count n_steps, which `outer` does not hold.
        seqs_sl, states_sl, finals_sl, non_sl = (slice(s.start - 1, s.stop - 1)
                                                 for s in op.outer_slices())
        seqs, initial = list(outer[seqs_sl]), list(outer[states_sl])
        finals, non_seqs = list(outer[finals_sl]), list(outer[non_sl])
        rows_of = [tuple(init.shape[1:]) for init in initial] + \
                  [v.type.shape for v in op.inner.outputs[op.n_states:op.n_states + op.n_nit]]
        inits = [init[:w] for init, w in zip(initial, op.windows)]
        pieces = [[] for _ in range(op.n_states + op.n_nit)]
        for start, stop in plan.bounds:
            rows = [s[start:stop] for s in seqs]
            result = dask.delayed(_run_chunk, pure=False)(self.kernel, stop - start, rows, inits,
                                                        finals, non_seqs)
            for k in range(op.n_states + op.n_nit):
                pieces[k].append(self._piece(result[k], k, stop - start, rows_of[k]))
            inits = [dask.delayed(_next_window, pure=False)(init, result[i], w)
                     for i, (init, w) in enumerate(zip(inits, op.windows))]
            finals = [result[op.n_states + op.n_nit + m] for m in range(op.n_finals)]
        outs = [self._joined(k, parts) for k, parts in enumerate(pieces)]
        outs += [da.from_delayed(f, shape=np.shape(concrete(v)) if not is_lazy(v) else v.shape,
                                 dtype=v.dtype)
                 for f, v in zip(finals, outer[finals_sl])]
        return outs[0] if len(outs) == 1 else tuple(outs)

    def _piece(self, written, k, n_rows, row_shape):
        keep = self.chunk_op.keep[k]
        rows = n_rows if keep is None else min(keep, n_rows)
        dtype = self.op.inner.outputs[k].type.dtype
        return da.from_delayed(written, shape=(rows,) + tuple(row_shape), dtype=dtype)

    def _joined(self, k, parts):
        out = da.concatenate(parts, axis=0)
        keep = self.op.keep[k]
        return out if keep is None else out[max(0, out.shape[0] - keep):]


def _leading_chunks(x, steps):
    return x[:steps].chunks[0]


def _run_chunk(kernel, n_rows, rows, inits, finals, non_seqs):
    result = kernel(n_rows, *rows, *inits, *finals, *non_seqs)
    return result if isinstance(result, tuple) else (result,)


def _next_window(init, written, window):
    """The last `window` rows of a state's history, after a chunk wrote `written`."""
    return np.concatenate([init, written])[len(init) + len(written) - window:]
