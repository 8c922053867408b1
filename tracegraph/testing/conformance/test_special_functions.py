"""Theano's special functions (issue 20) on every backend, against scipy.special in float64.

One compiled function holds every function, called on a short vector and on one of
5,000 elements (above the size at which the Numba backend hands transcendental work
to NumPy's ufuncs in blocks), so each backend's every path is compared.  Their
derivatives are rows of test_grad_elemwise.py.
"""
import importlib

import numpy as np
import pytest
import scipy.special as sp

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.tensor.scalar import SCALAR_OPS

# T name -> (reference on float64, domain of x); binary ones take (k or y, x).
UNARY = {
    'gammaln': (sp.gammaln, (0.05, 30.0)), 'psi': (sp.psi, (-3.7, 30.0)),
    'tri_gamma': (lambda x: sp.polygamma(1, x), (-3.7, 30.0)), 'gamma': (sp.gamma, (0.05, 20.0)),
    'erfinv': (sp.erfinv, (-0.99, 0.99)), 'erfcinv': (sp.erfcinv, (0.05, 1.95)),
    'erfcx': (sp.erfcx, (-3.0, 8.0)), 'j0': (sp.j0, (-20.0, 20.0)), 'j1': (sp.j1, (-20.0, 20.0)),
    'i0': (sp.i0, (-10.0, 10.0)), 'i1': (sp.i1, (-10.0, 10.0)),
    # log(1 - e**x): each formula is exact to rounding on its side of -log 2 (Maechler 2012)
    'log1mexp': (lambda x: np.where(x > -np.log(2), np.log(-np.expm1(x)), np.log1p(-np.exp(x))),
                 (-20.0, -1e-3)),
    'xlogx': (lambda x: np.where(x == 0, 0.0, x * np.log(np.where(x == 0, 1.0, x))), (0.0, 5.0)),
}
BINARY = {
    'gammainc': (sp.gammainc, (0.5, 12.0)), 'gammaincc': (sp.gammaincc, (0.5, 12.0)),
    'xlogy0': (lambda x, y: np.where(x == 0, 0.0, x * np.log(y)), (0.0, 5.0)),
}
# erfcinv and erfcx run through their decompositions where a backend has no native
# spelling (cupy), which lose relative accuracy in the tails.
RTOL = {'erfcinv': 1e-9, 'erfcx': 1e-9, 'tri_gamma': 1e-12}
# CUDA's own functions (the C library's, on the host) are accurate to an absolute error
# near their zeros, where the relative error of any float64 answer grows.
CUDA_ATOL = {'j0': 1e-15, 'j1': 1e-15, 'gammaln': 1e-14, 'psi': 1e-15}
# tg_psi (tg_scalar.cuh) next to its poles at the negative integers; tg_gammainc's
# scale x^a e^-x / Gamma(a), computed in logs.
CUDA_RTOL = {'psi': 1e-12, 'gammainc': 1e-12, 'gammaincc': 1e-12}


def _values(rng, lo, hi, n):
    v = rng.uniform(lo, hi, n)
    v[0] = lo
    return v


def _spelled(backend):
    """The functions a backend computes; the others it refuses with an error naming them."""
    names = set(UNARY) | set(BINARY)
    if backend.startswith('cupy'):
        from tracegraph_cupy.cxx_scalar import scalar_coverage
        names -= set(scalar_coverage()['missing'])
    return sorted(names)


