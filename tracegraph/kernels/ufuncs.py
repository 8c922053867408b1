"""Each scalar op as a NumPy function over arrays (a ufunc wherever NumPy has one).

KERNELS and SPECIAL together are the NumPy spelling table (the NumPy backend's, and
the Numba backend's blocked path's); a scalar op in neither is computed through its
record's decomposition (`ScalarOp.decompose`).  INTO holds the ops that are not one
ufunc call in a form that writes into a given output, for the blocked loop's scratch.
"""
from __future__ import annotations

import importlib

import numpy as np

from tracegraph.tensor.scalar import SCALAR_OPS, Builder, coverage


def _second(a, b):
    return np.array(np.broadcast_to(b, np.broadcast_shapes(np.shape(a), np.shape(b))))


def _round_half_away(x):
    truncated = np.trunc(x)
    halfway = np.abs(x - truncated) == 0.5
    return np.where(halfway, truncated + np.sign(x), np.rint(x))


def _log1mexp(x):
    # log(1 - exp(x)) for x <= 0: two formulas, each accurate on its side of -log 2.
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.where(x > -0.6931471805599453, np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


def _copy(x):
    return np.array(x, copy=True)


def _sigmoid_into(x, out):
    # 1 / (1 + exp(-x)) is accurate everywhere (exp overflow gives the right 0),
    # and unlike scipy's expit it runs on NumPy's SIMD exp.
    np.negative(x, out=out, dtype=out.dtype)    # an integer x as a float: -x may wrap
    np.exp(out, out=out)
    np.add(out, 1, out=out)
    np.reciprocal(out, out=out)


# Below minus these exp(-x) overflows (to the right result, 1 / inf = 0, with a warning).
_EXP_OVERFLOWS_BELOW = {np.dtype(np.float16): -11.0, np.dtype(np.float32): -88.0, np.dtype(np.float64): -709.0}


def _sigmoid(x):
    # SciPy's expit is a scalar loop: 2.4x eager 1 / (1 + exp(-x)) on 10^4 float64.
    x = np.asarray(x)
    out = np.empty(x.shape, dtype=x.dtype if x.dtype.kind == 'f' else np.float64)
    if x.size and not x.min() >= _EXP_OVERFLOWS_BELOW.get(out.dtype, -11.0):  # NaN: cannot tell
        with np.errstate(over='ignore'):   # ~2 µs, so only when it can overflow
            _sigmoid_into(x, out)
    else:
        _sigmoid_into(x, out)
    return out


KERNELS = {
    'add': np.add, 'sub': np.subtract, 'mul': np.multiply, 'true_div': np.true_divide,
    'int_div': np.floor_divide, 'mod': np.mod, 'pow': np.power, 'neg': np.negative,
    'abs': np.abs, 'sgn': np.sign, 'sqr': np.square, 'maximum': np.maximum,
    'minimum': np.minimum, 'clip': np.clip,
    'sqrt': np.sqrt, 'exp': np.exp, 'exp2': np.exp2, 'expm1': np.expm1, 'log': np.log,
    'log2': np.log2, 'log10': np.log10, 'log1p': np.log1p, 'sin': np.sin, 'cos': np.cos,
    'tan': np.tan, 'arcsin': np.arcsin, 'arccos': np.arccos, 'arctan': np.arctan,
    'arctan2': np.arctan2, 'sinh': np.sinh, 'cosh': np.cosh, 'tanh': np.tanh,
    'arcsinh': np.arcsinh, 'arccosh': np.arccosh, 'arctanh': np.arctanh,
    'softplus': lambda x: np.logaddexp(0, x), 'log1mexp': _log1mexp, 'sigmoid': _sigmoid,
    'floor': np.floor, 'ceil': np.ceil, 'trunc': np.trunc, 'round_half_to_even': np.rint,
    'round_half_away_from_zero': _round_half_away,
    'eq': np.equal, 'neq': np.not_equal, 'lt': np.less, 'le': np.less_equal,
    'gt': np.greater, 'ge': np.greater_equal, 'and_': np.bitwise_and, 'or_': np.bitwise_or,
    'xor': np.bitwise_xor, 'invert': np.invert, 'isnan': np.isnan, 'isinf': np.isinf,
    'switch': np.where, 'second': _second, 'identity': _copy,
}


# SciPy's ufuncs, imported when a graph first uses one: importing scipy.special costs
# about 0.15 s, which a process that never calls erf should not pay.
# A value that is not a name is a function of the scipy.special module.
SPECIAL = {'erf': 'erf', 'erfc': 'erfc', 'erfinv': 'erfinv',
           'gammaln': 'gammaln', 'psi': 'psi', 'gamma': 'gamma', 'gammainc': 'gammainc',
           'gammaincc': 'gammaincc', 'erfcinv': 'erfcinv', 'erfcx': 'erfcx', 'j0': 'j0', 'j1': 'j1',
           'i0': 'i0', 'i1': 'i1', 'xlogy0': 'xlogy',
           # psi'(x) = polygamma(1, x) = zeta(2, x), as a ufunc (polygamma is not one)
           'tri_gamma': lambda sp: lambda x: sp.zeta(2.0, x)}


def _softplus_into(x, out):
    np.logaddexp(0, x, out=out)


# Ops whose whole-array form returns a new array, written into `out` instead (float
# outputs only); the blocked loop would otherwise copy each block's result once more.
INTO = {'sigmoid': _sigmoid_into, 'softplus': _softplus_into}


def table():
    """The names this backend spells natively."""
    return set(KERNELS) | set(SPECIAL)


def kernel_named(name):
    if name in SPECIAL:
        special = importlib.import_module('scipy.special')
        entry = SPECIAL[name]
        return getattr(special, entry) if isinstance(entry, str) else entry(special)
    if name in KERNELS:
        return KERNELS[name]
    return _decomposed(SCALAR_OPS[name])


def _decomposed(op):
    """`op` computed by its record's decomposition, one NumPy call per scalar op."""
    if op.decompose is None:
        raise TypeError(f'the scalar op {op.name!r} has no NumPy kernel and no decomposition')

    def apply(step, args):
        dtypes = [np.asarray(a).dtype for a in args]
        return scalar_kernel(step, dtypes, step.output_dtype(dtypes))(*args)

    def const(value, like):
        dtype = np.asarray(like).dtype
        return np.asarray(value, dtype=dtype if dtype.kind in 'fc' else np.float64)

    def kernel(*args):
        # A decomposition computes branches a switch then discards (log(0) in xlogx):
        # their warnings are not the user's.
        with np.errstate(divide='ignore', invalid='ignore', over='ignore'):
            return op.decompose(Builder(apply, const), *args)
    kernel.__name__ = op.name
    return kernel


def check_coverage():
    """Every scalar op is spelled here or decomposes into ops that are (run at load)."""
    missing = coverage(table())['missing']
    if missing:
        raise ImportError(f'tracegraph.kernels.ufuncs has no kernel and no decomposition for {missing}')


_CACHED = {}


def cached_kernel(scalar_op, in_dtypes, dtype):
    """scalar_kernel, remembered: finding a kernel's dtypes costs a trial call."""
    key = (scalar_op, tuple(in_dtypes), dtype)
    kernel = _CACHED.get(key)
    if kernel is None:
        kernel = _CACHED[key] = scalar_kernel(scalar_op, list(in_dtypes), dtype)
    return kernel


def scalar_kernel(scalar_op, in_dtypes, out_dtype):
    """A NumPy function computing `scalar_op` on arrays of `in_dtypes`, giving `out_dtype`."""
    if scalar_op.name == 'cast':
        dtype = np.dtype(out_dtype)

        def cast(x):
            return np.asarray(x).astype(dtype)
        cast.__name__ = f'as_{dtype.name}'
        return cast
    base = kernel_named(scalar_op.name)
    common = scalar_op.input_dtype(list(in_dtypes))
    if _result_dtype(base, in_dtypes) == out_dtype:
        return base
    if common is not None and _result_dtype(base, [common] * len(in_dtypes)) == out_dtype:
        common_dt = np.dtype(common)

        def upcast_inputs(*args):
            return base(*(np.asarray(a, dtype=common_dt) for a in args))
        upcast_inputs.__name__ = scalar_op.name
        return upcast_inputs
    out_dt = np.dtype(out_dtype)

    def cast_output(*args):
        return np.asarray(base(*args)).astype(out_dt, copy=False)
    cast_output.__name__ = scalar_op.name
    return cast_output


def _result_dtype(fn, dtypes):
    with np.errstate(all='ignore'):
        try:
            return np.asarray(fn(*(np.ones((), dtype=d) for d in dtypes))).dtype.name
        except (TypeError, ValueError):
            return None


check_coverage()
