"""Every scalar op's CUDA kernel, compiled on the host, against the NumPy backend.

The kernel text is exactly what `cupy.ElementwiseKernel` receives on a GPU; here
g++ compiles it through `cuda_host.h` (all kernels of this module in one run).
Exact ops must agree bit for bit (NaNs where NumPy has NaNs); transcendental ones
within a few units in the last place, since the host libm and NumPy's SIMD loops
round differently (CUDA's own libm error bounds are the part a GPU run proves).
"""
import zlib

import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.tensor.elemwise import Elemwise
from tracegraph.tensor.scalar import SCALAR_OPS, cast_op
from tracegraph_cupy import hostcc
from tracegraph_cupy.elemwise_kernel import elementwise_spec

pytestmark = pytest.mark.skipif(hostcc.compiler() is None, reason='no host C++ compiler (g++)')

FLOATS = ('float16', 'float32', 'float64')
SIGNED = ('int8', 'int16', 'int32', 'int64')
UNSIGNED = ('uint8', 'uint16', 'uint32', 'uint64')
INTS = SIGNED + UNSIGNED
NUMBERS = FLOATS + INTS
MIXED = (('int8', 'float32'), ('int32', 'float64'), ('uint8', 'int8'), ('float16', 'float32'),
         ('int64', 'float32'), ('bool', 'int16'))

# Values: 'any' mixes specials (0, -0, +-0.5, +-1.5, +-2.5, inf, nan) with random
# numbers; the others keep a function inside its domain (edges included).
DOMAINS = {
    'any': None, 'positive': (0.0, 50.0), 'unit': (-1.0, 1.0), 'ge1': (1.0, 40.0),
    'nonpositive': (-30.0, 0.0), 'small': (-8.0, 8.0), 'exponent': (-4.0, 6.0),
    'gamma': (0.05, 30.0), 'erfc_range': (0.05, 1.95),
}

EXACT = {'add', 'sub', 'mul', 'true_div', 'int_div', 'mod', 'neg', 'abs', 'sgn', 'sqr', 'maximum',
         'minimum', 'clip', 'sqrt', 'floor', 'ceil', 'trunc', 'round_half_to_even',
         'round_half_away_from_zero', 'eq', 'neq', 'lt', 'le', 'gt', 'ge', 'and_', 'or_', 'xor',
         'invert', 'isnan', 'isinf', 'switch', 'second', 'identity', 'cast'}
# scipy's erfc (the NumPy backend's) is itself up to ~40 ulp off in the far tail.
ULPS = {'erfc': 64}
# CUDA's (and the host C library's) special functions against scipy's: a few ulps, more
# near a zero of the function (lgamma at 1 and 2, the Bessel roots), where the value is
# small and both are accurate only to the absolute error of their arguments' rounding.
# Measured on the host (glibc, libstdc++): 85, 5, 187/227, 21/15, 5, 29, 2 and 0 ulps.
ULPS.update({'gammaln': 256, 'gamma': 16, 'j0': 1024, 'j1': 1024, 'i0': 64, 'i1': 64,
             'erfcinv': 16, 'erfcx': 128, 'xlogx': 8, 'xlogy0': 8,
             # tg_psi near its zeros (x = 1.4616..., one in each negative unit interval),
             # where its recurrence sums terms of order 1 to a value of order 1e-3: an
             # absolute error of a few 1e-16 (measured up to 6e3 ulps); tri_gamma: 11.
             'psi': 1 << 14, 'tri_gamma': 32,
             # the scale x^a e^-x / Gamma(a) in logs: relative error ~ (a |log x| + x) eps,
             # measured up to 452 ulps for a, x up to 50
             'gammainc': 1024, 'gammaincc': 1024})


