"""Max, min, argmax and argmin of float rows on SIMD, NaN first as NumPy has them.

The plain loop (`if best == best and (v > best or v != v)`) carries one value and a NaN
test from element to element; LLVM does not vectorize it, and it took 3-9x NumPy's
time on rows of 200-4,000.  Numba runs no SLP vectorizer, so `_arg_extreme` writes the
loop in LLVM IR: four vectors of 64 bytes (8 float64 or 16 float32 lanes each) keep each
lane's best value and its index by compare-and-select, and a fifth notes NaNs (a row
holding one is searched again for the first).  A row's last partial vector is read
overlapping the one before it (an element seen twice keeps its index): no scalar tail.  max and min read the element argmax and
argmin find: one pass, level with NumPy's SIMD loops on rows in memory (2,000 x 4,000)
and faster on rows in cache (rows of 100-200: 0.5-0.8x NumPy's time).
"""
from __future__ import annotations

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

VECTOR_BYTES = 64    # one AVX-512 register; LLVM splits it on narrower machines
UNROLL = 4           # independent accumulators: a compare-and-select waits ~4 cycles


def _walk(builder, n, lanes, take):
    """Calls take(k, start, offset) for each vector of a row of n >= lanes elements, at
    start + offset: blocks of UNROLL vectors (k = 0..UNROLL-1), then single vectors,
    then the last one overlapping."""
    step, block = ir.Constant(n.type, lanes), ir.Constant(n.type, lanes * UNROLL)
    blocks_end = builder.sub(n, builder.urem(n, block))
    with cgutils.for_range_slice(builder, ir.Constant(n.type, 0), blocks_end, block) as (start, _):
        for k in range(UNROLL):
            take(k, start, k * lanes)
    with cgutils.for_range_slice(builder, blocks_end, builder.sub(n, builder.urem(n, step)), step) as (start, _):
        take(0, start, 0)
    take(0, builder.sub(n, step), 0)


def _splat(builder, scalar, lanes):
    vector = ir.Constant(ir.VectorType(scalar.type, lanes), ir.Undefined)
    for j in range(lanes):
        vector = builder.insert_element(vector, scalar, ir.Constant(ir.IntType(32), j))
    return vector


def _arg_extreme(order):
    """An intrinsic of (a, row): the first index of the largest (`order` '>') or smallest
    ('<') element of a C-contiguous float vector `a`, or of row `row` of a C-contiguous
    float matrix `a` (its address computed here: a slice a row would cost a call and a
    reference count), at least one vector long; -1 if it holds a NaN."""
    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        array = context.make_array(array_type)(context, builder, args[0])
        scalar = context.get_value_type(array_type.dtype)
        n = cgutils.unpack_tuple(builder, array.shape)[-1]
        data = builder.gep(array.data, [builder.mul(args[1], n)]) if array_type.ndim == 2 else array.data
        lanes = VECTOR_BYTES // context.get_abi_sizeof(scalar)
        vector, indices = ir.VectorType(scalar, lanes), ir.VectorType(n.type, lanes)
        iota = ir.Constant(indices, list(range(lanes)))

        def load(start):
            address = builder.bitcast(builder.gep(data, [start]), vector.as_pointer())
            return builder.load(address, align=context.get_abi_sizeof(scalar))

        def is_nan(value):
            return builder.fcmp_unordered('uno', value, value)

        first = load(ir.Constant(n.type, 0))
        accs = [cgutils.alloca_once_value(builder, first) for _ in range(UNROLL)]
        where = [cgutils.alloca_once_value(builder, iota) for _ in range(UNROLL)]
        nan = cgutils.alloca_once_value(builder, is_nan(first))

        def take(k, start, offset):
            value, acc = load(builder.add(start, ir.Constant(n.type, offset))), builder.load(accs[k])
            wins = builder.fcmp_ordered(order, value, acc)
            builder.store(builder.select(wins, value, acc), accs[k])
            # one broadcast of `start` a block (LLVM merges them): 10% off rows of 200
            at = builder.add(_splat(builder, start, lanes), ir.Constant(indices, list(range(offset, offset + lanes))))
            builder.store(builder.select(wins, at, builder.load(where[k])), where[k])
            builder.store(builder.or_(builder.load(nan), is_nan(value)), nan)

        _walk(builder, n, lanes, take)
        values = [builder.load(acc) for acc in accs]
        reduce = 'fmax' if order == '>' else 'fmin'      # exact: no lane is NaN when it counts
        best = builder.call(cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(scalar, [vector]), f'llvm.vector.reduce.{reduce}.v{lanes}{vector.element.intrinsic_name}'),
            [_best_of(builder, order, values)])
        best = _splat(builder, best, lanes)
        none = ir.Constant(indices, [-1] * lanes)          # the largest unsigned index
        first_index = none
        for value, at in zip(values, where):
            at = builder.select(builder.fcmp_ordered('==', value, best), builder.load(at), none)
            first_index = builder.select(builder.icmp_unsigned('<', at, first_index), at, first_index)
        umin = cgutils.get_or_insert_function(builder.module, ir.FunctionType(n.type, [indices]),
                                              f'llvm.vector.reduce.umin.v{lanes}i{n.type.width}')
        found = builder.call(umin, [first_index])
        any_nan = builder.icmp_unsigned('!=', builder.bitcast(builder.load(nan), ir.IntType(lanes)),
                                        ir.Constant(ir.IntType(lanes), 0))
        return builder.select(any_nan, ir.Constant(n.type, -1), found)

    @intrinsic
    def arg_extreme(typingctx, a, row):
        if (isinstance(a, types.Array) and a.ndim in (1, 2) and a.layout == 'C'
                and a.dtype in (types.float32, types.float64)):
            return types.intp(a, row), codegen
    return arg_extreme


