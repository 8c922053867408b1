"""Differential cases of every indexing form against NumPy, run in a child process.

`python -m tracegraph.testing.conformance._indexing_cases BACKEND` compiles one
graph per indexing form (symbolic shapes, so one compile serves every input),
feeds it hypothesis-drawn inputs, good and bad (out-of-bounds and negative
indices, masks of the wrong length, zero steps, values of the wrong shape or
broadcasting ones), and checks that each call returns exactly NumPy's result or
raises NumPy's error class with a message naming the op and the line that built
it.  It prints one JSON line of counts and exits 0, or exits 1 with the failure.

It runs in a child process (test_indexing_safety.py) because the bugs it looks
for read and write out of bounds: a segfault must fail the test, not kill the run.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tracegraph as tg
import tracegraph.tensor as T

THIS_FILE = '_indexing_cases.py'
SETTINGS = settings(max_examples=30, deadline=None, database=None, derandomize=True)
COUNTS = {'cases': 0, 'errors_expected': 0, 'forms': 0}


@dataclass
class Form:
    """One indexing form: the symbolic graph, and NumPy's meaning of it."""

    name: str
    build: object            # () -> (inputs, output)
    reference: object        # (*values) -> NumPy result (may raise)
    fn: object = field(default=None)


def _expect(form, backend, values):
    """Run the form on `values`; compare with NumPy (value, or error class)."""
    if form.fn is None:
        inputs, output = form.build()
        form.fn = tg.function(inputs, output, backend=backend)
    COUNTS['cases'] += 1
    try:
        expected = form.reference(*[np.copy(v) for v in values])
    except (IndexError, ValueError) as exc:
        expected = exc
    try:
        got = form.fn(*values)
    except (IndexError, ValueError) as exc:
        if not isinstance(expected, Exception):
            raise AssertionError(f'{form.name}: raised {exc!r} where NumPy gives {expected!r}; '
                                 f'inputs {values!r}') from exc
        if type(exc) is not type(expected) and not _same_class(exc, expected):
            raise AssertionError(f'{form.name}: raised {type(exc).__name__} where NumPy raises '
                                 f'{expected!r}; inputs {values!r}') from exc
        text = str(exc)
        if 'ubtensor' not in text or THIS_FILE not in text:
            raise AssertionError(f'{form.name}: the error does not name the op and the line '
                                 f'that built it: {text!r}') from exc
        COUNTS['errors_expected'] += 1
        return
    if isinstance(expected, Exception):
        raise AssertionError(f'{form.name}: returned {got!r} where NumPy raises {expected!r}; '
                             f'inputs {values!r}')
    pairs = zip(got, expected) if isinstance(expected, tuple) else [(got, expected)]
    for one, reference in pairs:
        one = np.asarray(one)
        if one.shape != reference.shape or not np.array_equal(one, reference):
            raise AssertionError(f'{form.name}: {one!r} != NumPy {reference!r}; inputs {values!r}')


def _same_class(exc, expected):
    return isinstance(exc, type(expected))


# -- strategies -----------------------------------------------------------------------
def _data(shape):
    """Distinct integer-valued floats: any misplaced or garbage element shows."""
    return np.arange(1, 1 + int(np.prod(shape)), dtype=np.float64).reshape(shape) * 10


dims = st.integers(0, 4)


@st.composite
def int_vectors(draw, n, max_len=5):
    """Index vectors mostly in [-n, n), sometimes just outside (out of bounds)."""
    length = draw(st.integers(0, max_len))
    low, high = (-n - 2, n + 1) if draw(st.sampled_from([False, False, True])) else (-n, n - 1)
    if low > high:
        return np.zeros(0, np.int64)
    return np.array(draw(st.lists(st.integers(low, high), min_size=length, max_size=length)),
                    dtype=np.int64)


