"""The module path old Theano code imports (`theano.tensor.signal.downsample`), which
Theano later folded into `pool`: the same functions and ops under their old names."""
from __future__ import annotations

from .pool import (AveragePoolGrad, DownsampleFactorMaxGradGrad, MaxPoolGrad,  # noqa: F401
                   Pool, max_pool_2d_same_size, pool_2d)

DownsampleFactorMax = Pool


def max_pool_2d(input, ds, ignore_border=None, st=None, padding=(0, 0), mode='max'):
    """Theano 0.7's spelling of `pool_2d(input, ws=ds, ignore_border, stride=st, pad=padding, mode)`."""
    return pool_2d(input, ws=ds, ignore_border=ignore_border, stride=st, pad=padding, mode=mode)
