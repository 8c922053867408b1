"""Run the backend's CUDA kernel sources on the CPU: g++, `cuda_host.h`, ctypes.

The generated kernels are plain C++ expressions; only CUDA's qualifiers and a few
intrinsics stand between them and a host compiler.  This module wraps each
kernel body in a loop over its elements, compiles many kernels in one g++ run
into one shared library, and calls them through ctypes, so tests (and anyone
debugging a kernel) can compare them with the NumPy backend without a GPU.

    kernels = compile_elementwise([spec_a, spec_b])
    out, = kernels[spec_a](x, y)        # NumPy in, NumPy out, broadcast like CuPy
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile

import numpy as np

from .elemwise_kernel import preamble

HEADER = os.path.join(os.path.dirname(__file__), 'cuda_host.h')
# -ffp-contract=off: no fused multiply-add (NVRTC gets --fmad=false likewise).
CXXFLAGS = ('-std=c++17', '-O1', '-shared', '-fPIC', '-ffp-contract=off', '-fno-fast-math')


class HostCompileError(RuntimeError):
    pass


def compiler():
    """The host C++ compiler (env CXX, else g++), or None when there is none."""
    return shutil.which(os.environ.get('CXX', 'g++'))


def build(source, workdir=None):
    """Compile C++ `source` (which may use cuda_host.h's stand-ins) into a loaded library."""
    cxx = compiler()
    if cxx is None:
        raise HostCompileError('no host C++ compiler (set CXX or install g++)')
    digest = hashlib.sha1(source.encode()).hexdigest()[:16]
    workdir = workdir or tempfile.mkdtemp(prefix='tracegraph-cupy-host-')
    src = os.path.join(workdir, f'k{digest}.cpp')
    lib = os.path.join(workdir, f'k{digest}.so')
    with open(src, 'w') as f:
        f.write(source)
    cmd = [cxx, *CXXFLAGS, '-include', HEADER, src, '-o', lib]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise HostCompileError(f'{" ".join(cmd)} failed:\n{done.stderr[-4000:]}')
    return ctypes.CDLL(lib)


def elementwise_wrapper(spec, symbol):
    """An `extern "C"` loop running `spec`'s operation once per element, as CuPy does:
    inputs bound by value, outputs by reference, `i` the element's flat index."""
    from .cxx_scalar import c_type
    lines = [f'extern "C" void {symbol}(long long n, void **ins, void **outs) {{',
             '    for (long long idx = 0; idx < n; ++idx) {',
             '        const long long i = idx;']
    for k, dtype in enumerate(spec.in_dtypes):
        ct = c_type(dtype)
        lines.append(f'        const {ct} in{k} = (({ct} *)ins[{k}])[idx];')
    for k, dtype in enumerate(spec.out_dtypes):
        ct = c_type(dtype)
        lines.append(f'        {ct} &out{k} = (({ct} *)outs[{k}])[idx];')
    lines.extend('        ' + line for line in spec.operation.splitlines())
    lines += ['    }', '}']
    return '\n'.join(lines)


class HostKernel:
    """A compiled elementwise kernel called like a `cupy.ElementwiseKernel`."""

    def __init__(self, spec, function):
        self.spec = spec
        self.function = function
        function.restype = None
        function.argtypes = [ctypes.c_longlong, ctypes.c_void_p, ctypes.c_void_p]

    def __call__(self, *args):
        spec = self.spec
        n_in = len(spec.in_dtypes)
        ins = [np.asarray(a, dtype=d) for a, d in zip(args[:n_in], spec.in_dtypes)]
        given = list(args[n_in:])
        shape = np.broadcast_shapes(*(a.shape for a in ins), *(o.shape for o in given))
        ins = [np.ascontiguousarray(np.broadcast_to(a, shape)) for a in ins]
        outs = given or [np.empty(shape, dtype=d) for d in spec.out_dtypes]
        scratch = [np.ascontiguousarray(o) for o in outs]
        in_ptrs = (ctypes.c_void_p * max(n_in, 1))(*(a.ctypes.data for a in ins))
        out_ptrs = (ctypes.c_void_p * len(scratch))(*(o.ctypes.data for o in scratch))
        self.function(int(np.prod(shape)), in_ptrs, out_ptrs)
        for given, written in zip(outs, scratch):
            if given is not written:
                given[...] = written
        return outs[0] if len(outs) == 1 else tuple(outs)


def compile_elementwise(specs, workdir=None):
    """Compile every spec in one g++ run; returns {spec: HostKernel}."""
    specs = list(dict.fromkeys(specs))
    parts = [preamble()]
    for k, spec in enumerate(specs):
        parts.append(elementwise_wrapper(spec, f'tg_host_{k}'))
    lib = build('\n\n'.join(parts), workdir)
    return {spec: HostKernel(spec, getattr(lib, f'tg_host_{k}')) for k, spec in enumerate(specs)}


def host_device(workdir=None):
    """A stand-in for the GPU: NumPy for CuPy's calls, host-compiled kernels for the
    generated ones, and copies for transfers (as real transfers are).  With it the
    whole linker runs on a CPU: `linker.link(fgraph, options, device=host_device())`."""
    from .device import Device
    cache = {}

    def prepare(specs):
        missing = [s for s in specs if s not in cache]
        if missing:
            cache.update(compile_elementwise(missing, workdir))

    def elementwise(spec):
        prepare([spec])
        return cache[spec]
    return Device(np, np.ndarray, np.array, np.array, elementwise, prepare)
