"""Linear algebra (tensor.nlinalg / tensor.slinalg) on every backend.

Each test compiles one function holding many cases (Numba compiles each new kernel
in about a second), compared with NumPy/SciPy float64 references computed here;
gradients by finite differences (verify_grad); stacks of matrices (leading batch
axes); run-time errors that name the op and the line that built it.
"""
import re

import numpy as np
import pytest
import scipy.linalg

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.tensor import nlinalg, slinalg

from ._grad_cases import verify_cases

# What CuPy has no routine for: refused at function() time (see test_errors).
NOT_ON_CUPY = {'expm', 'eig', 'lstsq', 'eigvalsh_generalized'}


# Numba compiles each new kernel and graph in seconds: there, one case per lowering path
# (native 2-d, native loop over a batch, several outputs, objmode to the NumPy kernel).
ON_NUMBA = {'inv_batched', 'det', 'solve', 'solve_triangular_trans_batched', 'eigh_w_batched',
            'svd_s_batched', 'expm', 'trace', 'matrix_power', 'kron', 'cho_solve',
            'grad_inv', 'grad_cholesky'}


def _skip(backend):
    return NOT_ON_CUPY if backend.startswith('cupy') else set()


def _selected(cases, backend, prefix=''):
    keep = {k: v for k, v in cases.items() if k not in _skip(backend)}
    if backend.startswith('numba'):
        keep = {k: v for k, v in keep.items() if prefix + k in ON_NUMBA}
    return keep


def _data(seed=0):
    rng = np.random.default_rng(seed)
    g3 = rng.standard_normal((3, 4, 4))
    d = dict(
        S3=g3 @ np.swapaxes(g3, -1, -2) + 4 * np.eye(4),       # batch of SPD matrices
        M=rng.standard_normal((4, 4)) + 4 * np.eye(4),          # a well-conditioned square
        R=rng.standard_normal((5, 3)),                          # a tall rectangle
        B=rng.standard_normal((4, 2)), v=rng.standard_normal(4),
        B3=rng.standard_normal((3, 4, 2)), V3=rng.standard_normal((3, 4)),
    )
    d['L3'] = np.linalg.cholesky(d['S3'])
    d['S'] = d['S3'][0]
    return d


def _abs(x):
    return np.abs(x)   # eigen/singular vectors are defined up to sign


