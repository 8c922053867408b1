"""Sums of float rows in NumPy's pairwise order, on SIMD without fastmath.

A loop with one accumulator (`acc = acc + x[i]`) waits for each add to finish
(about 4 cycles an element), and LLVM may not split it into several without
fastmath, which would change the result.  NumPy sums float rows pairwise: blocks of
up to 128 elements are summed into 8 accumulators (lane j takes elements j, j+8,
j+16...), the lanes combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)), and longer
rows split in two halves (a multiple of 8 first) recursively.  That is both more
accurate (error growing with log n instead of n) and vectorizable.

Numba does not run LLVM's SLP vectorizer (NUMBA_SLP_VECTORIZE is off), so eight
scalar accumulators stay scalar; `_lanes` below writes the 8-wide vector loop in
LLVM IR directly.  The order of operations is NumPy's, so a sum of a contiguous
row is bit-identical to `numpy.sum`.  Products stay serial loops, as NumPy's are:
another order could overflow to inf where NumPy's does not (or give NaN for inf * 0).

`pairwise_sum` takes a 1-D C-contiguous float32/float64 array and a typed zero, so
float32 rows accumulate in float32, as NumPy does.
"""
from __future__ import annotations

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

BLOCK = 128     # NumPy's PW_BLOCKSIZE: rows up to this long are one block
LANES = 8       # accumulators per block, as in NumPy


def _lane_intrinsic(instruction):
    """An intrinsic (a, count) -> a[:count] reduced in 8 lanes by `instruction`
    ('fadd' or 'fmul'), lanes combined in NumPy's tree order.  `count` must be a
    positive multiple of 8."""
    @intrinsic
    def lanes(typingctx, a, count):
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

            combine = getattr(builder, instruction)
            acc = cgutils.alloca_once_value(builder, load(ir.Constant(count.type, 0)))
            with cgutils.for_range_slice(builder, ir.Constant(count.type, LANES), count,
                                         ir.Constant(count.type, LANES)) as (index, _):
                builder.store(combine(builder.load(acc), load(index)), acc)
            total = builder.load(acc)
            r = [builder.extract_element(total, ir.Constant(ir.IntType(32), j)) for j in range(LANES)]
            left = combine(combine(r[0], r[1]), combine(r[2], r[3]))
            right = combine(combine(r[4], r[5]), combine(r[6], r[7]))
            return combine(left, right)
        return a.dtype(a, types.intp), codegen
    return lanes


_sum_lanes = _lane_intrinsic('fadd')


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

