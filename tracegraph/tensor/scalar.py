"""The scalar ops: elementwise math is one `Elemwise` op over one of these.

Each row of the table is a scalar function with its arity, its output-dtype rule
and how `pp` spells it.  Backends lower these once (a NumPy ufunc, a line of a
Numba loop, a CUDA C expression); fusion chains them into a `Composite`.
Gradients of scalar ops live in `tracegraph/autodiff/scalar_grads.py`, one line each.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _float_of(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind in 'fc':
        return dtype.name
    return np.result_type(dtype, np.float32).name  # int8/16 -> float32, int32/64 -> float64


_DTYPE_RULES = {
    'upcast': lambda dts: np.result_type(*dts).name,
    'float': lambda dts: _float_of(np.result_type(*dts)),
    'bool': lambda dts: 'bool',
    'last': lambda dts: np.dtype(dts[-1]).name,
    'after_first': lambda dts: np.result_type(*dts[1:]).name,
    'int': lambda dts: 'int64' if np.result_type(*dts).kind in 'iub' else np.result_type(*dts).name,
}


@dataclass(frozen=True)
class ScalarOp:
    """A scalar function.  `dtype` is set only for casts; `infix` is how pp spells it."""

    name: str
    nin: int
    rule: str = 'upcast'
    infix: str | None = None
    dtype: str | None = None

    def output_dtype(self, input_dtypes):
        if self.dtype is not None:
            return self.dtype
        return _DTYPE_RULES[self.rule](input_dtypes)

    def input_dtype(self, input_dtypes):
        """The common dtype the inputs are brought to before computing."""
        if self.name in ('switch',):
            return np.result_type(*input_dtypes[1:]).name
        if self.name == 'second' or self.dtype is not None:
            return None
        if self.rule == 'float':
            return _float_of(np.result_type(*input_dtypes))
        return np.result_type(*input_dtypes).name

    def __str__(self):
        return f'cast{{{self.dtype}}}' if self.dtype is not None else self.name


def _table(*rows):
    return {row.name: row for row in rows}


SCALAR_OPS = _table(
    # arithmetic
    ScalarOp('add', 2, infix='+'), ScalarOp('sub', 2, infix='-'), ScalarOp('mul', 2, infix='*'),
    ScalarOp('true_div', 2, 'float', infix='/'), ScalarOp('int_div', 2, infix='//'),
    ScalarOp('mod', 2, infix='%'), ScalarOp('pow', 2, infix='**'),
    ScalarOp('neg', 1, infix='-'), ScalarOp('abs', 1), ScalarOp('sgn', 1), ScalarOp('sqr', 1),
    ScalarOp('maximum', 2), ScalarOp('minimum', 2), ScalarOp('clip', 3),
    # transcendental
    ScalarOp('sqrt', 1, 'float'), ScalarOp('exp', 1, 'float'), ScalarOp('exp2', 1, 'float'),
    ScalarOp('expm1', 1, 'float'), ScalarOp('log', 1, 'float'), ScalarOp('log2', 1, 'float'),
    ScalarOp('log10', 1, 'float'), ScalarOp('log1p', 1, 'float'),
    ScalarOp('sin', 1, 'float'), ScalarOp('cos', 1, 'float'), ScalarOp('tan', 1, 'float'),
    ScalarOp('arcsin', 1, 'float'), ScalarOp('arccos', 1, 'float'), ScalarOp('arctan', 1, 'float'),
    ScalarOp('arctan2', 2, 'float'), ScalarOp('sinh', 1, 'float'), ScalarOp('cosh', 1, 'float'),
    ScalarOp('tanh', 1, 'float'), ScalarOp('arcsinh', 1, 'float'), ScalarOp('arccosh', 1, 'float'),
    ScalarOp('arctanh', 1, 'float'),
    ScalarOp('erf', 1, 'float'), ScalarOp('erfc', 1, 'float'), ScalarOp('erfinv', 1, 'float'),
    ScalarOp('sigmoid', 1, 'float'), ScalarOp('softplus', 1, 'float'),
    ScalarOp('log1mexp', 1, 'float'),
    # rounding
    ScalarOp('floor', 1, 'float'), ScalarOp('ceil', 1, 'float'), ScalarOp('trunc', 1, 'float'),
    ScalarOp('round_half_to_even', 1, 'float'), ScalarOp('round_half_away_from_zero', 1, 'float'),
    # comparisons and logic
    ScalarOp('eq', 2, 'bool', infix='=='), ScalarOp('neq', 2, 'bool', infix='!='),
    ScalarOp('lt', 2, 'bool', infix='<'), ScalarOp('le', 2, 'bool', infix='<='),
    ScalarOp('gt', 2, 'bool', infix='>'), ScalarOp('ge', 2, 'bool', infix='>='),
    ScalarOp('and_', 2, infix='&'), ScalarOp('or_', 2, infix='|'), ScalarOp('xor', 2, infix='^'),
    ScalarOp('invert', 1, infix='~'), ScalarOp('isnan', 1, 'bool'), ScalarOp('isinf', 1, 'bool'),
    # selection and plumbing
    ScalarOp('switch', 3, 'after_first'), ScalarOp('second', 2, 'last'), ScalarOp('identity', 1),
)


def cast_op(dtype):
    return ScalarOp('cast', 1, dtype=np.dtype(dtype).name)


@dataclass(frozen=True)
class Composite:
    """Several scalar ops fused into one: a small straight-line program.

    `steps[k] = (scalar_op, args, dtype)` computes value `nin + k` from earlier
    values (inputs are values 0..nin-1); `outputs` lists the values returned.
    """

    in_dtypes: tuple
    steps: tuple
    outputs: tuple
    name = 'composite'
    rule = 'composite'
    infix = None

    @property
    def nin(self):
        return len(self.in_dtypes)

    @property
    def nout(self):
        return len(self.outputs)

    def output_dtypes(self):
        dtypes = list(self.in_dtypes) + [dtype for _, _, dtype in self.steps]
        return [dtypes[i] for i in self.outputs]

    def output_dtype(self, input_dtypes):
        return self.output_dtypes()[0]

    def input_dtype(self, input_dtypes):
        return None

    def __str__(self):
        names = [f'i{k}' for k in range(self.nin)]
        for op, args, _ in self.steps:
            names.append(f'{op}({", ".join(names[a] for a in args)})')
        return 'Composite{' + ', '.join(names[o] for o in self.outputs) + '}'
