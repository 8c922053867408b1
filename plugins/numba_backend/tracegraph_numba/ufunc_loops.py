"""NumPy's own SIMD inner loops, called from compiled code without the interpreter.

Numba's exp/tanh/log are libm calls (or vector_math.py); NumPy dispatches to AVX-512
loops (float32 tanh: 0.3 ns an element against 1.9 for the best Numba loop).  A
ufunc's loops are public C API (`PyUFuncObject.functions[i]` for signature
`types[i]`): each one used gets a process-wide symbol (`add_symbol`) and
`ufunc_loop` calls it by name, so generated code holds no address and Numba's disk
cache stays valid.  Results are bit-identical to the ufunc's.  Where the structure
does not look as documented (another NumPy), `symbol` answers None.
"""
from __future__ import annotations

import ctypes

import numpy as np
from llvmlite import binding, ir
from numpy.lib.introspect import opt_func_info
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from tracegraph.kernels.ufuncs import KERNELS
from tracegraph.tensor.scalar import SCALAR_OPS, expensive

# Scalar op name -> NumPy's ufunc: the transcendental ops (a libm call an element in a
# compiled loop) that the NumPy spelling table computes with one ufunc; and chunked.py's
# sigmoid parts (Numba's negate and divide took 0.58 ns a float32 element, NumPy's 0.2).
UFUNCS = {name: fn for name, fn in KERNELS.items()
          if isinstance(fn, np.ufunc) and expensive(SCALAR_OPS[name], compiled_loop=True)}
UFUNCS.update(negative=np.negative, reciprocal=np.reciprocal)
DTYPES = ('float32', 'float64')


class _UfuncObject(ctypes.Structure):
    """The leading fields of NumPy's `PyUFuncObject` (numpy/ufuncobject.h)."""
    _fields_ = [('ob_refcnt', ctypes.c_ssize_t), ('ob_type', ctypes.c_void_p),
                ('nin', ctypes.c_int), ('nout', ctypes.c_int), ('nargs', ctypes.c_int),
                ('identity', ctypes.c_int),
                ('functions', ctypes.POINTER(ctypes.c_void_p)),
                ('data', ctypes.POINTER(ctypes.c_void_p)),
                ('ntypes', ctypes.c_int), ('reserved1', ctypes.c_int),
                ('name', ctypes.c_char_p), ('types', ctypes.POINTER(ctypes.c_byte))]


def _loop_address(ufunc, dtype):
    """The address of `ufunc`'s inner loop for all-`dtype` arguments, or None."""
    head = _UfuncObject.from_address(id(ufunc))
    if (head.name != ufunc.__name__.encode() or head.ntypes != ufunc.ntypes
            or (head.nin, head.nout, head.nargs) != (ufunc.nin, ufunc.nout, ufunc.nargs)):
        return None
    char = np.dtype(dtype).char
    signature = char * ufunc.nin + '->' + char * ufunc.nout
    if signature not in ufunc.types:
        return None
    i = ufunc.types.index(signature)
    numbers = [head.types[i * head.nargs + k] for k in range(head.nargs)]
    # A loop that needs its data pointer wraps a scalar C function: no SIMD to gain.
    if numbers != [np.dtype(dtype).num] * head.nargs or head.data[i]:
        return None
    return head.functions[i]


def _register():
    symbols = {}
    for name, ufunc in UFUNCS.items():
        for dtype in DTYPES:
            address = _loop_address(ufunc, dtype)
            if address:
                symbols[name, dtype] = f'tracegraph_numpy_loop_{name}_{dtype}'
                binding.add_symbol(symbols[name, dtype], address)
    return symbols


SYMBOLS = _register()


def _avx512(ufunc):
    """Whether NumPy runs `ufunc`'s float64 loop with AVX-512 (NumPy names its target)."""
    found = opt_func_info(func_name=f'^{ufunc.__name__}$', signature='^float64$')
    target = found.get(ufunc.__name__, {}).get('dd', {}).get('current', '')   # absent: no SIMD loop
    return 'X86_V4' in target or 'AVX512' in target


# The float64 ops vector_math.py computes faster than NumPy's loops on this CPU: NumPy's are level
# with it on AVX-512 (tanh 1.7 ns an element); on AVX2 its tanh took 2.4x vector_math's time, exp 1.15x.
VECTOR_MATH_WINS = {name for name, ufunc in (('exp', np.exp), ('tanh', np.tanh), ('sigmoid', np.exp))
                    if not _avx512(ufunc)}


def numpy_is_faster(op_name, dtype):
    """Whether NumPy's loop for this op beats the compiled loop's own code on this CPU."""
    return not (np.dtype(dtype) == np.float64 and op_name in VECTOR_MATH_WINS)


def symbol(op_name, dtype):
    """The symbol of NumPy's loop for scalar op `op_name` on `dtype` where it is faster, or None."""
    return SYMBOLS.get((op_name, np.dtype(dtype).name)) if numpy_is_faster(op_name, dtype) else None


def _codegen(symbol):
    def codegen(context, builder, signature, args):
        byte_ptr = ir.IntType(8).as_pointer()
        intp = context.get_value_type(types.intp)
        operand_types = signature.args[2].types
        operands = cgutils.unpack_tuple(builder, args[2], len(operand_types))
        pointers = cgutils.alloca_once(builder, byte_ptr, size=len(operands) // 2)
        steps = cgutils.alloca_once(builder, intp, size=len(operands) // 2)
        for k in range(len(operands) // 2):
            array_type, index_type = operand_types[2 * k], operand_types[2 * k + 1]
            array = context.make_array(array_type)(context, builder, operands[2 * k])
            index = [context.cast(builder, i, t, types.intp) for i, t in
                     zip(cgutils.unpack_tuple(builder, operands[2 * k + 1], len(index_type)), index_type)]
            first = cgutils.get_item_pointer(context, builder, array_type, array, index)
            at = ir.Constant(ir.IntType(32), k)
            builder.store(builder.bitcast(first, byte_ptr), builder.gep(pointers, [at]))
            builder.store(builder.extract_value(array.strides, array_type.ndim - 1), builder.gep(steps, [at]))
        length = cgutils.alloca_once_value(builder, context.cast(builder, args[1], signature.args[1], types.intp))
        loop_type = ir.FunctionType(ir.VoidType(), [byte_ptr.as_pointer(), intp.as_pointer(),
                                                    intp.as_pointer(), byte_ptr])
        loop = cgutils.get_or_insert_function(builder.module, loop_type, symbol)
        builder.call(loop, [pointers, length, steps, ir.Constant(byte_ptr, None)])
        return context.get_dummy_value()
    return codegen


# `ufunc_loop('symbol', n, x, (i, j..), out, (k, l..))` runs the loop over n elements
# from x[i, j..] and out[k, l..] along their last axes (any strides: NumPy's loop takes
# its SIMD path on unit ones); a binary loop reads a second argument y, (..) after x.
@intrinsic
def ufunc_loop(typingctx, name, n, *operands):
    if not isinstance(name, types.StringLiteral) or not isinstance(n, types.Integer):
        return None
    for array, index in zip(operands[::2], operands[1::2]):
        if not isinstance(array, types.Array) or not isinstance(index, types.BaseTuple) \
                or len(index) != array.ndim or any(not isinstance(i, types.Integer) for i in index):
            return None
    return types.none(name, n, types.StarArgTuple(operands)), _codegen(name.literal_value)