def _cases():
    arith = [(d, d) for d in NUMBERS] + list(MIXED)
    cases = []
    for op in ('add', 'mul', 'maximum', 'minimum', 'eq', 'neq', 'lt', 'le', 'gt', 'ge'):
        cases += [(op, dts, 'any') for dts in arith + [('bool', 'bool')]]
    for op in ('eq', 'neq', 'lt', 'le', 'gt', 'ge'):  # exact, not through float64
        cases += [(op, dts, 'any') for dts in [('int64', 'uint64'), ('uint64', 'int32')]]
    cases += [('sub', dts, 'any') for dts in arith]
    cases += [('true_div', dts, 'any') for dts in [(d, d) for d in FLOATS + ('int8', 'int64', 'uint16')]
              + list(MIXED)]
    for op in ('int_div', 'mod'):
        cases += [(op, dts, 'any') for dts in arith + [('bool', 'bool')]]
    cases += [('pow', (d, d), 'exponent') for d in FLOATS]
    cases += [('pow', (d, d), 'any') for d in INTS + ('bool',)]
    for op in ('neg', 'abs', 'sgn', 'sqr'):
        cases += [(op, (d,), 'any') for d in NUMBERS]
    cases += [('abs', ('bool',), 'any'), ('sqr', ('bool',), 'any')]
    cases += [('clip', (d, d, d), 'any') for d in NUMBERS]
    unary = {'sqrt': 'positive', 'exp': 'small', 'exp2': 'small', 'expm1': 'small', 'log': 'positive',
             'log2': 'positive', 'log10': 'positive', 'log1p': 'positive', 'sin': 'small',
             'cos': 'small', 'tan': 'unit', 'arcsin': 'unit', 'arccos': 'unit', 'arctan': 'small',
             'sinh': 'small', 'cosh': 'small', 'tanh': 'small', 'arcsinh': 'small',
             'arccosh': 'ge1', 'arctanh': 'unit', 'erf': 'small', 'erfc': 'small', 'erfinv': 'unit',
             'sigmoid': 'any', 'softplus': 'any', 'log1mexp': 'nonpositive', 'floor': 'any',
             'ceil': 'any', 'trunc': 'any', 'round_half_to_even': 'any',
             'round_half_away_from_zero': 'any'}
    for op, domain in unary.items():
        cases += [(op, (d,), domain) for d in FLOATS + ('int8', 'int64')]
        if domain == 'any':  # the whole line, NaN and infinities included
            pass
    cases += [('sqrt', (d,), 'any') for d in FLOATS]
    # Special functions: CUDA's own (gammaln, gamma, j0, j1, i0, i1) or the record's
    # decomposition (erfcinv, erfcx, xlogx, xlogy0); psi, tri_gamma, gammainc and
    # gammaincc from tg_scalar.cuh.
    special = {'gammaln': 'positive', 'gamma': 'gamma', 'j0': 'small', 'j1': 'small', 'i0': 'small',
               'i1': 'small', 'erfcinv': 'erfc_range', 'erfcx': 'small', 'xlogx': 'positive',
               'psi': 'any', 'tri_gamma': 'any'}
    for op, domain in special.items():
        cases += [(op, (d,), domain) for d in ('float32', 'float64')]
    cases += [(op, (d, d), 'positive') for op in ('xlogy0', 'gammainc', 'gammaincc')
              for d in ('float32', 'float64')]
    cases += [('arctan2', dts, 'small') for dts in [(d, d) for d in FLOATS] + [('int8', 'float32')]]
    for op in ('and_', 'or_', 'xor'):
        cases += [(op, (d, d), 'any') for d in INTS + ('bool',)] + [(op, ('uint8', 'int8'), 'any')]
    cases += [('invert', (d,), 'any') for d in INTS + ('bool',)]
    for op in ('isnan', 'isinf'):
        cases += [(op, (d,), 'any') for d in NUMBERS + ('bool',)]
    cases += [('switch', (c, a, b), 'any') for c, a, b in [
        ('bool', 'float32', 'float32'), ('float64', 'int8', 'float64'), ('int32', 'uint8', 'int16'),
        ('bool', 'float16', 'float16'), ('uint8', 'bool', 'bool')]]
    cases += [('second', (a, b), 'any') for a, b in [('float32', 'int8'), ('int64', 'float16'),
                                                      ('bool', 'float64')]]
    cases += [('identity', (d,), 'any') for d in NUMBERS + ('bool',)]
    casts = [(a, b) for a in NUMBERS + ('bool',) for b in NUMBERS + ('bool',) if a != b]
    cases += [(f'cast:{b}', (a,), 'castable') for a, b in casts]
    return cases


