"""Batch normalization, at Theano 1.0's path `theano.tensor.nnet.bn`.

Built from elementwise ops and reductions, so the gradients, the fusion of the
elementwise parts and every backend come from the ops that already exist; Theano's
separate training, inference and gradient ops only existed to reach cuDNN.  The
return values are Theano's: the normalized output, the batch mean and the inverse
standard deviation (shaped like gamma), and optionally the new running averages,
the running variance with Theano's unbiased correction m / (m - 1).
"""
from __future__ import annotations

import numpy as np

from .. import math as m
from ..basic import as_tensor_variable
from ... import config


def batch_normalization(inputs, gamma, beta, mean, std, mode='low_mem'):
    """(inputs - mean) * gamma / std + beta; every argument broadcastable against inputs.

    `mode` ('low_mem' or 'high_mem') chose between two Theano kernels; both compute
    the same values here (the rewrite step fuses the expression either way).
    """
    if mode not in ('low_mem', 'high_mem'):
        raise ValueError('mode must be either "low_mem", "high_mem"')
    inputs, gamma, beta, mean, std = (as_tensor_variable(v) for v in (inputs, gamma, beta, mean, std))
    if mode == 'low_mem':
        return m.add(m.mul(m.true_div(m.sub(inputs, mean), std), gamma), beta)
    return m.add(m.mul(m.sub(inputs, mean), m.true_div(gamma, std)), beta)


def _axes(axes, ndim):
    """Theano's normalization axes and the axes the parameters keep."""
    if isinstance(axes, str) and axes == 'per-activation':
        axes = (0,)
    elif isinstance(axes, str) and axes == 'spatial':
        axes = (0,) + tuple(range(2, ndim))
    elif isinstance(axes, (tuple, list, np.ndarray)):
        axes = tuple(int(a) for a in axes)
    else:
        raise ValueError(f'invalid axes: {axes}')
    axes = tuple(sorted(axes))
    if len(axes) == 0:
        raise ValueError('there should be at least one normalization axis')
    if min(axes) < 0 or max(axes) >= ndim:
        raise ValueError(f'axes should be less than ndim (<{ndim}), but {axes} given')
    return axes, tuple(i for i in range(ndim) if i not in axes)


def _broadcast_params(ndim, axes, kept, named):
    """The parameters as tensors of the inputs' rank (Theano accepts either rank)."""
    first = as_tensor_variable(next(iter(named.values())))
    params_ndim = ndim if first.ndim == ndim else len(kept)
    pattern = ['x'] * ndim
    for i, axis in enumerate(kept):
        pattern[axis] = i
    out = {}
    for name, value in named.items():
        value = as_tensor_variable(value)
        if value.ndim != params_ndim:
            raise ValueError(f'batch normalization: {name} has {value.ndim} dimensions; gamma, beta, '
                             'mean and var must match the number of non-normalized axes '
                             f'({len(kept)}) or have the dimensions of the inputs ({ndim})')
        out[name] = value if params_ndim == ndim else m.dimshuffle(value, pattern)
    return out, params_ndim != ndim


def _check_epsilon(epsilon):
    if np.asarray(epsilon, dtype=config.floatX) < 1e-5:
        raise ValueError(f'epsilon must be at least 1e-5, got {epsilon}')


def batch_normalization_train(inputs, gamma, beta, axes='per-activation', epsilon=1e-4,
                              running_average_factor=0.1, running_mean=None, running_var=None):
    """Normalize with the batch's own statistics over `axes`.

    Returns (out, mean, invstd), plus (new_running_mean, new_running_var) when the
    running averages are given.  `axes`: 'per-activation' (axis 0), 'spatial' (axis 0
    and every axis after the second) or a tuple.  gamma and beta either have the
    inputs' rank (length 1 on `axes`) or only the kept axes; mean and invstd come
    back in the same form.
    """
    inputs = as_tensor_variable(inputs)
    ndim = inputs.ndim
    axes, kept = _axes(axes, ndim)
    _check_epsilon(epsilon)
    if (running_mean is None) != (running_var is None):
        raise ValueError('running_mean and running_var must either both be given or both be None')
    named = {'gamma': gamma, 'beta': beta}
    if running_mean is not None:
        named.update(running_mean=running_mean, running_var=running_var)
    p, reduced = _broadcast_params(ndim, axes, kept, named)
    mean = m.mean(inputs, axis=axes, keepdims=True)
    var = m.var(inputs, axis=axes, keepdims=True)
    invstd = m.true_div(1.0, m.sqrt(m.add(var, epsilon)))
    out = m.add(m.mul(m.sub(inputs, mean), m.mul(p['gamma'], invstd)), p['beta'])
    results = [mean, invstd]
    if running_mean is not None:
        factor = running_average_factor
        count = m.cast(m.true_div(m.prod(m.shape(inputs)), m.prod(m.shape(mean))), var.dtype)
        results.append(m.add(m.mul(p['running_mean'], 1.0 - factor), m.mul(mean, factor)))
        unbiased = m.mul(m.true_div(count, m.sub(count, 1)), var)
        results.append(m.add(m.mul(p['running_var'], 1.0 - factor), m.mul(unbiased, factor)))
    if reduced:
        results = [m.dimshuffle(r, list(kept)) for r in results]
    return tuple([out] + results)


def batch_normalization_test(inputs, gamma, beta, mean, var, axes='per-activation', epsilon=1e-4):
    """Normalize with given statistics: (inputs - mean) * gamma / sqrt(var + epsilon) + beta."""
    inputs = as_tensor_variable(inputs)
    axes, kept = _axes(axes, inputs.ndim)
    _check_epsilon(epsilon)
    p, _ = _broadcast_params(inputs.ndim, axes, kept, {'gamma': gamma, 'beta': beta, 'mean': mean, 'var': var})
    scale = m.true_div(p['gamma'], m.sqrt(m.add(p['var'], epsilon)))
    return m.add(m.mul(m.sub(inputs, p['mean']), scale), p['beta'])
