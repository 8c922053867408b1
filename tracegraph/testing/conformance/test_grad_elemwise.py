"""The gradient of every scalar op, checked by finite differences on every backend.

One case per row of tracegraph.tensor.scalar.SCALAR_OPS (plus cast and Composite):
a scalar op without a case here is a failing test.  Binary ops take a (2, 3) and a
broadcast operand, so the pullback's sum over broadcast axes is checked too.  Each
case runs alone on the reference backend, and all of them together (one compile)
on every backend.
"""
import numpy as np
import pytest

import tracegraph.tensor as T
from tracegraph.autodiff import NullTypeGradError, verify_grad
from tracegraph.tensor.elemwise import Elemwise
from tracegraph.tensor.scalar import SCALAR_OPS, Composite

from ._grad_cases import chunks, verify_cases


def U(lo, hi, shape=(2, 3)):
    return lambda rng: rng.uniform(lo, hi, shape)


def away_from_zero(shape=(2, 3)):
    return lambda rng: rng.uniform(0.3, 1.5, shape) * rng.choice([-1, 1], shape)


def fixed(values):
    return lambda rng: np.array(values, dtype='float64')


def unary(name, lo=-1.5, hi=1.5):
    return (lambda x: getattr(T, name)(x), [U(lo, hi)])


def as_float(expr, like):
    return T.cast(expr, 'float64') * like


# Points away from kinks and jumps, so that finite differences are meaningful there.
_X_NOT_NEAR_INT = [[1.3, 2.45, 3.7], [-1.3, -2.45, 0.7]]
_Y_DIVISORS = [[0.9, 1.1, 1.6]]

