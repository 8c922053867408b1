"""Python control flow on a placeholder: the error says what a placeholder is, names
the user's line and suggests T.switch, ifelse or scan."""
import numpy as np
import pytest

import tracegraph as tg
import tracegraph.tensor as T
from tracegraph.tensor.variable import NoValueError
from tracegraph.trace import PlaceholderValueError


def _line_of(marker):
    with open(__file__) as fh:
        for number, text in enumerate(fh, start=1):
            if text.rstrip().endswith(f'# {marker}') and 'def _line_of' not in text:
                return number
    raise AssertionError(marker)


def positive_part(x):
    if x.sum() > 0:  # marker: if
        return x
    return -x


def halve_until_small(x):
    while x > 1:  # marker: while
        x = x / 2
    return x


def as_int(x):
    return np.arange(10)[:int(x)]  # marker: int


def as_float(x):
    return x * float(x)  # marker: float


def pick(x, i):
    return [x, 2 * x, 3 * x][i]  # marker: index


@pytest.mark.parametrize('fn, args, marker, what', [
    (positive_part, (np.ones(3),), 'marker: if', 'bool()'),
    (halve_until_small, (8.0,), 'marker: while', 'bool()'),
    (as_int, (3.0,), 'marker: int', 'int()'),
    (as_float, (3.0,), 'marker: float', 'float()'),
    (pick, (np.ones(2), 1), 'marker: index', '__index__'),
])
def test_control_flow_on_a_placeholder_names_the_line_and_the_fix(backend, fn, args, marker, what):
    f = tg.compile(fn, backend=backend)
    with pytest.raises(PlaceholderValueError) as info:
        f(*args)
    message = str(info.value)
    assert f'{__file__}:{_line_of(marker)}' in message
    assert marker in message  # the text of the line itself
    assert 'placeholder' in message and what in message
    for fix in ('T.switch', 'ifelse', 'scan', 'static_argnames'):
        assert fix in message
    assert f'{fn.__name__}()' in message
    assert isinstance(info.value, NoValueError) and isinstance(info.value, TypeError)


def test_the_message_names_the_arguments_the_value_depends_on(backend):
    def body(params, x):
        if params['scale'] > 0:
            return x
        return -x
    f = tg.compile(body, backend=backend)
    with pytest.raises(PlaceholderValueError, match=r"computed from params\['scale'\]") as info:
        f({'scale': 1.0}, np.ones(2))
    assert "static_argnames=('params',)" in str(info.value)


def test_the_suggested_fixes_work(backend):
    @tg.compile(backend=backend)
    def switch(x):
        return T.switch(x > 0, x, -x)

    @tg.compile(backend=backend, static_argnames=('flip',))
    def static(x, flip):
        return -x if flip else x  # Python control flow on a static argument is fine

    x = np.array([-1.0, 2.0])
    np.testing.assert_allclose(switch(x), np.abs(x))
    np.testing.assert_allclose(static(x, flip=True), -x)
    np.testing.assert_allclose(static(x, flip=False), x)


def test_a_helper_function_line_is_named(backend):
    def helper(v):
        return 1 if v else 0  # marker: helper

    @tg.compile(backend=backend)
    def body(x):
        return x + helper(x)
    with pytest.raises(PlaceholderValueError) as info:
        body(1.0)
    assert f'{__file__}:{_line_of("marker: helper")}' in str(info.value)


def test_a_numpy_function_on_a_placeholder_points_to_its_tensor_twin(backend):
    def body(x):
        return np.exp(x) + 1  # marker: numpy

    f = tg.compile(body, backend=backend)
    with pytest.raises(TypeError, match=r"(?s)NumPy.s exp on a placeholder.*T\.exp") as info:
        f(np.ones(2))
    assert f'{__file__}:{_line_of("marker: numpy")}' in str(info.value)
