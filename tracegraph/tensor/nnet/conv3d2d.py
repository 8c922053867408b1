"""`theano.tensor.nnet.conv3d2d.conv3d`: a 3-d convolution of movies with Theano's
older axis order, signals (batch, time, channels, rows, cols) and filters
(out_channels, time, channels, rows, cols).

Theano computed it as 2-d convolutions summed along time diagonals; the result is
a true 3-d convolution (every axis flipped), which is what this builds: the
`AbstractConv` op over (time, rows, cols), between two axis swaps.
"""
from __future__ import annotations

from .abstract_conv import conv3d as _conv3d

__all__ = ['conv3d']


def _swap(shape):
    return None if shape is None else (shape[0], shape[2], shape[1], shape[3], shape[4])


def conv3d(signals, filters, signals_shape=None, filters_shape=None, border_mode='valid'):
    """Output (batch, time, out_channels, rows, cols); border_mode 'valid', 'full' or
    'half', or a tuple of three of them (time, rows, cols; rows and cols must match)."""
    modes = (border_mode,) * 3 if isinstance(border_mode, str) else tuple(border_mode)
    if len(modes) != 3 or any(m not in ('valid', 'full', 'half') for m in modes):
        raise ValueError(f"conv3d2d.conv3d: border_mode must be 'valid', 'full' or 'half' (or three of them), "
                         f'got {border_mode!r}')
    if modes[1] != modes[2]:
        raise NotImplementedError('height and width bordermodes must match')
    pads = tuple(_pad(m, n) for m, n in zip(modes, _kernel_lengths(filters, filters_shape)))
    out = _conv3d(signals.dimshuffle(0, 2, 1, 3, 4), filters.dimshuffle(0, 2, 1, 3, 4),
                  input_shape=_swap(signals_shape), filter_shape=_swap(filters_shape),
                  border_mode=modes[0] if len(set(modes)) == 1 else pads, filter_flip=True)
    return out.dimshuffle(0, 2, 1, 3, 4)


def _kernel_lengths(filters, filters_shape):
    """(time, rows, cols) lengths of the filters, needed only for mixed border modes."""
    shape = filters_shape if filters_shape is not None else filters.type.shape
    return (shape[1], shape[3], shape[4])


def _pad(mode, n):
    if mode == 'valid':
        return 0
    if n is None:
        raise ValueError('conv3d2d.conv3d: mixed border modes need the filters\' static shape '
                         '(pass filters_shape)')
    return n - 1 if mode == 'full' else n // 2
