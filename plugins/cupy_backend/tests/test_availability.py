"""The backend registers without CuPy and says plainly why it cannot run."""
import sys
import types

import pytest

import tracegraph as tg
from tracegraph_cupy import availability


def test_registered_by_entry_point():
    assert 'cupy' in tg.backends.registered()


def test_without_cupy_the_reason_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'cupy', None)  # makes `import cupy` raise ImportError
    reason = availability.unavailable_reason()
    assert reason.startswith('CuPy is not installed')
    assert 'plugins/cupy_backend[cuda12]' in reason


def _fake_cupy(get_device_count):
    runtime = types.SimpleNamespace(getDeviceCount=get_device_count)
    return types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime), __version__='0')


def test_without_a_device_the_reason_says_so(monkeypatch):
    def no_driver():
        raise RuntimeError('cudaErrorNoDevice: no CUDA-capable device is detected')
    monkeypatch.setitem(sys.modules, 'cupy', _fake_cupy(no_driver))
    assert availability.unavailable_reason() == (
        'no CUDA device is visible to CuPy (RuntimeError: cudaErrorNoDevice: no CUDA-capable '
        'device is detected)')
    monkeypatch.setitem(sys.modules, 'cupy', _fake_cupy(lambda: 0))
    assert 'getDeviceCount() is 0' in availability.unavailable_reason()
    monkeypatch.setitem(sys.modules, 'cupy', _fake_cupy(lambda: 1))
    assert availability.unavailable_reason() is None


def test_available_reports_the_reason_here():
    status = tg.backends.available()['cupy']
    if status:
        pytest.skip('CuPy sees a GPU on this machine')
    assert status.reason == availability.unavailable_reason()
    with pytest.raises(tg.backends.BackendError, match="backend 'cupy' cannot run here"):
        tg.backends.get('cupy')
