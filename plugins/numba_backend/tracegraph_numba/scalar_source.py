"""Each scalar op as a Numba expression over scalars.

`scalar_expr` writes one step of an elementwise computation: its arguments are
brought to the op's common dtype, the expression is computed, and the result is
cast to the step's declared dtype, so each step rounds exactly where the NumPy
backend (the reference) rounds.  Ops that need more than an expression use a
small `@njit` helper from helpers.py (special.py for SciPy's special functions).
EXPRESSIONS is this backend's one spelling table; an op missing from it is written
through its record's decomposition (`ScalarOp.decompose`).
"""
from __future__ import annotations

import numpy as np

from tracegraph.tensor.scalar import SCALAR_OPS, Builder, coverage

# op name -> expression template over {0}, {1}, ... (scalars of the common dtype).
EXPRESSIONS = {
    'add': '({0} + {1})', 'sub': '({0} - {1})', 'mul': '({0} * {1})',
    'true_div': '({0} / {1})', 'int_div': '({0} // {1})', 'mod': '({0} % {1})',
    'pow': '({0} ** {1})', 'neg': '(-{0})', 'abs': 'abs({0})', 'sgn': 'np.sign({0})',
    'sqr': '({0} * {0})', 'maximum': 'nb_maximum({0}, {1})', 'minimum': 'nb_minimum({0}, {1})',
    'clip': 'nb_minimum(nb_maximum({0}, {1}), {2})',
    'sqrt': 'np.sqrt({0})', 'exp': 'np.exp({0})', 'exp2': 'np.exp2({0})', 'expm1': 'np.expm1({0})',
    'log': 'np.log({0})', 'log2': 'np.log2({0})', 'log10': 'np.log10({0})', 'log1p': 'np.log1p({0})',
    'sin': 'np.sin({0})', 'cos': 'np.cos({0})', 'tan': 'np.tan({0})', 'arcsin': 'np.arcsin({0})',
    'arccos': 'np.arccos({0})', 'arctan': 'np.arctan({0})', 'arctan2': 'np.arctan2({0}, {1})',
    'sinh': 'np.sinh({0})', 'cosh': 'np.cosh({0})', 'tanh': 'np.tanh({0})',
    'arcsinh': 'np.arcsinh({0})', 'arccosh': 'np.arccosh({0})', 'arctanh': 'np.arctanh({0})',
    'erf': 'math.erf({0})', 'erfc': 'math.erfc({0})',
    'sigmoid': 'nb_sigmoid({0})', 'softplus': 'nb_softplus({0})', 'log1mexp': 'nb_log1mexp({0})',
    'floor': 'np.floor({0})', 'ceil': 'np.ceil({0})', 'trunc': 'np.trunc({0})',
    'round_half_to_even': 'np.rint({0})', 'round_half_away_from_zero': 'nb_round_away({0})',
    'eq': '({0} == {1})', 'neq': '({0} != {1})', 'lt': '({0} < {1})', 'le': '({0} <= {1})',
    'gt': '({0} > {1})', 'ge': '({0} >= {1})',
    'and_': '({0} & {1})', 'or_': '({0} | {1})', 'xor': '({0} ^ {1})', 'invert': '(~{0})',
    'isnan': 'np.isnan({0})', 'isinf': 'np.isinf({0})',
    'switch': '({1} if {0} else {2})', 'second': '{1}', 'identity': '{0}',
    'tri_gamma': 'nb_sp_tri_gamma({0})',
}

# SciPy's special functions through their C entry points (special.py), the NumPy backend's
# own code (erfcx and erfcinv too: their decompositions lose accuracy): op -> the name of
# the float64 function in scipy.special.cython_special, spelled `nb_sp_<op>(args.., 0)`
# (each C function takes a last `int skip_dispatch`).
SCIPY_FUNCTIONS = {
    'gammaln': 'gammaln', 'psi': '__pyx_fuse_1psi', 'gamma': '__pyx_fuse_1gamma', 'gammainc': 'gammainc',
    'gammaincc': 'gammaincc', 'erfcinv': 'erfcinv', 'erfcx': '__pyx_fuse_1erfcx', 'j0': 'j0', 'j1': 'j1',
    'i0': 'i0', 'i1': 'i1', 'xlogy0': '__pyx_fuse_1xlogy', 'erfinv': '__pyx_fuse_0erfinv',
}
for _op in SCIPY_FUNCTIONS:
    EXPRESSIONS[_op] = f'nb_sp_{_op}(' + ''.join('{%d}, ' % k for k in range(SCALAR_OPS[_op].nin)) + '0)'