@st.composite
def value_shapes(draw, selection, ndim):
    """A value shape of rank `ndim` for a selection: its own (right-aligned), with
    some axes 1 (broadcast), or anything (usually wrong)."""
    fitted = tuple(selection[len(selection) - ndim:]) if ndim <= len(selection) else None
    kind = draw(st.sampled_from(['fit', 'ones', 'any']))
    if fitted is not None and kind == 'fit':
        return fitted
    if fitted is not None and kind == 'ones':
        return tuple(d if draw(st.booleans()) else 1 for d in fitted)
    return tuple(draw(st.lists(dims, min_size=ndim, max_size=ndim)))


def _selection(x, index):
    try:
        return x[index].shape
    except (IndexError, ValueError):
        return (2,) * 3


# -- the forms ------------------------------------------------------------------------
def _set(x, index, y):
    x[index] = y
    return x


def _inc(x, index, y):
    np.add.at(x, index, y)
    return x


def _basic_index(i, a, b, s):
    return (i, slice(a, b, s))


def forms():
    """Every indexing form the suite checks, as (Form, strategy of inputs)."""
    out = []

    def vec_take():
        x, iv = T.dvector('x'), T.lvector('iv')
        return [x, iv], x[iv]

    @st.composite
    def vec_take_in(draw):
        n = draw(dims)
        return _data((n,)), draw(int_vectors(n))
    out.append((Form('x[iv]', vec_take, lambda x, iv: x[iv]), vec_take_in()))

    def col_take():
        x, iv = T.dtensor3('x'), T.lvector('iv')
        return [x, iv], x[:, iv]

    @st.composite
    def col_take_in(draw):
        shape = tuple(draw(st.lists(dims, min_size=3, max_size=3)))
        return _data(shape), draw(int_vectors(shape[1]))
    out.append((Form('x3[:, iv]', col_take, lambda x, iv: x[:, iv]), col_take_in()))

    def mask1():
        x, m = T.dvector('x'), T.vector('m', dtype='bool')
        return [x, m], x[m]

    @st.composite
    def mask1_in(draw):
        n = draw(dims)
        k = draw(st.sampled_from([n, n, n, max(n - 1, 0), n + 1]))
        return _data((n,)), np.array(draw(st.lists(st.booleans(), min_size=k, max_size=k)), bool)
    out.append((Form('x[m]', mask1, lambda x, m: x[m]), mask1_in()))

    def mask2():
        x, m = T.dtensor3('x'), T.matrix('m', dtype='bool')
        return [x, m], x[m]

    @st.composite
    def mask2_in(draw):
        shape = tuple(draw(st.lists(dims, min_size=3, max_size=3)))
        mshape = (draw(st.sampled_from([shape[0], shape[0], shape[0] + 1])),
                  draw(st.sampled_from([shape[1], shape[1], max(shape[1] - 1, 0)])))
        mask = np.array(draw(st.lists(st.booleans(), min_size=int(np.prod(mshape)),
                                      max_size=int(np.prod(mshape)))), bool).reshape(mshape)
        return _data(shape), mask
    out.append((Form('x3[m2]', mask2, lambda x, m: x[m]), mask2_in()))

    def two_arrays():
        x, iv, jv = T.dmatrix('x'), T.lvector('iv'), T.lvector('jv')
        return [x, iv, jv], x[iv, jv]

    @st.composite
    def two_arrays_in(draw):
        shape = tuple(draw(st.lists(dims, min_size=2, max_size=2)))
        return _data(shape), draw(int_vectors(shape[0], 3)), draw(int_vectors(shape[1], 3))
    out.append((Form('x[iv, jv]', two_arrays, lambda x, iv, jv: x[iv, jv]), two_arrays_in()))

    def apart():
        x, iv, jv, i = T.dtensor3('x'), T.lvector('iv'), T.lmatrix('jv'), T.lscalar('i')
        return [x, iv, jv, i], [x[iv, :, jv], x[None, i, iv, 1:], x[jv, 1:]]

    def apart_ref(x, iv, jv, i):
        return x[iv, :, jv], x[None, i, iv, 1:], x[jv, 1:]

    @st.composite
    def apart_in(draw):
        shape = tuple(draw(st.lists(dims, min_size=3, max_size=3)))
        rows = draw(st.sampled_from([1, 2]))
        jv = np.stack([draw(int_vectors(shape[2], 3)) for _ in range(rows)]) if rows == 1 else \
            draw(int_vectors(shape[2], 3))[None, :].repeat(rows, axis=0)
        return (_data(shape), draw(int_vectors(shape[0], 3)), jv,
                draw(st.integers(-shape[0] - 1, shape[0])))
    out.append((Form('x3[iv, :, jv2], x3[None, i, iv, 1:], x3[jv2, 1:]', apart, apart_ref), apart_in()))

    scalars = [T.lscalar(n) for n in 'iabs']

    def basic():
        x = T.dtensor3('x')
        i, a, b, s = scalars
        return [x, i, a, b, s], x[i, a:b:s]

    @st.composite
    def basic_in(draw):
        shape = tuple(draw(st.lists(dims, min_size=3, max_size=3)))
        return (_data(shape), draw(st.integers(-shape[0] - 1, shape[0])),
                draw(st.integers(-5, 5)), draw(st.integers(-5, 5)), draw(st.integers(-2, 2)))
    out.append((Form('x3[i, a:b:s]', basic, lambda x, i, a, b, s: x[i, a:b:s]), basic_in()))

    for verb, apply_ in (('set', _set), ('inc', _inc)):
        out += _assignment_forms(verb, apply_, scalars)
    return out


