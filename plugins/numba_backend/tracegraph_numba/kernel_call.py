"""How the graph function calls a kernel: by a symbol, without a copy of the kernel.

Numba links the code of every callee into the caller's module and compiles it all
again: in the MLP training step that was 1.6 s of the graph function's 2.8 s.  So the
graph calls each kernel (compiled once per machine, cache.py) through a stable symbol
bound, in each process, to the kernel's machine code (`llvm.add_symbol`).  Code loaded
from Numba's disk cache must find its symbols bound before it links, so the call site
adds a `reload_init` entry (run by Numba before it loads the library) that binds them.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import llvmlite.binding as llvm
from numba.core import cgutils, types
from numba.extending import intrinsic

from . import cache

DISPATCHERS = {}   # a kernel source's cache key -> its dispatcher, shared by every graph here
_BOUND = {}   # symbol -> address bound in this process


def dispatcher(kernel_key):
    """A kernel's dispatcher, imported from its module file (cache.py) once per process."""
    found = DISPATCHERS.get(kernel_key)
    if found is None:
        found = DISPATCHERS[kernel_key] = cache.load(cache.path_of(kernel_key)).kernel
    return found


def bind(kernel_key, argtypes):
    """Compile (or load) the kernel for `argtypes` and bind its symbol to its code;
    returns the symbol and the kernel's compile result."""
    kernel = dispatcher(kernel_key)
    cres = kernel.overloads.get(argtypes)
    if cres is None:
        kernel.compile(argtypes)
        cres = kernel.overloads[argtypes]
    symbol = 'tracegraph_kernel_' + hashlib.sha256(f'{kernel_key}|{argtypes}'.encode()).hexdigest()[:32]
    address = cres.library.get_pointer_to_function(cres.fndesc.llvm_func_name)
    if not address:
        raise RuntimeError(f'tracegraph-numba: no machine code for kernel {kernel_key} {argtypes}')
    if _BOUND.get(symbol) != address:
        llvm.add_symbol(symbol, address)
        _BOUND[symbol] = address
    return symbol, cres


def caller(kernel_key):
    """What a graph module calls a kernel by: `k_...(args)` calls the kernel's code."""
    @intrinsic
    def call_kernel(typingctx, *args):
        argtypes = tuple(types.unliteral(a) for a in args)
        symbol, cres = bind(kernel_key, argtypes)
        restype = cres.signature.return_type

        def codegen(context, builder, signature, llargs):
            values = [context.cast(builder, v, t, a) for v, t, a in
                      zip(cgutils.unpack_tuple(builder, llargs[0]), args, argtypes)]
            fnty = context.call_conv.get_function_type(restype, argtypes)
            fn = cgutils.get_or_insert_function(builder.module, fnty, symbol)
            status, result = context.call_conv.call_function(builder, fn, restype, argtypes, values)
            with cgutils.if_unlikely(builder, status.is_error):
                context.call_conv.return_status_propagate(builder, status)
            # Bound again, before its code links, by a process loading this function
            # from the disk cache.
            context.active_code_library._reload_init.add(Rebind(kernel_key, argtypes))
            return result
        return restype(types.StarArgTuple.from_types(args)), codegen
    return call_kernel


@dataclass(frozen=True)
class Rebind:
    """A `reload_init` entry (pickled with the caller's cached code): bind one kernel."""
    kernel_key: str
    argtypes: tuple

    def __call__(self):
        bind(self.kernel_key, self.argtypes)
