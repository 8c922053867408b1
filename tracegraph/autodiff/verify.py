"""verify_grad: check a symbolic gradient against central finite differences.

The output is projected on a random direction (cost = sum(out * proj)), so every
output element's gradient matters, then the gradient of that cost with respect to
each input is compared with (cost(x + h) - cost(x - h)) / 2h, element by element.
The symbolic gradient runs on the backend under test; the finite differences, two
forward calls per input element, run on the reference NumPy backend.
"""
from __future__ import annotations

import numpy as np

from ..tensor import math as m
from ..tensor.basic import as_tensor_variable
from ..tensor.type import TensorType
from ..tensor.variable import compile_function
from .errors import GradientError
from .gradients import grad

# Step and tolerances per dtype: an element fails when both its absolute and its
# relative error exceed them.  float32 sums carry ~1e-7 relative rounding, which a
# step of 1e-3 turns into ~1e-4 of noise; hence the looser float32 tolerance.
_EPS = {'float64': 1e-6, 'float32': 1e-3, 'float16': 1e-1}
_TOL = {'float64': 1e-5, 'float32': 1e-2, 'float16': 1e-1}


def verify_grad(fun, pt, rng=None, eps=None, abs_tol=None, rel_tol=None, backend=None,
                n_tests=2, mode=None, out_type=None, cast_to_output_type=False, no_debug_ref=True):
    """Raise GradientError if tg.grad of `fun` disagrees with finite differences at `pt`.

    `fun` takes one symbolic tensor per array of `pt` (a list of float arrays) and
    returns one tensor.  `rng` (a numpy Generator or RandomState) draws the `n_tests`
    random projections.  Theano's positional order, `verify_grad(fun, pt, n_tests,
    rng)`, works too: an int in `rng`'s place is taken as n_tests.
    """
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        n_tests, rng = int(rng), eps
        eps = None
    pt = [np.array(p) for p in (pt if isinstance(pt, (list, tuple)) else [pt])]
    for k, p in enumerate(pt):
        if p.dtype.kind != 'f':
            raise TypeError(f'verify_grad checks floating-point inputs; point {k} has dtype {p.dtype}')
    rng = np.random.default_rng(0) if rng is None else rng
    inputs = [TensorType(p.dtype, tuple(1 if s == 1 else None for s in p.shape))(f'input_{k}')
              for k, p in enumerate(pt)]
    out = fun(*inputs)
    if isinstance(out, (list, tuple)):
        raise TypeError('verify_grad checks a function with one output; got a list')
    out = as_tensor_variable(out)
    dtype = _worst_dtype([p.dtype for p in pt] + [out.dtype])
    eps = eps if eps is not None else _EPS[dtype]
    abs_tol = abs_tol if abs_tol is not None else _TOL[dtype]
    rel_tol = rel_tol if rel_tol is not None else _TOL[dtype]
    proj = TensorType(out.dtype, out.type.shape)('projection')
    grads = grad(m.sum(m.mul(out, proj)), inputs, disconnected_inputs='ignore')
    symbolic = compile_function(inputs + [proj], grads, backend=backend, mode=mode,
                                on_unused_input='ignore')
    forward = _reference(inputs, out, backend)
    shape = np.shape(forward(*pt))
    moved = _output_differences(forward, pt, eps)
    for _ in range(n_tests):
        direction = np.asarray(rng.random(shape) + 0.5, dtype=out.dtype)
        analytic = symbolic(*pt, direction)
        for k, (a, diffs) in enumerate(zip(analytic, moved)):
            numeric = np.array([np.sum(d * direction) for d in diffs]).reshape(pt[k].shape)
            _compare(k, np.asarray(a, dtype='float64'), numeric, abs_tol, rel_tol)


def _reference(inputs, out, backend):
    """The forward function for finite differences, which call it twice per input element:
    on the reference NumPy backend, where calls are cheapest, unless it cannot run it."""
    try:
        return compile_function(inputs, out, backend='numpy', on_unused_input='ignore')
    except Exception:  # e.g. a user op that only the chosen backend's plugin lowers
        return compile_function(inputs, out, backend=backend, on_unused_input='ignore')


def _worst_dtype(dtypes):
    floats = [np.dtype(d) for d in dtypes if np.dtype(d).kind == 'f']
    return min(floats, key=lambda d: d.itemsize).name if floats else 'float64'


def _output_differences(forward, pt, eps):
    """For each input element: (out(x + h) - out(x - h)) / 2h, by central differences."""
    moved = []
    for k, p in enumerate(pt):
        diffs = []
        for idx in np.ndindex(*p.shape):
            plus, minus = p.copy(), p.copy()
            plus[idx] += eps
            minus[idx] -= eps
            step = float(plus[idx]) - float(minus[idx])  # the step the dtype really took
            high = np.asarray(forward(*pt[:k], plus, *pt[k + 1:]), dtype='float64')
            low = np.asarray(forward(*pt[:k], minus, *pt[k + 1:]), dtype='float64')
            diffs.append((high - low) / step)
        moved.append(diffs)
    return moved


def _compare(k, analytic, numeric, abs_tol, rel_tol):
    if analytic.shape != numeric.shape:
        raise GradientError(f'the gradient of input {k} has shape {analytic.shape}, '
                            f'but the input has shape {numeric.shape}', arg=k)
    abs_err = np.abs(analytic - numeric)
    rel_err = abs_err / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-8)
    badness = np.minimum(abs_err / abs_tol, rel_err / rel_tol)
    badness = np.where(np.isnan(analytic) != np.isnan(numeric), np.inf, np.nan_to_num(badness))
    if badness.size == 0 or badness.max() <= 1:
        return
    worst = np.unravel_index(int(np.argmax(badness)), badness.shape)
    raise GradientError(
        f'gradient mismatch for input {k} at index {tuple(int(i) for i in worst)}: symbolic '
        f'{analytic[worst]!r}, finite differences {numeric[worst]!r} (abs error '
        f'{abs_err[worst]:.3g} > {abs_tol:g} and rel error {rel_err[worst]:.3g} > {rel_tol:g})',
        arg=k, abs_err=float(abs_err[worst]), rel_err=float(rel_err[worst]))
