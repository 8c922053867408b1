"""Sorting, searching and counting ops (tracegraph.tensor.sort / extra_ops): HostOps,
whose NumPy meaning `compute` runs through `numba.objmode` (callbacks.lower_host).

Two are compiled: np.searchsorted in Numba ran level with NumPy on 10^5 elements and
at 0.4-0.8x its time on 10, where the objmode crossing would cost more than the op;
nonzero is a count, then a loop writing every position and advancing past hits, as
NumPy's does (Numba's np.nonzero branches on each element: 4.4x NumPy's time on 10^5
elements half of them nonzero).
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
    body = ['flat = np.ascontiguousarray(a0).ravel()', 'n = 0',
            'for i in range(flat.shape[0]):', '    n += flat[i] != 0',
            'hits = np.empty(n + 1, dtype=np.int64)   # one more: the write after the last hit',
            'j = 0', 'for i in range(flat.shape[0]):', '    hits[j] = i', '    j += flat[i] != 0']
    if ndim == 1:
        return kernel_call(node, kernel(['a0'], body + ['return hits[:n].reshape((1, n)),']))
    body += [f'out = np.empty(({ndim}, n), dtype=np.int64)', 'for k in range(n):', '    q = hits[k]']
    for d in range(ndim - 1, 0, -1):
        body += [f'    out[{d}, k] = q % a0.shape[{d}]', f'    q //= a0.shape[{d}]']
    return kernel_call(node, kernel(['a0'], body + ['    out[0, k] = q', 'return out,']))


def register(lowers):
    lowers(HostOp)(callbacks.lower_host)
    lowers(SearchSorted)(lower_searchsorted)
    lowers(Nonzero)(lower_nonzero)
