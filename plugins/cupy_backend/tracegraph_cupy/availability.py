"""Whether the CuPy backend can run here, and if not, a plain sentence saying why."""
from __future__ import annotations

import importlib

INSTALL_HINT = 'pip install -e plugins/cupy_backend[cuda12]'


def unavailable_reason():
    """None when CuPy imports and sees a CUDA device, else the reason it cannot run."""
    try:
        cupy = importlib.import_module('cupy')
    except ImportError as exc:
        return f'CuPy is not installed ({INSTALL_HINT}); import cupy failed: {exc}'
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDARuntimeError, a missing driver library, ...
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f'no CUDA device is visible to CuPy ({type(exc).__name__}: {first})'
    if count == 0:
        return 'no CUDA device is visible to CuPy (getDeviceCount() is 0)'
    return None


def cupy_version():
    try:
        return importlib.import_module('cupy').__version__
    except ImportError:
        return ''
