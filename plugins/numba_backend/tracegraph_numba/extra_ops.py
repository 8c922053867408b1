"""Sorting, searching and counting ops (tracegraph.tensor.sort / extra_ops): HostOps,
whose NumPy meaning `compute` runs through `numba.objmode` (callbacks.lower_host).

Two are compiled: np.searchsorted and np.nonzero in Numba ran level with NumPy on
10^5 elements and at 0.4-0.8x its time on 10, where the objmode crossing would cost
more than the op.
"""
from __future__ import annotations

from tracegraph.tensor.extra_ops import Nonzero, SearchSorted
from tracegraph.tensor.host_op import HostOp

from . import callbacks
from .lowered import kernel, kernel_call, params


def lower_searchsorted(node):
    side = node.op.side
    sorted_ = 'a0[a2]' if len(node.inputs) == 3 else 'a0'
    v = node.inputs[1]
    query = 'np.array([a1])' if v.ndim == 0 else 'np.ascontiguousarray(a1).ravel()'
    shape = '()' if v.ndim == 0 else 'a1.shape'
    found = f"np.searchsorted({sorted_}, {query}, side='{side}').astype(np.int64)"
    result = f'{found}[0]' if v.ndim == 0 else f'{found}.reshape({shape})'
    return kernel_call(node, kernel(params(node), [f'return {result},']))


def lower_nonzero(node):
    ndim = node.inputs[0].ndim
    body = ['found = np.nonzero(a0)',
            'out = np.empty((%d, found[0].shape[0]), dtype=np.int64)' % ndim]
    body += [f'out[{k}] = found[{k}]' for k in range(ndim)] + ['return out,']
    return kernel_call(node, kernel(['a0'], body))


def register(lowers):
    lowers(HostOp)(callbacks.lower_host)
    lowers(SearchSorted)(lower_searchsorted)
    lowers(Nonzero)(lower_nonzero)