CASES = {
    'add': (T.add, [U(-1, 1), U(-1, 1, (3,))]),
    'sub': (T.sub, [U(-1, 1), U(-1, 1, (1, 3))]),
    'mul': (T.mul, [U(-1, 1), U(-1, 1, (2, 1))]),
    'true_div': (T.true_div, [U(-1, 1), U(0.5, 2, (3,))]),
    'int_div': (lambda x, y: T.int_div(x, y) * x, [fixed(_X_NOT_NEAR_INT), fixed(_Y_DIVISORS)]),
    'mod': (T.mod, [fixed(_X_NOT_NEAR_INT), fixed(_Y_DIVISORS)]),
    'pow': (T.pow, [U(0.5, 2), U(-1.5, 1.5, (3,))]),
    'neg': unary('neg'),
    'abs': (T.abs_, [away_from_zero()]),
    'sgn': (lambda x: T.sgn(x) * x ** 2, [away_from_zero()]),
    'sqr': unary('sqr'),
    'maximum': (lambda x, y: T.maximum(x, y), [fixed([[0.1, 0.9, -0.4]]), fixed([[0.5, 0.2, -0.8]])]),
    'minimum': (lambda x, y: T.minimum(x, y), [fixed([[0.1, 0.9, -0.4]]), fixed([[0.5, 0.2, -0.8]])]),
    'clip': (T.clip, [fixed([[-1.2, -0.2, 0.3, 1.1]]), fixed([-0.5]), fixed([0.7])]),
    'sqrt': unary('sqrt', 0.5, 2), 'exp': unary('exp'), 'exp2': unary('exp2'),
    'expm1': unary('expm1'), 'log': unary('log', 0.5, 2), 'log2': unary('log2', 0.5, 2),
    'log10': unary('log10', 0.5, 2), 'log1p': unary('log1p', -0.5, 1),
    'sin': unary('sin'), 'cos': unary('cos'), 'tan': unary('tan', -1, 1),
    'arcsin': unary('arcsin', -0.8, 0.8), 'arccos': unary('arccos', -0.8, 0.8),
    'arctan': unary('arctan'),
    'arctan2': (T.arctan2, [U(-1, 1), U(0.3, 1, (3,))]),
    'sinh': unary('sinh'), 'cosh': unary('cosh'), 'tanh': unary('tanh'),
    'arcsinh': unary('arcsinh'), 'arccosh': unary('arccosh', 1.2, 3),
    'arctanh': unary('arctanh', -0.8, 0.8),
    'erf': unary('erf'), 'erfc': unary('erfc'), 'erfinv': unary('erfinv', -0.8, 0.8),
    'sigmoid': unary('sigmoid', -3, 3), 'softplus': unary('softplus', -3, 3),
    'log1mexp': unary('log1mexp', -3, -0.1),
    # Theano's special functions (tensor/scalar.py SPECIAL_FUNCTIONS); gammainc and
    # gammaincc have a derivative only with respect to x, tri_gamma none (NO_DERIVATIVE).
    'gammaln': unary('gammaln', 0.5, 3), 'psi': unary('psi', 0.5, 3), 'gamma': unary('gamma', 0.5, 3),
    'gammainc': (lambda x: T.gammainc(2.5, x), [U(0.5, 3)]),
    'gammaincc': (lambda x: T.gammaincc(1.5, x), [U(0.5, 3)]),
    'erfcinv': unary('erfcinv', 0.3, 1.7), 'erfcx': unary('erfcx', -1, 2),
    'j0': unary('j0', 0.5, 3), 'j1': unary('j1', -3, 3), 'i0': unary('i0', -2, 2), 'i1': unary('i1', -2, 2),
    'xlogx': unary('xlogx', 0.3, 2), 'xlogy0': (T.xlogy0, [U(0.3, 2), U(0.3, 2, (3,))]),
    'floor': (lambda x: T.floor(x) * x, [fixed(_X_NOT_NEAR_INT)]),
    'ceil': (lambda x: T.ceil(x) * x, [fixed(_X_NOT_NEAR_INT)]),
    'trunc': (lambda x: T.trunc(x) * x, [fixed(_X_NOT_NEAR_INT)]),
    'round_half_to_even': (lambda x: T.round_(x, 'half_to_even') * x, [fixed(_X_NOT_NEAR_INT)]),
    'round_half_away_from_zero': (lambda x: T.round_(x) * x, [fixed(_X_NOT_NEAR_INT)]),
    'eq': (lambda x, y: as_float(T.eq(x, y), x), [U(-1, 1), U(-1, 1)]),
    'neq': (lambda x, y: as_float(T.neq(x, y), x), [U(-1, 1), U(-1, 1)]),
    'lt': (lambda x, y: as_float(T.lt(x, y), x + y), [fixed([[0.1, 0.9]]), fixed([[0.5, 0.2]])]),
    'le': (lambda x, y: as_float(T.le(x, y), x * y), [fixed([[0.1, 0.9]]), fixed([[0.5, 0.2]])]),
    'gt': (lambda x, y: as_float(T.gt(x, y), x - y), [fixed([[0.1, 0.9]]), fixed([[0.5, 0.2]])]),
    'ge': (lambda x, y: as_float(T.ge(x, y), x), [fixed([[0.1, 0.9]]), fixed([[0.5, 0.2]])]),
    'and_': (lambda x: as_float(T.and_(T.gt(x, 0), T.lt(x, 1)), x), [fixed([[0.5, -0.5, 1.5]])]),
    'or_': (lambda x: as_float(T.or_(T.gt(x, 1), T.lt(x, 0)), x), [fixed([[0.5, -0.5, 1.5]])]),
    'xor': (lambda x: as_float(T.xor(T.gt(x, 1), T.gt(x, 0)), x), [fixed([[0.5, -0.5, 1.5]])]),
    'invert': (lambda x: as_float(T.invert(T.gt(x, 0)), x), [fixed([[0.5, -0.5, 1.5]])]),
    'isnan': (lambda x: as_float(T.isnan(x), 1.0) + x, [U(-1, 1)]),
    'isinf': (lambda x: as_float(T.isinf(x), 1.0) + x, [U(-1, 1)]),
    'switch': (lambda c, a, b: T.switch(T.gt(c, 0), a * c, b), [fixed([[0.5, -0.5, 1.5]]), U(-1, 1, (1, 3)), U(-1, 1, (3,))]),
    'second': (lambda a, b: T.fill(a, b) * a, [U(-1, 1), U(-1, 1, (3,))]),
    'identity': (lambda x: T.tensor_copy(x) * x, [U(-1, 1)]),
    'cast': (lambda x: T.cast(x, 'float64') * x, [lambda rng: rng.uniform(-1, 1, (2, 3)).astype('float32')]),
    'composite': (lambda x, y: Elemwise(Composite(
        ('float64', 'float64'),
        ((SCALAR_OPS['mul'], (0, 1), 'float64'), (SCALAR_OPS['exp'], (2,), 'float64'),
         (SCALAR_OPS['add'], (3, 0), 'float64')), (4,)))(x, y), [U(-1, 1), U(-1, 1, (3,))]),
}


NO_DERIVATIVE = {'tri_gamma'}  # Theano defined none: asking is an error naming the op


@pytest.mark.parametrize('name', sorted(SCALAR_OPS) + ['cast', 'composite'])
def test_scalar_op_gradient(name):
    if name in NO_DERIVATIVE:
        x = T.dvector('x')
        with pytest.raises(NullTypeGradError, match=name):
            T.grad(T.sum(getattr(T, name)(x)), x)
        return
    if name not in CASES:
        pytest.fail(f'scalar op {name!r} has no gradient test in {__name__}.CASES')
    fun, samplers = CASES[name]
    rng = np.random.default_rng(sorted(CASES).index(name))
    verify_grad(fun, [s(rng) for s in samplers], rng=rng, backend='numpy')


# float32 round trips lose what finite differences at float64 steps measure.
_TOGETHER = {k: v for k, v in CASES.items() if k != 'cast'}


@pytest.mark.parametrize('names', chunks(_TOGETHER), ids=lambda names: f'{names[0]}..{names[-1]}')
def test_every_scalar_op_gradient(names, backend):
    verify_cases({k: _TOGETHER[k] for k in names}, backend)


def test_float32_gradient_keeps_float32(backend):
    verify_grad(lambda x, y: T.tanh(x * y) / (1 + y ** 2) + T.cast(x, 'float64') * y,
                [np.float32([[0.3, -0.2, 0.5]]), np.float32([0.7, 0.1, -0.4])], backend=backend)
    x = T.fmatrix('x')
    assert T.grad(T.sum(T.exp(x) * 2.5), x).dtype == 'float32'
