"""Theano 1.0's extra_ops, sort and tensor.basic additions (issue 20) against NumPy,
computed independently, on every backend; their gradients by finite differences.

Every function is checked in one compiled function per backend (JIT compiles are the
slow part), with a table that names each case so a mismatch says which one failed.
"""
import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.tensor import extra_ops as E

from ._grad_cases import verify_cases

RNG = np.random.default_rng(20)
XV = RNG.uniform(-1, 1, (4, 5))
VV = np.array([0.3, -0.7, 0.0, 1.2, 0.3, -2.0])
IV = np.array([1, 0, 3, 4, 3, 1])
RV = np.array([2, 0, 1, 3, 1, 2])


def _cases(x, v, iv, rv):
    """(name, symbolic output, NumPy reference) for every function, over the values above."""
    sorted_v = np.sort(VV)
    return [
        ('sort', T.sort(x), np.sort(XV)),
        ('sort_axis0', T.sort(x, axis=0), np.sort(XV, axis=0)),
        ('sort_flat', T.sort(x, axis=None), np.sort(XV, axis=None)),
        ('argsort', T.argsort(v, kind='stable'), np.argsort(VV, kind='stable')),
        ('argsort_axis0', T.argsort(x, axis=0), np.argsort(XV, axis=0)),
        ('repeat_scalar', E.repeat(x, 2, axis=1), np.repeat(XV, 2, axis=1)),
        ('repeat_vector', E.repeat(v, rv), np.repeat(VV, RV)),
        ('repeat_flat', E.repeat(x, 3), np.repeat(XV, 3)),
        ('bincount', E.bincount(iv), np.bincount(IV)),
        ('bincount_weights', E.bincount(iv, weights=v, minlength=8), np.bincount(IV, VV, 8)),
        ('diff', E.diff(x), np.diff(XV)),
        ('diff_2_axis0', E.diff(x, n=2, axis=0), np.diff(XV, n=2, axis=0)),
        ('squeeze', E.squeeze(x[None, :, None]), np.squeeze(XV[None, :, None])),
        ('fill_diagonal', E.fill_diagonal(x, 5.0), _fill_diag(XV, 5.0)),
        ('fill_diagonal_offset+', E.fill_diagonal_offset(x, 7.0, 2), _fill_diag(XV, 7.0, 2)),
        ('fill_diagonal_offset-', E.fill_diagonal_offset(x, 7.0, -1), _fill_diag(XV, 7.0, -1)),
        ('to_one_hot', E.to_one_hot(iv, 6, dtype='float64'), np.eye(6)[IV]),
        ('searchsorted', E.searchsorted(T.sort(v), v), np.searchsorted(sorted_v, VV)),
        ('searchsorted_right', E.searchsorted(T.sort(v), v, side='right'), np.searchsorted(sorted_v, VV, 'right')),
        ('searchsorted_sorter', E.searchsorted(v, x, sorter=T.argsort(v)), np.searchsorted(VV, XV, sorter=np.argsort(VV))),
        ('unique', E.unique(iv), np.unique(IV)),
        *[(f'unique_{k}', out, ref) for k, (out, ref) in
          enumerate(zip(E.unique(iv, True, True, True), np.unique(IV, True, True, True)))],
        ('cumsum', E.cumsum(x, axis=1), np.cumsum(XV, axis=1)),
        ('cumprod', E.cumprod(x), np.cumprod(XV)),
        ('compress', E.compress(T.gt(v, 0), v), np.compress(VV > 0, VV)),
        ('compress_axis', E.compress(T.gt(v[:4], 0), x, axis=0), np.compress(VV[:4] > 0, XV, axis=0)),
        ('ravel_multi_index', E.ravel_multi_index([iv, rv], (7, 8)), np.ravel_multi_index((IV, RV), (7, 8))),
        *[(f'unravel_index_{k}', out, ref) for k, (out, ref) in
          enumerate(zip(E.unravel_index(iv, (2, 3)), np.unravel_index(IV, (2, 3))))],
        ('unravel_index_F', E.unravel_index(iv, (3, 2), order='F')[1], np.unravel_index(IV, (3, 2), order='F')[1]),
        ('tile', T.tile(x, (2, 3)), np.tile(XV, (2, 3))),
        ('tile_ndim', T.tile(v, (2, 1, 2)), np.tile(VV, (2, 1, 2))),
        ('roll', T.roll(x, 2, axis=1), np.roll(XV, 2, axis=1)),
        ('roll_flat', T.roll(x, -3), np.roll(XV, -3)),
        ('stack_varargs', T.stack(v, 2 * v, axis=1), np.stack([VV, 2 * VV], axis=1)),
        ('stack_list', T.stack([v, v]), np.stack([VV, VV])),
        ('inv', T.inv(x), 1 / XV),
        ('square', T.square(x), XV ** 2),
        ('batched_dot', T.batched_dot(T.stack(x, 2 * x), T.stack(x.T, x.T)), np.stack([XV @ XV.T, 2 * XV @ XV.T])),
        ('batched_dot_vec', T.batched_dot(x, x), np.sum(XV * XV, axis=1)),
        ('batched_tensordot', T.batched_tensordot(T.stack(x, x), T.stack(x, -x), [[2], [2]]),
         np.stack([XV @ XV.T, -XV @ XV.T])),
        ('triu', T.triu(x), np.triu(XV)), ('triu_k', T.triu(x, 1), np.triu(XV, 1)),
        ('tril', T.tril(x), np.tril(XV)), ('tril_k', T.tril(x, -1), np.tril(XV, -1)),
        ('diag_vector', T.diag(v), np.diag(VV)), ('diag_vector_k', T.diag(v, -2), np.diag(VV, -2)),
        ('diag_matrix', T.diag(x), np.diag(XV)), ('diag_matrix_k', T.diag(x, 2), np.diag(XV, 2)),
        ('take', T.take(x, iv, axis=1), np.take(XV, IV, axis=1)),
        ('take_flat', T.take(x, T.reshape(iv, (2, 3))), np.take(XV, IV.reshape(2, 3))),
        ('take_wrap', T.take(v, iv + 5, mode='wrap'), np.take(VV, IV + 5, mode='wrap')),
        ('choose', T.choose(iv % 2, [v, 2 * v]), np.choose(IV % 2, [VV, 2 * VV])),
        ('mgrid_0', T.mgrid[0:3, 1:5:2][0], np.mgrid[0:3, 1:5:2][0]),
        ('mgrid_1', T.mgrid[0:3, 1:5:2][1], np.mgrid[0:3, 1:5:2][1]),
        ('ogrid_1', T.ogrid[0:3, 0:4][1], np.ogrid[0:3, 0:4][1]),
        *[(f'nonzero_{k}', out, ref) for k, (out, ref) in enumerate(zip(T.nonzero(T.gt(x, 0.2)), np.nonzero(XV > 0.2)))],
        ('nonzero_matrix', T.nonzero(v, return_matrix=True), np.array(np.nonzero(VV))),
        ('flatnonzero', T.flatnonzero(T.gt(x, 0.2)), np.flatnonzero(XV > 0.2)),
        ('nonzero_values', T.nonzero_values(v), VV[VV != 0]),
        ('swapaxes', T.swapaxes(x[None], 0, 2), np.swapaxes(XV[None], 0, 2)),
        ('argmax_keepdims', T.argmax(x, axis=1, keepdims=True), np.argmax(XV, axis=1)[:, None]),
        ('argmin_keepdims', T.argmin(x, axis=0, keepdims=True), np.argmin(XV, axis=0)[None]),
        ('largest', T.largest(v, 2 * v, -v), np.max([VV, 2 * VV, -VV], axis=0)),
        ('smallest', T.smallest(v, -v), np.minimum(VV, -VV)),
        ('var_ddof', T.var(x, axis=0, ddof=1), np.var(XV, axis=0, ddof=1)),
        ('std_ddof', T.std(x, ddof=1), np.std(XV, ddof=1)),
        ('mean_dtype', T.mean(iv, dtype='float32'), np.mean(IV, dtype='float32')),
        ('zeros_keyword', T.zeros(shape=(2, 3)) + x[:2, :3], XV[:2, :3]),
        ('addbroadcast', T.addbroadcast(x[:1], 0) + x, XV[:1] + XV),
        ('unbroadcast', T.unbroadcast(x[:1, None], 1) * 2, XV[:1, None] * 2),
        ('patternbroadcast', T.patternbroadcast(x[:, :1], (False, True)) - x, XV[:, :1] - XV),
    ]