def test_special_functions_match_scipy(backend):
    names = _spelled(backend)
    x, a = T.dmatrix('x'), T.dmatrix('a')   # row j of x (and a) feeds the j-th function
    outs = []
    for j, name in enumerate(names):
        fn = getattr(T, name)
        if name == 'xlogy0':
            outs.append(fn(x[j], a[j]))     # x * log(a), 0 where x is 0
        else:
            outs.append(fn(a[j], x[j]) if name in BINARY else fn(x[j]))
    f = tg.function([x, a], outs, backend=backend)
    rng = np.random.default_rng(20)
    for n in (7, 5000):
        xs = np.stack([_values(rng, *(UNARY.get(name) or BINARY[name])[1], n) for name in names])
        if 'xlogy0' in names:
            xs[names.index('xlogy0'), 1] = 0.0
        if 'xlogx' in names:
            xs[names.index('xlogx'), 1] = 0.0
        as_ = rng.uniform(0.5, 12.0, (len(names), n))
        if 'xlogy0' in names:
            as_[names.index('xlogy0')] = rng.uniform(0.1, 5.0, n)
        got = f(xs, as_)
        for j, name in enumerate(names):
            ref, _ = UNARY.get(name) or BINARY[name]
            with np.errstate(all='ignore'):
                want = ref(xs[j]) if name in UNARY else ref(xs[j], as_[j]) if name == 'xlogy0' \
                    else ref(as_[j], xs[j])
            atol = CUDA_ATOL.get(name, 1e-300) if backend.startswith('cupy') else 1e-300
            rtol = (CUDA_RTOL if backend.startswith('cupy') else RTOL).get(name, RTOL.get(name, 1e-13))
            np.testing.assert_allclose(got[j], want, rtol=rtol, atol=atol,
                                       err_msg=f'{name} on {backend}, n={n}')


def test_float32_and_integer_inputs_follow_the_dtype_rule(backend):
    xf, xi = T.fvector('xf'), T.lvector('xi')
    names = [n for n in ('gammaln', 'j0', 'i1', 'xlogx') if n in _spelled(backend)]
    f = tg.function([xf, xi], [getattr(T, n)(xf) for n in names] + [getattr(T, n)(xi) for n in names],
                    backend=backend)
    vf, vi = np.float32([0.25, 1.5, 3.0]), np.array([1, 2, 7])
    got = f(vf, vi)
    for j, name in enumerate(names):
        ref = UNARY[name][0]
        assert got[j].dtype == np.float32 and got[len(names) + j].dtype == np.float64
        np.testing.assert_allclose(got[j], ref(vf.astype('float64')).astype('float32'), rtol=2e-6)
        np.testing.assert_allclose(got[len(names) + j], ref(vi.astype('float64')), rtol=1e-13)


def test_theano_names():
    import tracegraph.theano.scalar as S
    for name in list(UNARY) + list(BINARY):
        assert getattr(T, name)(*[T.dvector()] * SCALAR_OPS[name].nin).owner.op.scalar_op is SCALAR_OPS[name]
    for name in ('gammaln', 'psi', 'tri_gamma', 'gamma', 'gammainc', 'gammaincc', 'erfinv', 'erfcinv',
                 'erfcx', 'j0', 'j1', 'i0', 'i1'):
        assert getattr(S, name) is SCALAR_OPS[name]   # theano.scalar.gammaln
    xlogx = importlib.import_module('tracegraph.tensor.xlogx')   # theano.tensor.xlogx
    assert xlogx.xlogy0 is T.xlogy0
    x = T.dvector()
    for spelling in (xlogx.xlogx, T.xlogx):   # T.xlogx: the module once imported, still callable
        assert spelling(x).owner.op.scalar_op is SCALAR_OPS['xlogx']


def test_a_refused_function_names_the_op():
    from tracegraph.tensor.scalar import NoGrad  # noqa: F401  (tri_gamma has no derivative)
    x = T.dvector('x')
    with pytest.raises(Exception, match='tri_gamma'):
        T.grad(T.sum(T.tri_gamma(x)), x)
    k = T.dvector('k')
    with pytest.raises(Exception, match='gammainc'):
        T.grad(T.sum(T.gammainc(k, x)), k)
    # with respect to x it exists even when k is a variable
    g = tg.function([k, x], T.grad(T.sum(T.gammainc(k, x)), x))(np.array([2.0]), np.array([1.5]))
    np.testing.assert_allclose(g, np.exp(-1.5) * 1.5 / sp.gamma(2.0))