def _assignment(verb, sub, y):
    return T.set_subtensor(sub, y) if verb == 'set' else T.inc_subtensor(sub, y)


def _assignment_forms(verb, apply_, scalars):
    out = []

    def vec(verb=verb):
        x, iv, y = T.dvector('x'), T.lvector('iv'), T.dvector('y')
        return [x, iv, y], _assignment(verb, x[iv], y)

    @st.composite
    def vec_in(draw):
        n = draw(dims)
        iv = draw(int_vectors(n))
        return _data((n,)), iv, _data(draw(value_shapes(iv.shape, 1))) / 10
    out.append((Form(f'{verb} x[iv] = y', vec, lambda x, iv, y: apply_(x, iv, y)), vec_in()))

    def rows(verb=verb):
        x, iv, y = T.dmatrix('x'), T.lvector('iv'), T.dmatrix('y')
        return [x, iv, y], _assignment(verb, x[iv], y)

    @st.composite
    def rows_in(draw):
        shape = tuple(draw(st.lists(dims, min_size=2, max_size=2)))
        iv = draw(int_vectors(shape[0]))
        return _data(shape), iv, _data(draw(value_shapes((len(iv), shape[1]), 2))) / 10
    out.append((Form(f'{verb} x[iv] = y2', rows, lambda x, iv, y: apply_(x, iv, y)), rows_in()))

    def basic(verb=verb):
        x, y = T.dtensor3('x'), T.dmatrix('y')
        i, a, b, s = scalars
        return [x, y, i, a, b, s], _assignment(verb, x[i, a:b:s], y)

    def basic_ref(x, y, i, a, b, s):
        index = _basic_index(i, a, b, s)
        if verb == 'set':
            x[index] = y
        else:
            x[index] += y
        return x

    @st.composite
    def basic_in(draw):
        shape = tuple(draw(st.lists(dims, min_size=3, max_size=3)))
        i = draw(st.integers(-shape[0] - 1, shape[0]))
        a, b, s = draw(st.integers(-5, 5)), draw(st.integers(-5, 5)), draw(st.integers(-2, 2))
        x = _data(shape)
        y = _data(draw(value_shapes(_selection(x, _basic_index(i, a, b, s)), 2))) / 10
        return x, y, i, a, b, s
    out.append((Form(f'{verb} x3[i, a:b:s] = y2', basic, basic_ref), basic_in()))

    def masked(verb=verb):
        x, m, y = T.dmatrix('x'), T.vector('m', dtype='bool'), T.dvector('y')
        return [x, m, y], _assignment(verb, x[m], y)

    @st.composite
    def masked_in(draw):
        shape = tuple(draw(st.lists(dims, min_size=2, max_size=2)))
        k = draw(st.sampled_from([shape[0], shape[0], max(shape[0] - 1, 0), shape[0] + 1]))
        m = np.array(draw(st.lists(st.booleans(), min_size=k, max_size=k)), bool)
        x = _data(shape)
        return x, m, _data(draw(value_shapes(_selection(x, m), 1))) / 10
    out.append((Form(f'{verb} x[m] = y', masked, lambda x, m, y: apply_(x, m, y)), masked_in()))
    return out


