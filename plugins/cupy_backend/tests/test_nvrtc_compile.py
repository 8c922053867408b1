"""Every kernel text compiles with NVRTC, CUDA's own compiler, with CuPy's headers.

NVRTC needs no GPU, only CuPy, its NVRTC library and CUDA's headers (`pip install
cupy-cuda12x nvidia-cuda-nvrtc-cu12 nvidia-cuda-runtime-cu12`); where they are
missing (CI) this module skips.  Each
kernel is wrapped the way `cupy.ElementwiseKernel` wraps its operation (inputs
bound by value, outputs by reference, `i` the element index, CuPy's
`float16.cuh` for the float16 type) and compiled with `--fmad=false` for sm_90.
"""
import importlib.util
import os

import pytest

from tracegraph_cupy.cxx_scalar import c_type
from tracegraph_cupy.elemwise_kernel import NVRTC_OPTIONS, preamble
from tracegraph_cupy.random import KERNELS, draw_spec

cupy = pytest.importorskip('cupy', reason='CuPy is not installed')
try:
    from cupy.cuda import nvrtc
    nvrtc.getVersion()
except Exception as exc:  # CuPy without its NVRTC library
    pytest.skip(f'NVRTC is not available: {exc}', allow_module_level=True)



def _sibling(name):
    """A test module of this directory (the cases are theirs; pytest imports by path)."""
    path = os.path.join(os.path.dirname(__file__), f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'tracegraph_cupy_tests_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


scalar_cases = _sibling('test_scalar_kernels')
composite_cases = _sibling('test_composite_kernels')

INCLUDE = os.path.join(os.path.dirname(cupy.__file__), '_core', 'include')


def _cuda_include():
    """CUDA's own headers (cuda_fp16.h): the CUDA toolkit's, or the nvidia-cuda-runtime wheel's."""
    try:
        import nvidia.cuda_runtime
        return os.path.join(list(nvidia.cuda_runtime.__path__)[0], 'include')
    except ImportError:
        return os.path.join(os.environ.get('CUDA_PATH', '/usr/local/cuda'), 'include')


def wrap(spec, symbol):
    params = [f'const {c_type(d)} *_raw_in{k}' for k, d in enumerate(spec.in_dtypes)]
    params += [f'{c_type(d)} *_raw_out{k}' for k, d in enumerate(spec.out_dtypes)]
    lines = [f'extern "C" __global__ void {symbol}({", ".join(params)}, long long _n) {{',
             '  for (ptrdiff_t i = blockIdx.x * blockDim.x + threadIdx.x; i < _n; '
             'i += (ptrdiff_t)blockDim.x * gridDim.x) {']
    lines += [f'    const {c_type(d)} in{k} = _raw_in{k}[i];' for k, d in enumerate(spec.in_dtypes)]
    lines += [f'    {c_type(d)} &out{k} = _raw_out{k}[i];' for k, d in enumerate(spec.out_dtypes)]
    lines += ['    ' + line for line in spec.operation.splitlines()] + ['  }', '}']
    return '\n'.join(lines)


def compile_all(specs):
    """The PTX of all `specs` compiled together; asserts every kernel is in it."""
    specs = list(dict.fromkeys(specs))
    source = '\n'.join(['#include <cupy/carray.cuh>', '#include <cupy/float16.cuh>', preamble()] +
                       [wrap(s, f'tg_kernel_{k}') for k, s in enumerate(specs)])
    prog = nvrtc.createProgram(source, 'tracegraph_kernels.cu', [], [])
    options = list(NVRTC_OPTIONS) + ['-arch=compute_90', f'-I{INCLUDE}', f'-I{_cuda_include()}',
                                     '-std=c++17']
    try:
        nvrtc.compileProgram(prog, options)
    except nvrtc.NVRTCError as exc:
        raise AssertionError(f'NVRTC failed: {exc}\n{nvrtc.getProgramLog(prog)[-6000:]}') from None
    ptx = nvrtc.getPTX(prog)
    ptx = ptx.decode() if isinstance(ptx, bytes) else ptx
    assert all(f'.entry tg_kernel_{k}(' in ptx for k in range(len(specs)))
    return ptx


def test_every_scalar_op_kernel_compiles():
    specs = [scalar_cases._spec(case) for case in scalar_cases.CASES]
    compile_all(specs)


def test_fused_and_random_kernels_compile():
    specs = [composite_cases._spec(n) for nodes in composite_cases.FUSED.values() for n in nodes]
    specs += [draw_spec(dist, dtype) for dist in KERNELS
              for dtype in (('float32', 'float64') if dist in ('uniform', 'normal') else ('int64', 'int32'))]
    compile_all(specs)