def _fill_diag(a, val, offset=0):
    out = a.copy()
    rows = np.arange(max(-offset, 0), a.shape[0])
    cols = rows + offset
    keep = cols < a.shape[1]
    out[rows[keep], cols[keep]] = val
    return out


# Numba compiles a graph in time that grows faster than its length, and the
# compositions above run on ops whose Numba lowering other tests cover: on Numba, the
# table is cut to the sorting, searching and counting ops (tracegraph_numba/extra_ops.py)
# and Rebroadcast.
JIT_BACKENDS = {'numba'}
JIT_CASES = {'sort_axis0', 'argsort', 'repeat_vector', 'repeat_scalar', 'searchsorted_sorter',
             'unique_0', 'unique_1', 'unique_2', 'unique_3', 'nonzero_matrix', 'addbroadcast'}
JIT_GRAD_CASES = {'sort', 'repeat_vector'}


def test_every_function_against_numpy(backend):
    x, v, iv, rv = T.dmatrix('x'), T.dvector('v'), T.lvector('iv'), T.lvector('rv')
    cases = _cases(x, v, iv, rv)
    if backend in JIT_BACKENDS:
        cases = [case for case in cases if case[0] in JIT_CASES]
    f = tg.function([x, v, iv, rv], [out for _, out, _ in cases], backend=backend, on_unused_input='ignore')
    got = f(XV, VV, IV, RV)
    for (name, _, ref), value in zip(cases, got):
        value, ref = np.asarray(value), np.asarray(ref)
        assert value.shape == ref.shape, (name, value.shape, ref.shape)
        assert value.dtype.kind == ref.dtype.kind, (name, value.dtype, ref.dtype)
        np.testing.assert_allclose(value, ref, rtol=1e-12, atol=1e-12, err_msg=name)