# -- the run ----------------------------------------------------------------------------
def check_forms(backend):
    for form, inputs in forms():
        COUNTS['forms'] += 1
        _checker(form, inputs, backend)()


def _checker(form, inputs, backend):
    @SETTINGS
    @given(inputs)
    def check(values):
        _expect(form, backend, values)
    return check


def check_long_inputs(backend):
    """The reported crashes: a long index or mask against short values (segfaults)."""
    v, iv, w, m = T.dvector('v'), T.lvector('iv'), T.dvector('w'), T.vector('m', dtype='bool')
    setf = tg.function([v, iv, w], T.set_subtensor(v[iv], w), backend=backend)
    incf = tg.function([v, iv, w], T.inc_subtensor(v[iv], w), backend=backend)
    take = tg.function([v, m], v[m], backend=backend)
    long_index = np.zeros(10 ** 6, np.int64)
    for fn, args in ((setf, (np.zeros(3), long_index, np.ones(3))),
                     (incf, (np.zeros(3), long_index, np.ones(2))),
                     (take, (np.zeros(3), np.ones(10 ** 6, bool)))):
        COUNTS['cases'] += 1
        try:
            fn(*args)
        except (IndexError, ValueError):
            COUNTS['errors_expected'] += 1
            continue
        raise AssertionError('a long index against short values did not raise')


def check_shared_unchanged(backend):
    """A failing in-place update writes nothing: the shared variable keeps its value."""
    W = tg.shared(_data((3, 4)), name='W')
    i, g = T.lscalar('i'), T.dvector('g')
    f = tg.function([i, g], [], updates=[(W, T.inc_subtensor(W[i], g))], backend=backend)
    before = W.get_value().copy()
    for args in ((0, np.ones(3)), (0, np.ones(5)), (0, np.ones(0)), (3, np.ones(4)), (-4, np.ones(4))):
        COUNTS['cases'] += 1
        try:
            f(*args)
        except (IndexError, ValueError):
            COUNTS['errors_expected'] += 1
        else:
            raise AssertionError(f'inc_subtensor(W[{args[0]}], g) with g of {args[1].shape} did not raise')
        np.testing.assert_array_equal(W.get_value(), before)
    f(-1, np.ones(4))
    before[-1] += 1
    np.testing.assert_array_equal(W.get_value(), before)
    # Rows at an index vector: a bad index late in the vector must not leave the
    # earlier rows written (the checks come before the loop).
    iv, G = T.lvector('iv'), T.dmatrix('G')
    rows = tg.function([iv, G], [], updates=[(W, T.inc_subtensor(W[iv], G))], backend=backend)
    for args in ((np.array([0, 1, 3]), np.ones((3, 4))), (np.array([0, -4]), np.ones((2, 4))),
                 (np.array([0, 1]), np.ones((3, 4))), (np.array([0, 1]), np.ones((2, 5)))):
        COUNTS['cases'] += 1
        try:
            rows(*args)
        except (IndexError, ValueError):
            COUNTS['errors_expected'] += 1
        else:
            raise AssertionError(f'inc_subtensor(W[{args[0]}], G) with G of {args[1].shape} did not raise')
        np.testing.assert_array_equal(W.get_value(), before)
    rows(np.array([2, 2]), np.ones((1, 4)))
    before[2] += 2
    np.testing.assert_array_equal(W.get_value(), before)


def main(backend):
    if backend == 'cupy_on_host':
        from tracegraph_cupy import host_backend
        host_backend.register()
    check_long_inputs(backend)
    check_shared_unchanged(backend)
    check_forms(backend)
    print(json.dumps(COUNTS))


if __name__ == '__main__':
    main(sys.argv[1])
