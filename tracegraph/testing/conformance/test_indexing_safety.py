"""Memory safety of indexing (issue 17): a bad index is NumPy's error, never garbage.

Every indexing form (basic slices with symbolic bounds and steps, integer arrays,
masks, set/inc, 1-D to 3-D, negative indices, broadcasting values) is compared with
NumPy on hypothesis-drawn inputs, including the shapes that must raise, by
`_indexing_cases.py` in a child process: the defects looked for read and write out
of bounds, and a segfault there must fail this test instead of killing the run.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.tensor.index_check import check_assignment, selection_shape


def test_every_indexing_form_matches_numpy_in_a_child_process(backend):
    env = dict(os.environ, PYTHONFAULTHANDLER='1')
    child = subprocess.run([sys.executable, '-m', 'tracegraph.testing.conformance._indexing_cases',
                            backend], capture_output=True, text=True, env=env, timeout=900)
    if child.returncode < 0:
        pytest.fail(f'the child died of signal {-child.returncode} (an out-of-bounds access):\n'
                    f'{child.stderr[-4000:]}')
    assert child.returncode == 0, child.stderr[-6000:]
    counts = json.loads(child.stdout.strip().splitlines()[-1])
    print(f'indexing on {backend}: {counts}')
    assert counts['forms'] == 15
    assert counts['cases'] > 250 and counts['errors_expected'] > 50, counts


def test_out_of_bounds_take_reshape_and_zero_step_raise(backend):
    """The reported Dask cases, in process (they were wrong values, not crashes)."""
    v, iv, s = T.dvector('v'), T.lvector('iv'), T.lvector('s')
    take = tg.function([v, iv], v[iv], backend=backend)
    np.testing.assert_array_equal(take(np.array([10., 20, 30]), np.array([1, -3])), [20, 10])
    with pytest.raises(IndexError, match=r'(?s)out of bounds.*test_indexing_safety\.py'):
        take(np.array([10., 20, 30]), np.array([1, 7]))
    reshape = tg.function([v, s], v.reshape(s, ndim=2), backend=backend)
    assert np.asarray(reshape(np.zeros(6), np.array([-1, 2]))).shape == (3, 2)
    assert np.asarray(reshape(np.zeros(0), np.array([3, -1]))).shape == (3, 0)
    for shape in ([0, -1], [4, -1], [-1, -1]):
        with pytest.raises(ValueError) as error:   # Dask: ZeroDivisionError for (0, -1)
            reshape(np.zeros(6), np.array(shape))
        if backend in ('numpy', 'dask'):
            assert 'Reshape' in str(error.value) and 'test_indexing_safety.py' in str(error.value)
    for build in (lambda: v[::0], lambda: v[T.lscalar('k')::0]):
        with pytest.raises(ValueError, match='slice step cannot be zero'):
            build()


def test_index_check_agrees_with_numpy_on_fixed_cases():
    """The checker the Dask and CuPy lowerings call, against NumPy directly."""
    x = np.zeros((3, 4, 5))
    cases = [(slice(None), np.array([0, -4])), (np.array([0, 1]), slice(1, 3), np.array([1, 2])),
             (None, np.array([1, 2]), np.array([[0], [1]])), (np.array([True, False, True]), 2),
             (1, slice(None), np.array([0, 4])), (np.ones((3, 4), bool),),
             (slice(None), None, np.array([0, -1]), 0), (np.array([7]),), (5,), (-4,),
             (slice(None), np.array([True] * 4 + [False])), (np.array([0, 1]), np.array([0, 1, 2])),
             (slice(None, None, 0),), (np.array([], np.int64),), (0, 0, np.array([-6]))]
    for index in cases:
        try:
            expected = x[index].shape
        except (IndexError, ValueError) as exc:
            with pytest.raises(type(exc)):
                selection_shape(x.shape, index)
        else:
            assert selection_shape(x.shape, index) == expected, index
    # Assignments: NumPy checks the value before the bounds for `=`, after for add.at.
    with pytest.raises(ValueError):
        check_assignment((3,), (np.array([0, 5]),), (3,), set_instead_of_inc=True)
    with pytest.raises(IndexError):
        check_assignment((3,), (np.array([0, 5]),), (3,), set_instead_of_inc=False)
    assert check_assignment((3, 4), (np.array([0, 0]),), (2, 1)) == (2, 4)