CASES = _cases()


def _scalar_op(name):
    if name.startswith('cast:'):
        return cast_op(name.split(':')[1])
    return SCALAR_OPS[name]


def _node(case):
    name, dtypes, _ = case
    variables = [T.tensor(d, shape=(None,), name=f'x{k}') for k, d in enumerate(dtypes)]
    out = Elemwise(_scalar_op(name))(*variables)
    return variables, out


def _spec(case):
    _, out = _node(case)
    node = out.owner
    return elementwise_spec(node.op.scalar_op, [i.dtype for i in node.inputs], [o.dtype for o in node.outputs])


def _values(dtype, domain, n, rng, out_dtype=None):
    dtype = np.dtype(dtype)
    if dtype.kind == 'b':
        return rng.integers(0, 2, n).astype(bool)
    if dtype.kind in 'iu':
        info = np.iinfo(dtype)
        lo, hi = (info.min, info.max)
        if domain in DOMAINS and DOMAINS[domain] is not None:
            lo, hi = max(lo, int(DOMAINS[domain][0])), min(hi, int(DOMAINS[domain][1]))
        if domain == 'castable' and out_dtype is not None and np.dtype(out_dtype).kind in 'iu':
            other = np.iinfo(out_dtype)
            lo, hi = max(lo, other.min), min(hi, other.max)
        if domain == 'castable' and out_dtype in ('float16',):
            lo, hi = max(lo, -60000), min(hi, 60000)
        edges = np.array([v for v in (lo, hi, 0, 1, -1, 2, -2, 7, -7) if lo <= v <= hi], dtype=dtype)
        body = rng.integers(lo, hi, n - len(edges), endpoint=True, dtype=dtype)
        small = rng.integers(max(lo, -9), min(hi, 9), n - len(edges), endpoint=True, dtype=dtype)
        body = np.where(rng.random(n - len(edges)) < 0.5, body, small)
        return np.concatenate([edges, body]).astype(dtype)
    if domain == 'castable':
        lo, hi = (-100.0, 100.0) if out_dtype is None or np.dtype(out_dtype).kind == 'i' else (0.0, 200.0)
        if out_dtype == 'bool' or np.dtype(out_dtype or 'float64').kind == 'f':
            lo, hi = -1e4, 1e4
        if np.dtype(out_dtype or 'float64').kind in 'iu':
            info = np.iinfo(out_dtype)
            lo, hi = max(lo, info.min), min(hi, info.max)
        body = rng.uniform(lo, hi, n)
        body[:8] = [0.0, -0.0, 0.5, -0.5, 1.5, 2.5, lo, hi]
        if np.dtype(out_dtype or 'float64').kind == 'f' or out_dtype == 'bool':
            body[8:11] = [np.inf, -np.inf, np.nan]
        return body.astype(dtype)
    bounds = DOMAINS[domain]
    if bounds is None:
        specials = np.array([0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 1.0, -1.0, np.inf, -np.inf,
                             np.nan, 3.0, -3.0, 1e-3, 65504.0, -1e30, 1e300])
        scale = np.where(rng.random(n - len(specials)) < 0.5, 4.0, 1e4)
        body = rng.standard_normal(n - len(specials)) * scale
        body = np.where(rng.random(len(body)) < 0.2, np.round(body * 2) / 2, body)
        values = np.concatenate([specials, body])
    else:
        lo, hi = bounds
        values = rng.uniform(lo, hi, n)
        values[:2] = [lo, hi]
    with np.errstate(over='ignore'):
        return values.astype(dtype)


def _inputs(case, rng, n=512):
    name, dtypes, domain = case
    out_dtype = name.split(':')[1] if name.startswith('cast:') else None
    values = [_values(d, domain, n, rng, out_dtype) for d in dtypes]
    if name == 'pow' and values[1].dtype.kind in 'iu':  # NumPy refuses negative exponents
        values[1] = (values[1] % 40).astype(values[1].dtype)
    return values


@pytest.fixture(scope='module')
def kernels(tmp_path_factory):
    specs = [_spec(case) for case in CASES]
    return hostcc.compile_elementwise(specs, workdir=str(tmp_path_factory.mktemp('kernels')))


