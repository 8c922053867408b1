"""`theano.tensor.nnet.conv`: the old `conv2d` signature, kept for the code that
still imports it (the Deep Learning Tutorials of Theano 0.x).

It builds the same `AbstractConv` op as `tensor.nnet.conv2d`: a true convolution
(the filters flipped), border modes 'valid' and 'full' only, `image_shape` and
`filter_shape` as hints checked when the function runs.
"""
from __future__ import annotations

import warnings

from .abstract_conv import conv2d as _abstract_conv2d

__all__ = ['conv2d']


def conv2d(input, filters, image_shape=None, filter_shape=None, border_mode='valid', subsample=(1, 1),
           **kargs):
    """Convolve a 4-d batch of images (batch, channels, rows, cols) with a 4-d filter
    bank (filters, channels, rows, cols).  Extra keyword arguments of the old ConvOp
    (unroll_batch, unroll_kern, imshp_logical, ...) tuned its C code and are ignored."""
    warnings.warn('theano.tensor.nnet.conv.conv2d is deprecated. Use theano.tensor.nnet.conv2d instead.',
                  stacklevel=2)
    if border_mode not in ('valid', 'full'):
        raise ValueError(f"tensor.nnet.conv.conv2d: border_mode must be 'valid' or 'full', got {border_mode!r} "
                         "(tensor.nnet.conv2d takes 'half' and explicit padding)")
    return _abstract_conv2d(input, filters, input_shape=image_shape, filter_shape=filter_shape,
                            border_mode=border_mode, subsample=tuple(subsample), filter_flip=True)