def _best_of(builder, order, vectors):
    best = vectors[0]
    for vector in vectors[1:]:
        best = builder.select(builder.fcmp_ordered(order, vector, best), vector, best)
    return best


_argmax_lanes, _argmin_lanes = _arg_extreme('>'), _arg_extreme('<')


@njit(cache=True, error_model='numpy')
def _serial(a, greater):
    best, at = a[0], 0
    for i in range(1, a.shape[0]):
        v = a[i]
        if best == best and ((v > best if greater else v < best) or v != v):
            best, at = v, i
    return at


@njit(cache=True, error_model='numpy')
def _first_nan(a):
    for i in range(a.shape[0]):
        if a[i] != a[i]:
            return i
    return -1


@njit(cache=True, error_model='numpy')
def _row_arg(a, greater):
    if a.shape[0] * a.itemsize < VECTOR_BYTES:
        return _serial(a, greater)
    at = _argmax_lanes(a, 0) if greater else _argmin_lanes(a, 0)
    return at if at >= 0 else _first_nan(a)


@njit(cache=True, error_model='numpy')
def rows_arg(x, out, greater):
    """out[i] = argmax(x[i]) (argmin if not `greater`) for a C-contiguous float matrix x
    of non-empty rows."""
    if x.shape[1] * x.itemsize < VECTOR_BYTES:
        for i in range(x.shape[0]):
            out[i] = _serial(x[i], greater)
        return
    for i in range(x.shape[0]):
        at = _argmax_lanes(x, i) if greater else _argmin_lanes(x, i)
        out[i] = at if at >= 0 else _first_nan(x[i])


@njit(cache=True, error_model='numpy')
def row_argmax(a):
    """argmax(a) of a non-empty 1-D C-contiguous float array: its first NaN if any."""
    return _row_arg(a, True)


@njit(cache=True, error_model='numpy')
def row_argmin(a):
    """argmin(a) of a non-empty 1-D C-contiguous float array: its first NaN if any."""
    return _row_arg(a, False)


@njit(cache=True, error_model='numpy')
def row_max(a):
    """max(a) of a non-empty 1-D C-contiguous float array, NaN if any element is."""
    return a[row_argmax(a)]


@njit(cache=True, error_model='numpy')
def row_min(a):
    """min(a) of a non-empty 1-D C-contiguous float array, NaN if any element is."""
    return a[row_argmin(a)]