def _reference(case, inputs):
    variables, out = _node(case)
    f = tg.function(variables, out, backend='numpy', rewrites='none')
    with np.errstate(all='ignore'):
        return np.asarray(f(*inputs))


def assert_ulp_close(got, want, ulps):
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    g, w = got.astype('float64'), want.astype('float64')
    same_special = (np.isnan(g) & np.isnan(w)) | (g == w)
    tiny = np.finfo(want.dtype).tiny
    with np.errstate(invalid='ignore', over='ignore'):
        step = np.spacing(np.maximum(np.abs(want), tiny)).astype('float64')
        close = np.abs(g - w) <= ulps * step + 2 * np.finfo(want.dtype).eps * (np.abs(w) < 1e-3)
    bad = ~(same_special | (close & np.isfinite(g) & np.isfinite(w)))
    assert not bad.any(), f'{bad.sum()} values differ, e.g. got {got[bad][:5]} want {want[bad][:5]}'


def _case_id(case):
    name, dtypes, domain = case
    return f'{name}-{"-".join(dtypes)}'


@pytest.mark.parametrize('case', CASES, ids=[_case_id(c) for c in CASES])
def test_scalar_kernel_matches_numpy_backend(case, kernels):
    # crc32, not hash(): str hashes change with every process, and so would the inputs.
    rng = np.random.default_rng(zlib.crc32(_case_id(case).encode()))
    inputs = _inputs(case, rng)
    want = _reference(case, inputs)
    got = kernels[_spec(case)](*inputs)
    assert got.dtype == want.dtype and got.shape == want.shape
    name = case[0].split(':')[0]
    if name in EXACT or want.dtype.kind in 'biu':
        np.testing.assert_array_equal(got, want)
    else:
        assert_ulp_close(got, want, ulps=ULPS.get(name, 4))


def test_every_scalar_op_is_covered():
    covered = {case[0].split(':')[0] for case in CASES}
    assert covered == set(SCALAR_OPS) | {'cast'}


def test_an_op_without_spelling_or_decomposition_is_a_clear_error():
    from tracegraph.tensor.scalar import ScalarOp
    from tracegraph_cupy.cxx_scalar import ScalarLoweringError, expression, scalar_coverage
    assert scalar_coverage()['missing'] == []
    with pytest.raises(ScalarLoweringError, match='tg_test_unspelled'):
        expression(ScalarOp('tg_test_unspelled', 1, 'float'), ['a'], ['float64'])


def test_negative_integer_powers_give_the_truncated_value(kernels):
    # NumPy raises for these; a kernel cannot, so it documents what it gives instead.
    spec = _spec(('pow', ('int32', 'int32'), 'any'))
    base = np.array([2, 1, -1, -1, 0, -3], dtype='int32')
    exponent = np.array([-1, -5, -3, -4, -2, -1], dtype='int32')
    np.testing.assert_array_equal(kernels[spec](base, exponent), [0, 1, -1, 1, 0, 0])


def test_kernel_text_is_plain_cxx():
    spec = _spec(('int_div', ('int8', 'float32'), 'any'))
    assert spec.in_params == 'int8 in0, float32 in1'
    assert spec.out_params == 'float32 out0'
    assert spec.operation == ('const float v2 = (float)(tg_floordiv(((float)in0), in1));\n'
                              'out0 = (float)(v2);')


def test_signed_unsigned_comparisons_are_exact(kernels):
    # In float64 (their common type) 2**63 - 1 and 2**63 - 2 are equal; NumPy compares exactly.
    a = np.array([2**63 - 1, -1, 5, -2**63], dtype='int64')
    b = np.array([2**63 - 2, 2**64 - 1, 5, 0], dtype='uint64')
    for op, want in (('gt', [True, False, False, False]), ('eq', [False, False, True, False]),
                     ('lt', [False, True, False, True])):
        np.testing.assert_array_equal(kernels[_spec((op, ('int64', 'uint64'), 'any'))](a, b), want)
        np.testing.assert_array_equal(_reference((op, ('int64', 'uint64'), 'any'), [a, b]), want)