def test_static_types():
    x = T.dmatrix('x')
    assert T.addbroadcast(x, 0).broadcastable == (True, False)
    assert T.unbroadcast(T.addbroadcast(x, 0, 1), 1).broadcastable == (True, False)
    assert T.patternbroadcast(x, (False, True)).broadcastable == (False, True)
    assert T.sort(x).type == x.type and T.argsort(x).dtype == 'int64'
    assert E.repeat(T.constant(np.ones((2, 3))), 2, axis=0).type.shape == (4, 3)
    assert len(T.nonzero(T.tensor3())) == 3 and len(E.unique(T.ivector(), True, True)) == 3
    with pytest.raises(ValueError, match='broadcastable'):
        E.squeeze(x, axis=0)


def test_runtime_errors_name_the_op():
    iv = T.lvector('iv')
    f = tg.function([iv], [E.bincount(iv, assert_nonneg=True), T.addbroadcast(T.shape_padleft(iv), 0)])
    with pytest.raises(ValueError, match='negative'):
        f(np.array([1, -1]))
    g = tg.function([iv], E.unravel_index(iv, (2, 3))[0])
    with pytest.raises(ValueError):
        g(np.array([7]))


U = lambda *shape: (lambda rng: rng.uniform(-1, 1, shape))  # noqa: E731

GRAD_CASES = {
    'sort': (lambda x: T.sort(x, axis=1) * np.arange(5.0), [U(3, 5)]),
    'sort_flat': (lambda x: T.sort(x, axis=None) * np.arange(15.0), [U(3, 5)]),
    'repeat_scalar': (lambda x: E.repeat(x, 3, axis=0) ** 2, [U(2, 3)]),
    'repeat_vector': (lambda x: E.repeat(x, np.array([2, 0, 3])) * np.arange(5.0), [U(3)]),
    'diff': (lambda x: E.diff(x, n=2, axis=1) ** 2, [U(3, 5)]),
    'fill_diagonal': (lambda x, s: E.fill_diagonal(x, T.sum(s)) ** 2, [U(3, 4), U(2)]),
    'fill_diagonal_offset': (lambda x, s: E.fill_diagonal_offset(x, T.sum(s), 1) ** 2, [U(3, 4), U(2)]),
    'take': (lambda x: T.take(x, np.array([[0, 2], [2, 2]]), axis=1) ** 2, [U(2, 3)]),
    'tile_roll': (lambda x: T.roll(T.tile(x, (2, 1)), 1, axis=0) * np.arange(12.0).reshape(6, 2), [U(3, 2)]),
    'batched_dot_tril_diag': (lambda a, b: T.tril(T.batched_dot(a, b)).sum(axis=0) + T.diag(T.diag(a[0])),
                              [U(2, 3, 3), U(2, 3, 3)]),
    'squeeze_compress_choose': (lambda x, y: T.choose(np.array([1, 0, 1]), [E.squeeze(x), y])
                                + E.compress(np.array([1, 0, 1]), y).sum(), [U(1, 3), U(3)]),
    'nonzero_values_inv': (lambda x: T.nonzero_values(x) ** 2 + T.inv(x + 3), [U(4)]),
}


def test_gradients(backend):
    cases = GRAD_CASES
    if backend in JIT_BACKENDS:
        cases = {name: case for name, case in cases.items() if name in JIT_GRAD_CASES}
    verify_cases(cases, backend)
