"""Sorting, searching and counting ops (tracegraph.tensor.sort / extra_ops) compiled
with Numba instead of called back through objmode.

Numba's own np.sort, np.argsort, np.searchsorted, np.nonzero and np.repeat work on
flat arrays; an op along one axis of an n-d array runs them row by row on a
contiguous copy with that axis last (or first, for repeat).  np.unique's optional
outputs (index, inverse, counts) come from one stable argsort.  Ops not listed here
(ravel/unravel index, the run-time checks) keep their objmode `perform` path.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from tracegraph.tensor.extra_ops import Nonzero, Repeat, SearchSorted, Unique
from tracegraph.tensor.sort import ArgSortOp, SortOp

from . import callbacks
from .lowered import kernel, kernel_call, params

JIT = dict(cache=True, error_model='numpy')
PREAMBLE = ('from tracegraph_numba.extra_ops import (argsort_rows, repeat_rows, sort_rows,  # noqa: F401\n'
            '                                        unique_parts)\n')
KINDS = {'quicksort': 'quicksort', 'stable': 'mergesort', 'mergesort': 'mergesort', 'heapsort': 'quicksort'}


@njit(**JIT)
def sort_rows(rows):
    out = np.empty_like(rows)
    for i in range(rows.shape[0]):
        out[i] = np.sort(rows[i])
    return out


@njit(**JIT)
def argsort_rows(rows, stable):
    out = np.empty(rows.shape, dtype=np.int64)
    for i in range(rows.shape[0]):
        if stable:
            out[i] = np.argsort(rows[i], kind='mergesort')
        else:
            out[i] = np.argsort(rows[i])
    return out


@njit(**JIT)
def repeat_rows(rows, counts):
    """rows (n, m) repeated counts[i] times each, as (sum(counts), m)."""
    total = 0
    for i in range(counts.shape[0]):
        if counts[i] < 0:
            raise ValueError('repeat: negative repeats')
        total += counts[i]
    out = np.empty((total, rows.shape[1]), dtype=rows.dtype)
    k = 0
    for i in range(rows.shape[0]):
        for _ in range(counts[i]):
            out[k] = rows[i]
            k += 1
    return out


@njit(**JIT)
def unique_parts(flat):
    """np.unique(flat, True, True, True) of a 1-d array."""
    order = np.argsort(flat, kind='mergesort')
    n = flat.shape[0]
    is_first = np.ones(n, dtype=np.bool_)
    for k in range(1, n):
        is_first[k] = flat[order[k]] != flat[order[k - 1]]
    m = int(is_first.sum())
    values = np.empty(m, dtype=flat.dtype)
    index = np.empty(m, dtype=np.int64)
    counts = np.zeros(m, dtype=np.int64)
    inverse = np.empty(n, dtype=np.int64)
    j = -1
    for k in range(n):
        if is_first[k]:
            j += 1
            values[j] = flat[order[k]]
            index[j] = order[k]
        counts[j] += 1
        inverse[order[k]] = j
    return values, index, inverse, counts


def _axis_last(ndim, axis):
    perm = [k for k in range(ndim) if k != axis] + [axis]
    inverse = [perm.index(k) for k in range(ndim)]
    return tuple(perm), tuple(inverse)


def _rowwise(node, call):
    """A kernel applying `call` ('sort_rows(b2)'...) along the op's axis of input 0."""
    x, axis = node.inputs[0], node.op.axis
    if x.ndim == 1:
        body = ['b2 = np.ascontiguousarray(a0).reshape((1, a0.shape[0]))',
                f'return {call}.reshape(a0.shape),']
    else:
        perm, inverse = _axis_last(x.ndim, axis)
        body = [f'b = np.ascontiguousarray(a0.transpose({perm}))',
                'b2 = b.reshape((-1, b.shape[-1]))',
                f'return np.ascontiguousarray({call}.reshape(b.shape).transpose({inverse})),']
    return kernel_call(node, kernel(['a0'], body, PREAMBLE))


def lower_sort(node):
    return _rowwise(node, 'sort_rows(b2)')


def lower_argsort(node):
    stable = KINDS.get(node.op.kind) == 'mergesort'
    return _rowwise(node, f'argsort_rows(b2, {stable})')


def lower_searchsorted(node):
    side = node.op.side
    sorted_ = 'a0[a2]' if len(node.inputs) == 3 else 'a0'
    v = node.inputs[1]
    query = 'np.array([a1])' if v.ndim == 0 else 'np.ascontiguousarray(a1).ravel()'
    shape = '()' if v.ndim == 0 else 'a1.shape'
    found = f"np.searchsorted({sorted_}, {query}, side='{side}').astype(np.int64)"
    result = f'{found}[0]' if v.ndim == 0 else f'{found}.reshape({shape})'
    return kernel_call(node, kernel(params(node), [f'return {result},'], PREAMBLE))


def lower_nonzero(node):
    ndim = node.inputs[0].ndim
    body = ['found = np.nonzero(a0)',
            'out = np.empty((%d, found[0].shape[0]), dtype=np.int64)' % ndim]
    body += [f'out[{k}] = found[{k}]' for k in range(ndim)] + ['return out,']
    return kernel_call(node, kernel(['a0'], body, PREAMBLE))


def lower_repeat(node):
    x, repeats = node.inputs
    perm = (node.op.axis,) + tuple(k for k in range(x.ndim) if k != node.op.axis)
    inverse = tuple(perm.index(k) for k in range(x.ndim))
    counts = ('np.full(b.shape[0], np.int64(a1))' if repeats.ndim == 0 else 'a1.astype(np.int64)')
    rest = ''.join(f', b.shape[{k}]' for k in range(1, x.ndim))
    body = [f'b = np.ascontiguousarray(a0.transpose({perm}))',
            f'counts = {counts}',
            'if counts.shape[0] != b.shape[0]:',
            "    raise ValueError('repeat: repeats and the axis differ in length')",
            'rows = repeat_rows(b.reshape((b.shape[0], -1)), counts)',
            f'return np.ascontiguousarray(rows.reshape((rows.shape[0]{rest})).transpose({inverse})),']
    return kernel_call(node, kernel(['a0', 'a1'], body, PREAMBLE))


def lower_unique(node):
    op = node.op
    if op.axis is not None and node.inputs[0].ndim > 1:
        return callbacks.lower_perform(node)  # np.unique over an axis: NumPy through objmode
    wanted = ['values'] + [name for name, flag in (('index', op.return_index), ('inverse', op.return_inverse),
                                                   ('counts', op.return_counts)) if flag]
    body = ['values, index, inverse, counts = unique_parts(np.ascontiguousarray(a0).ravel())',
            f'return {", ".join(wanted)},']
    return kernel_call(node, kernel(['a0'], body, PREAMBLE))


def register(lowers):
    lowers(SortOp)(lower_sort)
    lowers(ArgSortOp)(lower_argsort)
    lowers(SearchSorted)(lower_searchsorted)
    lowers(Nonzero)(lower_nonzero)
    lowers(Repeat)(lower_repeat)
    lowers(Unique)(lower_unique)
