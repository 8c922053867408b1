"""Each scalar op as a C++ expression: the one table the CUDA kernels are made from.

A row maps a scalar op to templates by the kind of its *compute type* ('f' float,
'i' signed int, 'u' unsigned int, 'b' bool): `{0}`, `{1}`, `{2}` stand for the
arguments (already converted to the compute type, so each appears as a plain
name and may be repeated) and `{T}` for the compute type's C name.  The helpers
named `tg_*` live in `tg_scalar.cuh`.  A kind missing from a row is a dtype NumPy
itself refuses for that op (e.g. `sub` of booleans); asking for it is an error.

The compute type follows the NumPy backend exactly: the dtype the scalar op
brings its inputs to (`ScalarOp.input_dtype`), with float16 computed in float32
(as NumPy's half loops do) and booleans in int8 where NumPy has only an int8 loop.
"""
from __future__ import annotations

import numpy as np

from tracegraph.tensor.scalar import SCALAR_OPS, Builder, coverage

C_TYPES = {
    'bool': 'bool', 'int8': 'signed char', 'int16': 'short', 'int32': 'int', 'int64': 'long long',
    'uint8': 'unsigned char', 'uint16': 'unsigned short', 'uint32': 'unsigned int',
    'uint64': 'unsigned long long', 'float16': 'float16', 'float32': 'float', 'float64': 'double',
}

_U = '(unsigned long long)'


def _wrap(op):
    """Integer arithmetic modulo 2**64, then truncated: NumPy's wrap-around, defined in C++."""
    return f'({{T}})({_U}{{0}} {op} {_U}{{1}})'


def _same(template):
    return {'f': template, 'i': template, 'u': template, 'b': template}


def _float(fn):
    return {'f': f'{fn}({{0}})'}


