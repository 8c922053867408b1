"""Where device values live and how to reach them.

The linker writes code against a `Device`: the array module the generated code
calls `cupy`, the device array class, the two transfers and the kernel builder.
On a GPU that is CuPy (`cuda_device()`); in tests it is a host stand-in
(`hostcc.host_device()`), so the same generated code runs on a CPU.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Device:
    """Where device values live and how to reach them: CuPy on a GPU, or a host
    stand-in in tests (`hostcc.host_device()`)."""

    xp: Any                          # the array module generated code calls `cupy`
    array_type: type                 # the class of a device array
    to_device: Callable
    to_host: Callable
    elementwise: Callable            # ElementwiseSpec -> a callable kernel
    prepare: Callable = lambda specs: None   # all of a graph's kernels, before `elementwise`


@functools.lru_cache(maxsize=None)
def cuda_device():
    """CuPy: kernels through NVRTC (CuPy caches their binaries by source)."""
    import cupy

    from .elemwise_kernel import NVRTC_OPTIONS, preamble
    text = preamble()

    @functools.lru_cache(maxsize=None)
    def elementwise(spec):
        return cupy.ElementwiseKernel(spec.in_params, spec.out_params, spec.operation, spec.name,
                                      preamble=text, options=NVRTC_OPTIONS,
                                      return_tuple=len(spec.out_dtypes) > 1)
    return Device(cupy, cupy.ndarray, cupy.asarray, cupy.asnumpy, elementwise)
