"""Dask arrays passed straight to a compiled function: checked like NumPy values
(rank, static lengths, dtype with Theano's downcast rule), never computed."""
from __future__ import annotations

import math

import dask.array as da
import numpy as np


def accept_dask_array(ttype, value, allow_downcast, what):
    """`value` checked against `ttype` when it is a Dask array, else None (the caller
    then converts it the NumPy way)."""
    if not isinstance(value, da.Array):
        return None
    if value.ndim != ttype.ndim:
        raise TypeError(f'{what} must have {ttype.ndim} dimension(s) to match {ttype}, got a '
                        f'Dask array with {value.ndim} (shape {value.shape})')
    for axis, (want, got) in enumerate(zip(ttype.shape, value.shape)):
        # An unknown Dask length (NaN, after boolean indexing) is checked when computed.
        if want is not None and not math.isnan(got) and want != got:
            raise ValueError(f'{what} has length {got} on axis {axis}; {ttype} needs {want}')
    if value.dtype == ttype.dtype:
        return value
    if allow_downcast or np.can_cast(value.dtype, ttype.dtype, 'safe'):
        return value.astype(ttype.dtype)
    raise TypeError(f'{what}: a {value.dtype} Dask array would lose precision as {ttype.dtype}. '
                    f'Pass a {ttype.dtype} array (x.astype({ttype.dtype!r})), or compile with '
                    'allow_input_downcast=True to accept the downcast.')
