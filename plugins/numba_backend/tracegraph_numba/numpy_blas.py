"""Matrix products on NumPy's own BLAS, called from compiled code by symbol.

Numba's np.dot calls SciPy's OpenBLAS, a second thread pool beside NumPy's: after a
NumPy product its threads still spin, and on 2 cores the pools starved each other
(500 x 500 float64 products alternating with NumPy's: 5.8 ms through SciPy's BLAS,
2.0 through NumPy's, 2.7 in NumPy); through objmode a call cost ~5 µs more.  NumPy's
wheels ship their OpenBLAS (numpy.libs/libscipy_openblas64_*, 64-bit integers); its
gemm gets a process-wide symbol, as ufunc_loops.py's loops do, so cached code holds no
address.  Where it is not found (NumPy built on a system BLAS, which SciPy then shares:
one pool), `FOUND` is False and products stay Numba's np.dot.
"""
from __future__ import annotations

import ctypes
import glob
import os

import numpy as np
from llvmlite import binding
from numba import njit, types
from numba.extending import overload

from .helpers import nb_huge_pages

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112


def _register():
    folder = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), 'numpy.libs')
    for path in sorted(glob.glob(os.path.join(folder, 'libscipy_openblas64_*'))):
        library = ctypes.CDLL(path)
        names = {kind: f'scipy_cblas_{kind}gemm64_' for kind in 'sd'}
        if all(hasattr(library, name) for name in names.values()):
            for kind, name in names.items():
                binding.add_symbol(f'tg_numpy_{kind}gemm', ctypes.cast(getattr(library, name), ctypes.c_void_p).value)
            return True
    return False


FOUND = _register()
_GEMM = {dtype: types.ExternalFunction(f'tg_numpy_{kind}gemm', types.void(
    *(types.int32,) * 3, *(types.int64,) * 3, dtype, types.uintp, types.int64, types.uintp, types.int64,
    dtype, types.uintp, types.int64)) for kind, dtype in (('s', types.float32), ('d', types.float64))}


def numpy_gemm(a, b):
    """a @ b for float32 or float64 matrices of one dtype (aligned: checked before)."""


@njit(cache=True)
def _layout(x):
    """How gemm reads x: C order as it is, Fortran order as the transpose of C."""
    return (NO_TRANS, max(x.shape[1], 1)) if x.flags.c_contiguous else (TRANS, max(x.shape[0], 1))


@overload(numpy_gemm)
def _numpy_gemm(a, b):
    gemm, dtype = _GEMM[a.dtype], a.dtype

    def product(a, b):
        if not (a.flags.c_contiguous or a.flags.f_contiguous):
            a = np.ascontiguousarray(a)
        if not (b.flags.c_contiguous or b.flags.f_contiguous):
            b = np.ascontiguousarray(b)
        (trans_a, lda), (trans_b, ldb) = _layout(a), _layout(b)
        m, k, n = a.shape[0], a.shape[1], b.shape[1]
        out = nb_huge_pages(np.empty((m, n), dtype=a.dtype))
        if k == 0:
            out.fill(0)
        elif m and n:
            gemm(np.int32(ROW_MAJOR), np.int32(trans_a), np.int32(trans_b), m, n, k, dtype(1), a.ctypes.data,
                 lda, b.ctypes.data, ldb, dtype(0), out.ctypes.data, max(n, 1))
        return out
    return product