CXX = {
    'add': {'f': '({0} + {1})', 'i': _wrap('+'), 'u': _wrap('+'), 'b': '({0} || {1})'},
    'sub': {'f': '({0} - {1})', 'i': _wrap('-'), 'u': _wrap('-')},
    'mul': {'f': '({0} * {1})', 'i': _wrap('*'), 'u': _wrap('*'), 'b': '({0} && {1})'},
    'true_div': {'f': '({0} / {1})'},
    'int_div': {'f': 'tg_floordiv({0}, {1})', 'i': 'tg_floordiv_int<{T}>({0}, {1})',
                'u': 'tg_floordiv_int<{T}>({0}, {1})'},
    'mod': {'f': 'tg_mod({0}, {1})', 'i': 'tg_mod_int<{T}>({0}, {1})', 'u': 'tg_mod_int<{T}>({0}, {1})'},
    'pow': {'f': 'pow({0}, {1})', 'i': 'tg_ipow<{T}>({0}, {1})', 'u': 'tg_ipow<{T}>({0}, {1})'},
    'neg': {'f': '(-{0})', 'i': f'({{T}})(0ull - {_U}{{0}})', 'u': f'({{T}})(0ull - {_U}{{0}})'},
    'abs': {'f': 'fabs({0})', 'i': f'({{0}} < 0 ? ({{T}})(0ull - {_U}{{0}}) : {{0}})', 'u': '{0}',
            'b': '{0}'},
    'sgn': {'f': 'tg_sign({0})', 'i': '({T})(({0} > 0) - ({0} < 0))', 'u': '({T})({0} > 0)'},
    'sqr': {'f': '({0} * {0})', 'i': _wrap('*').replace('{1}', '{0}'),
            'u': _wrap('*').replace('{1}', '{0}')},
    'maximum': _same('tg_maximum<{T}>({0}, {1})'),
    'minimum': _same('tg_minimum<{T}>({0}, {1})'),
    'clip': _same('tg_minimum<{T}>(tg_maximum<{T}>({0}, {1}), {2})'),
    'sqrt': _float('sqrt'), 'exp': _float('exp'), 'exp2': _float('exp2'), 'expm1': _float('expm1'),
    'log': _float('log'), 'log2': _float('log2'), 'log10': _float('log10'), 'log1p': _float('log1p'),
    'sin': _float('sin'), 'cos': _float('cos'), 'tan': _float('tan'), 'arcsin': _float('asin'),
    'arccos': _float('acos'), 'arctan': _float('atan'), 'arctan2': {'f': 'atan2({0}, {1})'},
    'sinh': _float('sinh'), 'cosh': _float('cosh'), 'tanh': _float('tanh'),
    'arcsinh': _float('asinh'), 'arccosh': _float('acosh'), 'arctanh': _float('atanh'),
    'erf': _float('erf'), 'erfc': _float('erfc'), 'erfinv': _float('tg_erfinv'),
    'sigmoid': _float('tg_sigmoid'), 'softplus': _float('tg_softplus'),
    'log1mexp': _float('tg_log1mexp'),
    'floor': _float('floor'), 'ceil': _float('ceil'), 'trunc': _float('trunc'),
    # rint rounds half to even in the default rounding mode; round() half away from zero.
    'round_half_to_even': _float('rint'), 'round_half_away_from_zero': _float('round'),
    'eq': _same('({0} == {1})'), 'neq': _same('({0} != {1})'), 'lt': _same('({0} < {1})'),
    'le': _same('({0} <= {1})'), 'gt': _same('({0} > {1})'), 'ge': _same('({0} >= {1})'),
    'and_': {'i': '({T})({0} & {1})', 'u': '({T})({0} & {1})', 'b': '({0} && {1})'},
    'or_': {'i': '({T})({0} | {1})', 'u': '({T})({0} | {1})', 'b': '({0} || {1})'},
    'xor': {'i': '({T})({0} ^ {1})', 'u': '({T})({0} ^ {1})', 'b': '({0} != {1})'},
    'invert': {'i': '({T})(~{0})', 'u': '({T})(~{0})', 'b': '(!{0})'},
    'isnan': {'f': 'isnan({0})', 'i': 'false', 'u': 'false', 'b': 'false'},
    'isinf': {'f': 'isinf({0})', 'i': 'false', 'u': 'false', 'b': 'false'},
    # Special functions CUDA's math library has (cuda_host.h gives the host compiler
    # the same names); psi, tri_gamma, gammainc and gammaincc, which it lacks, from
    # tg_scalar.cuh.  erfcinv, erfcx, xlogx and xlogy0 use their decompositions.
    'gammaln': _float('lgamma'), 'gamma': _float('tgamma'), 'j0': _float('j0'), 'j1': _float('j1'),
    'i0': _float('cyl_bessel_i0'), 'i1': _float('cyl_bessel_i1'), 'psi': _float('tg_psi'),
    'tri_gamma': _float('tg_tri_gamma'), 'gammainc': {'f': 'tg_gammainc({0}, {1})'},
    'gammaincc': {'f': 'tg_gammaincc({0}, {1})'},
    'switch': _same('({0} ? {1} : {2})'),
    'second': _same('{1}'),
    'identity': _same('{0}'),
    'cast': _same('{0}'),
}

# Ops whose only NumPy loop for booleans is the int8 one.
_BOOL_AS_INT8 = {'int_div', 'mod', 'pow', 'sqr'}


class ScalarLoweringError(TypeError):
    """A scalar op has no C++ form for these dtypes (NumPy refuses them too)."""


def c_type(dtype):
    name = np.dtype(dtype).name
    if name not in C_TYPES:
        raise ScalarLoweringError(f'dtype {name} has no CUDA kernel type in tracegraph-cupy '
                                  f'(supported: {", ".join(C_TYPES)})')
    return C_TYPES[name]


