"""tracegraph's CuPy backend: graphs on NVIDIA GPUs.

Each Elemwise (plain or fused) becomes one CUDA kernel generated from the scalar
ops (`cxx_scalar.py`, `elemwise_kernel.py`); structural ops become CuPy calls
described as data (`lowering.py`); `linker.py` writes one Python function per
graph that keeps values and shared variables on the device.  `hostcc.py` runs
the kernel sources on the CPU, which is how CI proves them without a GPU.
"""