# Spellings for one kind of the common dtype (NumPy's kind letter), over EXPRESSIONS':
# NumPy's logical not of booleans (Python's ~True is -2); isnan and isinf of integers;
# INT_MIN // -1 and negative powers of signed integers (helpers.py); real exp,
# tanh and sigmoid that LLVM can vectorize (vector_math.py; complex values keep NumPy's).
BY_KIND = {
    ('invert', 'b'): '(not {0})', **{(name, kind): 'False' for name in ('isnan', 'isinf') for kind in 'biu'},
    ('int_div', 'i'): 'nb_int_floordiv({0}, {1})', ('pow', 'i'): 'nb_int_pow({0}, {1})',
    ('exp', 'f'): 'nb_exp({0})', ('tanh', 'f'): 'nb_tanh({0})', ('sigmoid', 'f'): 'nb_sigmoid({0})',
}


def np_type(dtype):
    """`np.float32`-style spelling of a dtype (a Numba-callable constructor)."""
    return f'np.{np.dtype(dtype).name}'


def cast(expr, from_dtype, to_dtype):
    """`expr` (a scalar of `from_dtype`) as `to_dtype`, with NumPy's conversion rules."""
    if np.dtype(from_dtype) == np.dtype(to_dtype):
        return expr
    if np.dtype(to_dtype) == np.bool_:
        return f'({expr} != 0)'
    return f'{np_type(to_dtype)}({expr})'


def literal(value, dtype):
    """A scalar constant as typed Numba source."""
    dtype = np.dtype(dtype)
    value = np.asarray(value, dtype=dtype).item()
    if dtype == np.bool_:
        return repr(bool(value))
    text = repr(value)
    if dtype.kind == 'f':   # Python source but for the specials, which NumPy names
        text = text.replace('inf', 'np.inf').replace('nan', 'np.nan')
    return f'{np_type(dtype)}({text})'


def scalar_expr(op, args, arg_dtypes, out_dtype):
    """Source computing `op` on scalar expressions `args`, giving a scalar of `out_dtype`."""
    if op.name == 'cast':
        return cast(args[0], arg_dtypes[0], out_dtype)
    if op.name not in EXPRESSIONS:
        return _decomposed(op, args, arg_dtypes, out_dtype)
    common = op.input_dtype(list(arg_dtypes))
    if common is not None:
        first = 1 if op.name == 'switch' else 0     # switch's condition keeps its dtype
        args = list(args[:first]) + [cast(a, d, common) for a, d in zip(args[first:], arg_dtypes[first:])]
    kind = np.dtype(common if common is not None else arg_dtypes[-1]).kind
    expr = BY_KIND.get((op.name, kind), EXPRESSIONS[op.name]).format(*args)
    if op.rule == 'bool':
        return expr
    # Numba widens small ints (and mixes float32 with Python floats); the cast puts
    # every step back in the dtype the graph declares.
    return f'{np_type(out_dtype)}({expr})' if np.dtype(out_dtype) != np.bool_ else f'({expr} != 0)'


def _decomposed(op, args, arg_dtypes, out_dtype):
    """`op` written as its record's decomposition: nested expressions of (source, dtype)."""
    if op.decompose is None:
        raise TypeError(f'the scalar op {op.name!r} has no Numba expression and no decomposition')

    def apply(step, values):
        dtypes = [d for _, d in values]
        dtype = step.output_dtype(dtypes)
        return scalar_expr(step, [e for e, _ in values], dtypes, dtype), dtype

    def const(value, like):
        dtype = like[1] if np.dtype(like[1]).kind in 'fc' else 'float64'
        return literal(value, dtype), dtype

    expr, dtype = op.decompose(Builder(apply, const), *zip(args, arg_dtypes))
    return cast(expr, dtype, out_dtype)


def check_coverage():
    """Every scalar op has an expression here or a decomposition into ops that do."""
    missing = coverage(set(EXPRESSIONS))['missing']
    if missing:
        raise ImportError(f'tracegraph-numba has no expression and no decomposition for {missing}')


check_coverage()