CASES = {
    # name: (tracegraph expression of the variables, reference of the values)
    'inv_batched': (lambda s: nlinalg.matrix_inverse(s['S3']), lambda d: np.linalg.inv(d['S3'])),
    'inv': (lambda s: nlinalg.matrix_inverse(s['M']), lambda d: np.linalg.inv(d['M'])),
    'det_batched': (lambda s: nlinalg.det(s['S3']), lambda d: np.linalg.det(d['S3'])),
    'det': (lambda s: nlinalg.det(s['M']), lambda d: np.linalg.det(d['M'])),
    'cholesky_batched': (lambda s: slinalg.cholesky(s['S3']), lambda d: np.linalg.cholesky(d['S3'])),
    'cholesky_upper': (lambda s: slinalg.Cholesky(lower=False)(s['S']),
                       lambda d: scipy.linalg.cholesky(d['S'], lower=False)),
    'solve': (lambda s: slinalg.solve(s['M'], s['B']), lambda d: scipy.linalg.solve(d['M'], d['B'])),
    'solve_vector': (lambda s: slinalg.solve(s['M'], s['v']), lambda d: scipy.linalg.solve(d['M'], d['v'])),
    'solve_batched': (lambda s: slinalg.solve(s['S3'], s['B3']),
                      lambda d: np.stack([scipy.linalg.solve(a, b) for a, b in zip(d['S3'], d['B3'])])),
    'solve_lower_triangular': (lambda s: slinalg.solve_lower_triangular(s['L3'][1], s['B']),
                               lambda d: scipy.linalg.solve_triangular(d['L3'][1], d['B'], lower=True)),
    'solve_triangular_trans_batched': (
        lambda s: slinalg.solve_triangular(s['L3'], s['V3'], trans=1, lower=True),
        lambda d: np.stack([scipy.linalg.solve_triangular(a, b, trans=1, lower=True)
                            for a, b in zip(d['L3'], d['V3'])])),
    'solve_triangular_unit_upper': (
        lambda s: slinalg.solve_triangular(s['M'], s['B'], unit_diagonal=True),
        lambda d: scipy.linalg.solve_triangular(d['M'], d['B'], unit_diagonal=True)),
    'eigh_w_batched': (lambda s: nlinalg.eigh(s['S3'])[0], lambda d: np.linalg.eigh(d['S3'])[0]),
    'eigh_v_batched': (lambda s: abs(nlinalg.eigh(s['S3'])[1]), lambda d: _abs(np.linalg.eigh(d['S3'])[1])),
    'eigh_upper_v': (lambda s: abs(nlinalg.eigh(s['M'], 'U')[1]), lambda d: _abs(np.linalg.eigh(d['M'], 'U')[1])),
    'eigvalsh': (lambda s: slinalg.eigvalsh(s['M']), lambda d: scipy.linalg.eigvalsh(d['M'])),
    'eigvalsh_generalized': (lambda s: slinalg.eigvalsh(s['M'] + s['M'].T, s['S']),
                             lambda d: scipy.linalg.eigvalsh(d['M'] + d['M'].T, d['S'])),
    'svd_s_batched': (lambda s: nlinalg.svd(s['S3'], compute_uv=False),
                      lambda d: np.linalg.svd(d['S3'], compute_uv=False)),
    'svd_full_u': (lambda s: abs(nlinalg.svd(s['R'])[0][:, :3]),
                   lambda d: _abs(np.linalg.svd(d['R'])[0][:, :3])),
    'svd_reduced_v': (lambda s: abs(nlinalg.svd(s['R'], full_matrices=False)[2]),
                      lambda d: _abs(np.linalg.svd(d['R'], full_matrices=False)[2])),
    'qr_reduced_qr': (lambda s: T.dot(*nlinalg.qr(s['R'])), lambda d: d['R']),
    'qr_r': (lambda s: abs(nlinalg.qr(s['R'], mode='r')), lambda d: _abs(np.linalg.qr(d['R'], mode='r'))),
    'qr_complete_q': (lambda s: abs(nlinalg.qr(s['R'], mode='complete')[0]),
                      lambda d: _abs(np.linalg.qr(d['R'], mode='complete')[0])),
    'pinv': (lambda s: nlinalg.pinv(s['R']), lambda d: np.linalg.pinv(d['R'])),
    'lstsq': (lambda s: nlinalg.lstsq(s['R'], s['R'][:, 0] + 1)[0],
              lambda d: np.linalg.lstsq(d['R'], d['R'][:, 0] + 1)[0]),
    'expm': (lambda s: slinalg.expm(s['M'] * 0.3), lambda d: scipy.linalg.expm(d['M'] * 0.3)),
    'eig': (lambda s: nlinalg.eig(s['S'])[0].sum(), lambda d: np.linalg.eigvals(d['S']).real.sum()),
}