def compute_dtype(scalar_op, in_dtypes):
    """The dtype an op computes in: NumPy's loop dtype for these inputs."""
    name = scalar_op.name
    if name == 'cast':
        dtype = np.dtype(in_dtypes[0]).name
    elif name == 'second':
        dtype = np.dtype(in_dtypes[1]).name
    else:
        dtype = scalar_op.input_dtype(list(in_dtypes))
    if dtype == 'float16':
        return 'float32'
    if dtype == 'bool' and name in _BOOL_AS_INT8:
        return 'int8'
    return dtype


_COMPARE = {'eq': '==', 'neq': '!=', 'lt': '<', 'le': '<=', 'gt': '>', 'ge': '>='}


def _signed_unsigned_compare(scalar_op, args, in_dtypes):
    """Comparisons of a signed with a 64-bit unsigned integer compare exactly (as NumPy
    does), not in float64, their common type; None for other dtypes."""
    kinds = [np.dtype(d).kind for d in in_dtypes]
    if scalar_op.name not in _COMPARE or sorted(kinds) != ['i', 'u']:
        return None
    if np.dtype(scalar_op.input_dtype(list(in_dtypes))).kind != 'f':
        return None
    s, u = (0, 1) if kinds[0] == 'i' else (1, 0)
    sign = '' if s == 0 else '-'
    return (f'({sign}tg_cmp_su((long long){args[s]}, (unsigned long long){args[u]}) '
            f'{_COMPARE[scalar_op.name]} 0)')


def expression(scalar_op, args, in_dtypes):
    """C++ for `scalar_op` applied to the C names `args` of values of `in_dtypes`.

    Returns (text, compute dtype); the caller converts the text to the output type.
    """
    exact = _signed_unsigned_compare(scalar_op, args, in_dtypes)
    if exact is not None:
        return exact, 'bool'
    compute = compute_dtype(scalar_op, in_dtypes)
    row = CXX.get(scalar_op.name)
    if row is None:
        if getattr(scalar_op, 'decompose', None) is not None:
            return _decomposed(scalar_op, args, in_dtypes)
        raise ScalarLoweringError(f'scalar op {scalar_op.name!r} has no C++ form in tracegraph-cupy '
                                  '(no CUDA function and no decomposition)')
    ctype = c_type(compute)
    template = row.get(np.dtype(compute).kind)
    if template is None:
        raise ScalarLoweringError(f'{scalar_op.name} of {", ".join(map(str, in_dtypes))} has no '
                                  f'C++ form (NumPy has no {compute} loop for it either)')
    converted = [_convert(a, d, compute, pos, scalar_op.name) for pos, (a, d) in
                 enumerate(zip(args, in_dtypes))]
    return template.format(*converted, T=ctype), compute


def _convert(arg, dtype, compute, position, name):
    """An argument brought to the compute type (a switch's condition to bool)."""
    if name == 'switch' and position == 0:
        target = 'bool'
    elif name == 'second' and position == 0:
        return arg  # unused: its dtype need not convert
    else:
        target = compute
    if np.dtype(dtype).name == target:
        return arg
    return f'(({c_type(target)}){arg})'


def _decomposed(scalar_op, args, in_dtypes):
    """The op written as its record's decomposition: nested C++ of (text, dtype) values."""
    def apply(step, values):
        dtypes = [d for _, d in values]
        text, compute = expression(step, [t for t, _ in values], dtypes)
        out = step.output_dtype(dtypes)
        return (text if compute == out else f'(({c_type(out)}){text})'), out

    def const(value, like):
        dtype = like[1] if np.dtype(like[1]).kind == 'f' else 'float64'
        return f'(({c_type(dtype)}){float(value)!r})', dtype

    text, dtype = scalar_op.decompose(Builder(apply, const), *zip(args, in_dtypes))
    return text, dtype


def scalar_coverage():
    """Which scalar ops the CUDA kernels spell, decompose, or lack (`backends --coverage`)."""
    return coverage(set(CXX))
