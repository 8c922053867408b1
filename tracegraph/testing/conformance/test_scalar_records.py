"""One record per scalar op (issue 18): a new op is one record, and runs everywhere.

`sinpi` is registered here the way a plugin would, with a decomposition and a
derivative and no backend spelling: every backend must compute it (alone, fused in
a chain, on a small array and on one large enough for the blocked paths) through
the decomposition, and differentiate it through the record.
"""
import math

import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.autodiff import verify_grad
from tracegraph.tensor.elemwise import Elemwise
from tracegraph.tensor.scalar import (SCALAR_OPS, TRANSCENDENTAL, ScalarOp, coverage, expensive,
                                      register_scalar_op, unregister_scalar_op)

SINPI = ScalarOp('tg_test_sinpi', 1, 'float', groups=frozenset({TRANSCENDENTAL}),
                 decompose=lambda b, x: b.sin(b.mul(x, b.const(math.pi, x))),
                 grad=lambda m, x, z, g: (m.mul(m.mul(g, math.pi), m.cos(m.mul(x, math.pi))),))


@pytest.fixture
def sinpi():
    op = register_scalar_op(SINPI)
    try:
        yield Elemwise(op)
    finally:
        unregister_scalar_op(op.name)


def test_a_new_op_runs_on_every_backend_through_its_decomposition(sinpi, backend):
    x, y = T.dvector('x'), T.fvector('y')
    f = tg.function([x, y], [sinpi(x), sinpi(x) * 2.0 + x, sinpi(y)], backend=backend)
    rng = np.random.default_rng(18)
    for n in (5, 70_000):   # 70,000: above both the NumPy and the Numba blocked thresholds
        xv = rng.uniform(-3, 3, n)
        yv = xv.astype('float32')
        alone, chain, single = f(xv, yv)
        want = np.sin(np.pi * xv)
        np.testing.assert_allclose(alone, want, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(chain, want * 2.0 + xv, rtol=1e-12, atol=1e-14)
        assert single.dtype == np.float32
        np.testing.assert_allclose(single, np.sin(np.float32(np.pi) * yv), rtol=1e-5, atol=1e-6)
    verify_grad(lambda v: sinpi(v) * v, [rng.uniform(-1, 1, (3,))], rng=rng, backend=backend)


def test_every_T_function_of_an_elementwise_op_comes_from_its_record():
    for name, op in SCALAR_OPS.items():
        fn = getattr(T, op.function_name)
        node = fn(*[T.dvector() if name not in ('and_', 'or_', 'xor', 'invert') else T.lvector()
                    for _ in range(op.nin)]).owner
        assert node.op.scalar_op is op, name


def test_backends_read_expensive_from_the_groups():
    # The NumPy backend (one ufunc call, no threads of its own) also blocks HEAVY ops;
    # a compiled loop vectorizes those, and blocks only libm calls.
    assert expensive(SCALAR_OPS['sqrt']) and not expensive(SCALAR_OPS['sqrt'], compiled_loop=True)
    for name in ('erfinv', 'log1mexp', 'pow', 'gammaln', 'j0'):
        assert expensive(SCALAR_OPS[name]) and expensive(SCALAR_OPS[name], compiled_loop=True)
    assert not expensive(SCALAR_OPS['add'])


def test_coverage_of_the_backend_tables():
    from tracegraph.kernels import ufuncs
    assert coverage(ufuncs.table())['missing'] == []
    assert 'xlogx' in coverage(ufuncs.table())['decomposed']
    scalar_source = pytest.importorskip('tracegraph_numba.scalar_source')
    assert coverage(set(scalar_source.EXPRESSIONS))['missing'] == []


def test_backends_coverage_lists_the_scalar_spellings():
    import io

    from tracegraph.coverage import print_scalar_spellings, scalar_spellings
    report = scalar_spellings()
    for name in ('numpy', 'numba', 'dask'):
        if name in report:
            assert report[name]['missing'] == [] and 'gammaln' in report[name]['native'], name
    if 'cupy' in report:
        assert report['cupy']['missing'] == [] and 'erfcx' in report['cupy']['decomposed']
    out = io.StringIO()
    print_scalar_spellings(file=out)
    assert 'through their decomposition: ' in out.getvalue()