COMPOSITIONS = {
    'trace': (lambda s: nlinalg.trace(s['M']), lambda d: np.trace(d['M'])),
    'extract_diag': (lambda s: nlinalg.extract_diag(s['R'], -1), lambda d: np.diagonal(d['R'], -1)),
    'diag_vector': (lambda s: nlinalg.diag(s['v']), lambda d: np.diag(d['v'])),
    'alloc_diag_offset': (lambda s: nlinalg.alloc_diag(s['v'], 2), lambda d: np.diag(d['v'], 2)),
    'matrix_dot': (lambda s: nlinalg.matrix_dot(s['R'].T, s['R'], s['v'][:3]),
                   lambda d: np.linalg.multi_dot([d['R'].T, d['R'], d['v'][:3]])),
    'matrix_power': (lambda s: nlinalg.matrix_power(s['M'], 5), lambda d: np.linalg.matrix_power(d['M'], 5)),
    'matrix_power_negative': (lambda s: nlinalg.matrix_power(s['M'], -2),
                              lambda d: np.linalg.matrix_power(d['M'], -2)),
    'matrix_power_zero_batched': (lambda s: nlinalg.matrix_power(s['S3'], 0),
                                  lambda d: np.linalg.matrix_power(d['S3'], 0)),
    'norm_fro': (lambda s: nlinalg.norm(s['R']), lambda d: np.linalg.norm(d['R'])),
    'norm_inf_matrix': (lambda s: nlinalg.norm(s['R'], 'inf'), lambda d: np.linalg.norm(d['R'], np.inf)),
    'norm_1_matrix': (lambda s: nlinalg.norm(s['R'], 1), lambda d: np.linalg.norm(d['R'], 1)),
    'norm_2_matrix': (lambda s: nlinalg.norm(s['R'], 2), lambda d: np.linalg.norm(d['R'], 2)),
    'norm_nuc': (lambda s: nlinalg.norm(s['R'], 'nuc'), lambda d: np.linalg.norm(d['R'], 'nuc')),
    'norm_3_vector': (lambda s: nlinalg.norm(s['v'], 3), lambda d: np.linalg.norm(d['v'], 3)),
    'norm_0_vector': (lambda s: nlinalg.norm(s['v'], 0), lambda d: np.linalg.norm(d['v'], 0)),
    'norm_-inf_vector': (lambda s: nlinalg.norm(s['v'], '-inf'), lambda d: np.linalg.norm(d['v'], -np.inf)),
    'tensorinv': (lambda s: nlinalg.tensorinv(T.reshape(s['M'], (2, 2, 4)), ind=2),
                  lambda d: np.linalg.tensorinv(d['M'].reshape(2, 2, 4), ind=2)),
    'tensorsolve': (lambda s: nlinalg.tensorsolve(T.reshape(s['M'], (4, 2, 2)), s['v']),
                    lambda d: np.linalg.tensorsolve(d['M'].reshape(4, 2, 2), d['v'])),
    'kron': (lambda s: slinalg.kron(s['B'], s['R']), lambda d: np.kron(d['B'], d['R'])),
    'kron_vector_matrix': (lambda s: slinalg.kron(s['v'], s['B']), lambda d: np.kron(d['v'], d['B'])),
    'cho_solve': (lambda s: slinalg.cho_solve((slinalg.cholesky(s['S']), True), s['B']),
                  lambda d: scipy.linalg.cho_solve((np.linalg.cholesky(d['S']), True), d['B'])),
    'cho_solve_upper': (lambda s: slinalg.cho_solve((slinalg.Cholesky(lower=False)(s['S']), False), s['v']),
                        lambda d: scipy.linalg.cho_solve((scipy.linalg.cholesky(d['S']), False), d['v'])),
    'solve_assume_sym': (lambda s: slinalg.solve(s['S'], s['B'], assume_a='sym'),
                         lambda d: scipy.linalg.solve(d['S'], d['B'], assume_a='sym')),
}


def _symbols(data):
    return {k: T.tensor('float64', shape=(None,) * v.ndim, name=k) for k, v in data.items()}


def _check_all(cases, backend):
    data = _data()
    symbols = _symbols(data)
    names = list(_selected(cases, backend))
    outputs = [cases[n][0](symbols) for n in names]
    keys = sorted(data)
    f = tg.function([symbols[k] for k in keys], outputs, backend=backend, on_unused_input='ignore')
    got = f(*[data[k] for k in keys])
    for name, value in zip(names, got):
        want = cases[name][1](data)
        assert np.shape(value) == np.shape(want), name
        np.testing.assert_allclose(value, want, rtol=1e-8, atol=1e-9, err_msg=name)


def test_ops_match_numpy_and_scipy(backend):
    _check_all(CASES, backend)


def test_compositions_match_numpy(backend):
    _check_all(COMPOSITIONS, backend)


def _spd(n, batch=()):
    def sample(rng):
        g = rng.standard_normal(batch + (n, n))
        return g @ np.swapaxes(g, -1, -2) + n * np.eye(n)
    return sample


def _lower(n, batch=()):
    return lambda rng: np.linalg.cholesky(_spd(n, batch)(rng))


def _normal(*shape, scale=1.0):
    return lambda rng: rng.standard_normal(shape) * scale


