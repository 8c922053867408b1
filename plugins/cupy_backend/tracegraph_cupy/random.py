"""Random draws on the GPU: one kernel per elementwise distribution, from Philox.

Every value of an elementwise distribution (uniform, normal, integers, binomial)
is a function of its flat position alone (``tracegraph/random/philox.py``), so
each CUDA thread computes its own from `i` with `tg_philox.cuh`; uniform and
integer draws are bit-identical to the NumPy backend, normal ones agree up to the
rounding of log and tan.  The kernel is an `ElementwiseSpec` over
(key0, key1, draw, *parameters) -> values, so `hostcc` runs it on CI.

Whole draws (permutation, choice, multinomial) sort or search across all values;
they are drawn on the host by the reference implementation and uploaded.
"""
from __future__ import annotations

import numpy as np

from .elemwise_kernel import ElementwiseSpec
from .lowering import DEVICE, HOST, Call

_KEY = ('uint64', 'uint64', 'uint64')


def _uniform(dtype):
    if dtype == 'float32':
        value = 'tg_u24(in0, in1, in2, (unsigned long long)i)'
    else:
        value = '(double)tg_u53(tg_philox_word(in0, in1, in2, 0ull, (unsigned long long)i))'
    ct = 'float' if dtype == 'float32' else 'double'
    body = (f'const {ct} u = {value};\n'
            f'out0 = ({ct})(u * ({ct})(in4 - in3) + in3);')
    return (dtype, dtype), body


def _normal(dtype):
    body = ('const double z = tg_standard_normal(in0, in1, in2, (unsigned long long)i);\n'
            'out0 = z * (double)in4 + (double)in3;')
    return (dtype, dtype), body


def _integers(dtype):
    body = ('const unsigned long long span = (unsigned long long)in4 - (unsigned long long)in3;\n'
            'const unsigned long long w = tg_philox_word(in0, in1, in2, 0ull, (unsigned long long)i);\n'
            'out0 = (long long)((unsigned long long)in3 + __umul64hi(w, span));')
    return ('int64', 'int64'), body


def _binomial(dtype):
    body = ('long long count = 0;\n'
            'for (long long trial = 0; trial < in3; ++trial) {\n'
            '    count += tg_u53(tg_philox_word(in0, in1, in2, (unsigned long long)trial, '
            '(unsigned long long)i)) < in4;\n'
            '}\n'
            'out0 = count;')
    return ('int64', 'float64'), body


KERNELS = {'uniform': _uniform, 'normal': _normal, 'integers': _integers, 'binomial': _binomial}


def draw_spec(dist, dtype):
    """The kernel of one elementwise distribution drawing `dtype` values."""
    dtype = np.dtype(dtype).name
    param_dtypes, body = KERNELS[dist](dtype)
    return ElementwiseSpec(f'tg_draw_{dist}_{dtype}', _KEY + param_dtypes, (dtype,), body)


def lower_random(node):
    """Inputs: the state, the size (when the node has one), the parameters; outputs:
    the advanced state (host) and the values (device)."""
    op = node.op
    kwargs = (('dist', op.dist), ('has_size', op.has_size), ('dtype', np.dtype(op.dtype).name))
    size = (0, 1) if op.has_size else (0,)
    if op.dist in KERNELS:
        kwargs = (('kernel', draw_spec(op.dist, op.dtype)),) + kwargs
        return Call('runtime.draw', kwargs, host_inputs=size, output_on=(HOST, DEVICE))
    every = tuple(range(len(node.inputs)))
    return Call('runtime.draw_on_host', kwargs, host_inputs=every, output_on=(HOST, DEVICE))
