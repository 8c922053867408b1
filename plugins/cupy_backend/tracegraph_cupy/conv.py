"""Convolutions on the CuPy backend: cuDNN where CuPy exposes it, else im2col and cuBLAS.

Each convolution node becomes `Call('runtime.conv', node=...)`; at run time
`run(xp, *inputs, node)` picks, per call:

- cuDNN (`cupyx.cudnn`, `cupy.cudnn` in older CuPy) when it imports and the padding is
  symmetric (cuDNN takes one pad per axis).  cuDNN computes a cross-correlation, so
  `filter_flip=True` flips the filters first (and flips the filter gradient back);
- otherwise the im2col kernels of `tracegraph.tensor.nnet.conv_kernels` with
  `xp=cupy`: one strided copy on the device, then one cuBLAS GEMM per group.

The spatial-shape input of the gradient ops is read on the host (it sizes the
result); images and filters stay on the device.  With `xp=numpy` (the host tests,
`cupy_on_host`) the im2col path runs; tests pass a stand-in cuDNN to check the
cuDNN glue.
"""
from __future__ import annotations

import numpy as np

from tracegraph.tensor.nnet import conv_kernels as ck
from tracegraph.tensor.nnet.abstract_conv import AbstractConv, AbstractConv_gradInputs, BaseAbstractConv

from .lowering import Call, lowers


@lowers(BaseAbstractConv)
def _conv(node):
    host = (2,) if len(node.inputs) == 3 else ()   # the spatial shape of a gradient op
    return Call('runtime.conv', (('node', node),), host_inputs=host)


def cudnn_module(xp):
    """CuPy's cuDNN wrapper, or None (no CuPy, no cuDNN, or the host stand-in)."""
    if xp is np:
        return None
    try:
        import cupyx.cudnn as cudnn
        return cudnn
    except Exception:                                   # noqa: BLE001 - any import failure: no cuDNN
        try:
            import cupy.cudnn as cudnn
            return cudnn
        except Exception:                               # noqa: BLE001
            return None


def cudnn_geometry(op, kernel_spatial):
    """(pad, stride, dilation, groups) for cuDNN, or None where cuDNN cannot express
    the convolution (asymmetric padding)."""
    pads = ck.pads_for(op.border_mode, kernel_spatial, op.filter_dilation)
    if any(lo != hi for lo, hi in pads):
        return None
    return tuple(lo for lo, _ in pads), op.subsample, op.filter_dilation, op.num_groups


def run(xp, *inputs, node, cudnn=None):
    """One convolution node's value on the device `xp` (cuDNN when possible)."""
    op = node.op
    fn, kwargs = ck.kernel_for(op)
    cudnn = cudnn if cudnn is not None else cudnn_module(xp)
    if cudnn is not None:
        result = _with_cudnn(xp, cudnn, op, inputs, kwargs)
        if result is not None:
            return result
    return fn(*inputs, xp=xp, **kwargs)


def _flip(xp, kern, nd):
    return xp.ascontiguousarray(kern[(Ellipsis,) + (slice(None, None, -1),) * nd])


def _with_cudnn(xp, cudnn, op, inputs, kwargs):
    nd, name = op.convdim, kwargs['name']
    if isinstance(op, AbstractConv):
        img, kern = inputs
        ck.check_hint(name, 'input_shape', img.shape, op.imshp)
        ck.check_hint(name, 'filter_shape', kern.shape, op.kshp)
        ks = tuple(kern.shape[2:])
    elif isinstance(op, AbstractConv_gradInputs):
        kern, top, shape = inputs
        ck.check_hint(name, 'filter_shape', kern.shape, op.kshp)
        ks = tuple(kern.shape[2:])
    else:
        img, top, shape = inputs
        ck.check_hint(name, 'input_shape', img.shape, op.imshp)
        ks = tuple(int(k) for k in np.asarray(shape))
    geometry = cudnn_geometry(op, ks)
    if geometry is None:
        return None
    pad, stride, dilation, groups = geometry
    if isinstance(op, AbstractConv):
        # the shape checks and messages of the reference, on shapes only
        pads = ck.pads_for(op.border_mode, ks, dilation)
        out = ck.output_spatial(img.shape[2:], ks, pads, stride, dilation)
        if any(o < 1 for o in out) or img.shape[1] != kern.shape[1] * groups or kern.shape[0] % groups:
            return None                         # let the reference raise its clear error
        w = _flip(xp, kern, nd) if op.filter_flip else xp.ascontiguousarray(kern)
        y = xp.empty((img.shape[0], kern.shape[0]) + tuple(out), dtype=img.dtype)
        cudnn.convolution_forward(xp.ascontiguousarray(img), w, None, y, pad, stride, dilation, groups,
                                  auto_tune=False, tensor_core='auto')
        return y
    if isinstance(op, AbstractConv_gradInputs):
        spatial = tuple(int(n) for n in np.asarray(shape))
        B, C = top.shape[0], kern.shape[1] * groups
        pads = ck.pads_for(op.border_mode, ks, dilation)
        if tuple(top.shape[2:]) != ck.output_spatial(spatial, ks, pads, stride, dilation):
            return None
        w = _flip(xp, kern, nd) if op.filter_flip else xp.ascontiguousarray(kern)
        gx = xp.empty((B, C) + spatial, dtype=top.dtype)
        cudnn.convolution_backward_data(w, xp.ascontiguousarray(top), None, gx, pad, stride, dilation, groups,
                                        deterministic=False, auto_tune=False, tensor_core='auto')
        ck.check_hint(name, 'input_shape', gx.shape, op.imshp)
        return gx
    pads = ck.pads_for(op.border_mode, ks, dilation)
    if tuple(top.shape[2:]) != ck.output_spatial(img.shape[2:], ks, pads, stride, dilation) or \
            img.shape[1] % groups or top.shape[1] % groups:
        return None
    gw = xp.empty((top.shape[1], img.shape[1] // groups) + ks, dtype=img.dtype)
    cudnn.convolution_backward_filter(xp.ascontiguousarray(img), xp.ascontiguousarray(top), gw, pad, stride,
                                      dilation, groups, deterministic=False, auto_tune=False,
                                      tensor_core='auto')
    gw = _flip(xp, gw, nd) if op.filter_flip else gw
    ck.check_hint(name, 'filter_shape', gw.shape, op.kshp)
    return gw