GRAD_CASES = {
    'inv': (nlinalg.matrix_inverse, [_spd(3, (2,))]),
    'det': (nlinalg.det, [_spd(3, (2,))]),
    'cholesky': (slinalg.cholesky, [_spd(3, (2,))]),
    'cholesky_upper': (slinalg.Cholesky(lower=False), [_spd(3)]),
    'solve': (slinalg.solve, [_spd(3), _normal(3, 2)]),
    'solve_vector_batched': (slinalg.solve, [_spd(3, (2,)), _normal(2, 3)]),
    'solve_lower_triangular': (slinalg.solve_lower_triangular, [_lower(3), _normal(3, 2)]),
    'solve_triangular_trans': (lambda a, b: slinalg.solve_triangular(a, b, trans=1, lower=True),
                               [_lower(3, (2,)), _normal(2, 3)]),
    'solve_triangular_unit': (lambda a, b: slinalg.solve_triangular(a, b, unit_diagonal=True),
                              [_spd(3), _normal(3)]),
    'eigh_w': (lambda a: nlinalg.eigh(a)[0], [_spd(3, (2,))]),
    'eigh_v': (lambda a: nlinalg.eigh(a, 'U')[1] ** 2, [_spd(3)]),
    'eigvalsh': (slinalg.eigvalsh, [_spd(3)]),
    'svd_s': (lambda a: nlinalg.svd(a, compute_uv=False), [_normal(3, 2)]),
    'pinv': (nlinalg.pinv, [_normal(3, 2)]),
    'expm': (slinalg.expm, [_normal(3, 3, scale=0.5)]),
    'matrix_power': (lambda a: nlinalg.matrix_power(a, 3), [_normal(3, 3)]),
    'logdet_by_cholesky': (lambda a: T.log(nlinalg.extract_diag(slinalg.cholesky(a))).sum(), [_spd(3)]),
}


def test_gradients(backend):
    verify_cases(_selected(GRAD_CASES, backend, prefix='grad_'), backend)


def _where_built(exc):
    return __file__.rsplit('/', 1)[-1] in str(exc)


def test_errors(backend):
    m = T.dmatrix('m')
    f = tg.function([m], [nlinalg.matrix_inverse(m), slinalg.cholesky(m)], backend=backend)
    singular = np.ones((3, 3))
    with pytest.raises(np.linalg.LinAlgError) as info:
        f(singular)
    assert re.search('matrix_inverse|cholesky', str(info.value)) and _where_built(info.value)
    not_pd = -np.eye(2)
    with pytest.raises(np.linalg.LinAlgError) as info:
        f(not_pd)
    assert 'cholesky' in str(info.value) and _where_built(info.value)
    with pytest.raises(ValueError, match='square'):
        nlinalg.det(T.tensor('float64', shape=(2, 3)))
    with pytest.raises(TypeError, match='at least 2'):
        slinalg.cholesky(T.dvector())
    if backend.startswith('cupy'):
        with pytest.raises(tg.backends.LoweringError, match='expm'):
            tg.function([m], slinalg.expm(m), backend=backend)


def test_eig_refuses_complex_eigenvalues():
    m = T.dmatrix('m')
    f = tg.function([m], nlinalg.eig(m)[0])
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]])
    with pytest.raises(np.linalg.LinAlgError, match='complex eigenvalues'):
        f(rotation)


def test_theano_names_and_types():
    assert T.nlinalg is nlinalg and T.slinalg is slinalg
    for name in nlinalg.__all__:
        assert hasattr(nlinalg, name), name
    for name in slinalg.__all__:
        assert hasattr(slinalg, name), name
    x = T.ftensor3()
    assert nlinalg.matrix_inverse(x).dtype == 'float32' and nlinalg.det(x).ndim == 1
    assert nlinalg.det(T.lmatrix()).dtype == 'float64'
    u, s, v = nlinalg.svd(T.tensor('float64', shape=(5, 3)), full_matrices=False)
    assert (u.type.shape, s.type.shape, v.type.shape) == ((5, 3), (3,), (3, 3))
    assert slinalg.Solve(A_structure='lower_triangular', lower=True) == slinalg.solve_lower_triangular
    with pytest.raises(ValueError, match='A_structure'):
        slinalg.Solve(A_structure='banded')
