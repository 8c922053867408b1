"""RandomVariable: the op that draws from a stream.

Inputs: the stream's state, then the size (an int64 vector; absent when the shape
comes from the parameters), then the distribution's parameters.  Outputs: the
state after the draw (the update of `rv.rng`) and the values.  Backends lower it
through the ``tracegraph_lower_random`` hook and must reproduce ``philox.py``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir import Apply, Op, Variable
from ..tensor.basic import as_tensor_variable, constant
from ..tensor.elemwise import broadcast_shapes
from ..tensor.math import cast
from ..tensor.shape_ops import Reshape, shape_vector
from ..tensor.type import TensorType
from ..tensor.variable import TensorConstant
from .distributions import DISTRIBUTIONS
from .state import RandomStateType, random_state_type

_KIND_DTYPES = {'f8': 'float64', 'i8': 'int64'}


@dataclass(frozen=True)
class RandomVariable(Op):
    """Draw `dist` (a name in ``distributions.DISTRIBUTIONS``) as `dtype` values."""

    dist: str
    dtype: str
    has_size: bool = True

    lowering_hook = 'tracegraph_lower_random'

    @property
    def distribution(self):
        return DISTRIBUTIONS[self.dist]

    def make_node(self, rng, *inputs):
        if not isinstance(rng, Variable) or not isinstance(rng.type, RandomStateType):
            raise TypeError(f'{self}: the first input must be a random state, got {rng!r}')
        size, params = (inputs[0], inputs[1:]) if self.has_size else (None, inputs)
        dist = self.distribution
        if dist.float_only and np.dtype(self.dtype).kind != 'f':
            raise TypeError(f'{self.dist} draws floats; dtype {self.dtype} is not a float dtype')
        if len(params) != len(dist.params):
            raise TypeError(f'{self.dist} takes parameters {dist.params}, got {len(params)}')
        params = [_param(p, kind, self.dtype, name) for p, kind, name
                  in zip(params, dist.param_kinds, dist.params)]
        shape = self._static_shape(size, params)
        size_in = [] if size is None else [size]
        return Apply(self, [rng] + size_in + params,
                     [random_state_type(), TensorType(self.dtype, shape)()])

    def _static_shape(self, size, params):
        rule = self.distribution.shape_rule
        if rule == 'pvals':
            return params[-1].type.shape
        if size is None:
            ndim = max((p.ndim for p in params), default=0)
            return broadcast_shapes([(1,) * (ndim - p.ndim) + p.type.shape for p in params],
                                    op=self.dist)
        if isinstance(size, TensorConstant):
            known = tuple(int(s) for s in size.data)
        else:
            known = (None,) * size.type.shape[0]
        if rule == 'size+n':
            n = params[0]
            known += (int(n.data) if isinstance(n, TensorConstant) else None,)
        return known

    def __str__(self):
        return f'{self.dist}{{{self.dtype}}}'


def _param(value, kind, float_dtype, name):
    dtype = float_dtype if kind == 'float' else _KIND_DTYPES[kind]
    if not isinstance(value, Variable):
        return constant(np.asarray(value, dtype=dtype))
    v = as_tensor_variable(value)
    if v.dtype == dtype:
        return v
    if isinstance(v, TensorConstant):
        data = np.asarray(v.data)
        converted = data.astype(dtype)
        if not np.array_equal(converted, data) and np.dtype(dtype).kind in 'iu':
            raise TypeError(f'parameter {name}={data} is not an integer')
        return constant(converted)
    return cast(v, dtype)


def size_input(size, ndim=None):
    """A user's `size` (ints, scalars, a vector) as an int64 vector of known length."""
    v = shape_vector(size)
    length = v.type.shape[0]
    if length is None:
        if ndim is None:
            raise ValueError(f'size {size} is a vector of unknown length: pass ndim= '
                             '(the number of dimensions of the draw)')
        return Reshape(1)(v, constant(np.array([ndim], dtype='int64')))
    if ndim is not None and ndim != length:
        raise ValueError(f'size {size} has {length} entries but ndim={ndim}')
    return v
