"""Running many gradient cases as one compiled function (one compile per backend).

Compiling is the slow part on JIT backends, so the every-backend tests check all
cases of a table at once: the flattened outputs of every case, concatenated, are
one output whose projection weighs every element; a mismatch names its case.
"""
import numpy as np

import tracegraph.tensor as T
from tracegraph.autodiff import GradientError, verify_grad


CHUNK = 8  # cases per compiled function: JIT compile time grows faster than linearly


def chunks(cases):
    names = sorted(cases)
    return [names[k:k + CHUNK] for k in range(0, len(names), CHUNK)]


def verify_cases(cases, backend, seed=0):
    """verify_grad of every (fun, samplers) in `cases` ({name: case}) in one function."""
    names = sorted(cases)
    rng = np.random.default_rng(seed)
    points, owner = [], []
    for name in names:
        for sample in cases[name][1]:
            points.append(sample(rng))
            owner.append(name)

    def fun(*xs):
        outs, k = [], 0
        for name in names:
            fn, samplers = cases[name]
            out = T.as_tensor_variable(fn(*xs[k:k + len(samplers)]))
            outs.append(T.cast(T.flatten(out), 'float64'))
            k += len(samplers)
        return T.concatenate(outs)

    try:
        verify_grad(fun, points, rng=rng, backend=backend)
    except GradientError as err:
        raise GradientError(f'case {owner[err.arg]!r}: {err}', err.arg, err.abs_err, err.rel_err) from err


def numeric_jacobian(fn, x, eps=1e-6):
    """d fn(x) / d x by central differences, shape fn(x).shape + x.shape."""
    out = np.asarray(fn(x))
    jac = np.zeros(out.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += eps
        minus[idx] -= eps
        jac[(Ellipsis,) + idx] = (np.asarray(fn(plus)) - np.asarray(fn(minus))) / (2 * eps)
    return jac
