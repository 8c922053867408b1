"""The few lowerings that are more than one CuPy call.

Each function takes the array module first (`cupy` on a GPU; the tests pass
`numpy`, whose API CuPy mirrors, to prove the logic on any machine).
"""
from __future__ import annotations

import numpy as np

from tracegraph.kernels.checked_index import checked_inc_subtensor, checked_subtensor
from tracegraph.random.reference_draw import split_size, whole_array


def scatter_add(xp):
    """`scatter_add(a, index, values)` accumulating at repeated indices."""
    if xp is np:
        return np.add.at
    import cupyx
    return cupyx.scatter_add


def subtensor(xp, x, *parts, entries, label=''):
    """x[index] with index arrays: CuPy wraps out-of-bounds indices around where NumPy
    raises, so the index is checked first (one device-to-host read per index array)."""
    return checked_subtensor(x, *parts, entries=entries, label=label)


def inc_subtensor(xp, x, y, *parts, **options):
    """x with x[index] set to y or increased by y; repeated integer indices accumulate
    (CuPy's scatter_add).  Checked first: CuPy's scatter wraps out-of-bounds indices.
    `options`: entries, set_instead_of_inc, inplace, label (checked_inc_subtensor's)."""
    return checked_inc_subtensor(x, y, *parts, add_at=scatter_add(xp), **options)


def make_vector(xp, *scalars, dtype):
    """A small vector of host scalars (usually a shape): it stays on the host."""
    return np.array([np.asarray(s).item() for s in scalars], dtype=dtype)


def alloc(xp, value, *shape, dtype):
    out = xp.empty(tuple(int(s) for s in shape), dtype=dtype)
    out[...] = value
    return out


def perform(xp, *inputs, node):
    """A Theano-style op's own `perform`, run on host copies of its inputs."""
    storage = [[None] for _ in node.outputs]
    node.op.perform(node, [np.asarray(v) for v in inputs], storage)
    results = tuple(np.asarray(s[0], dtype=o.dtype) for s, o in zip(storage, node.outputs))
    return results[0] if len(results) == 1 else results


def _check_params(xp, dist, params):
    """The reference's parameter checks (one small device-to-host read each)."""
    if dist == 'integers' and bool(xp.any(params[1] <= params[0])):
        raise ValueError(f'integers: high must be greater than low (got low={params[0]}, '
                         f'high={params[1]}; random_integers takes an inclusive high)')
    if dist == 'binomial':
        n, p = params
        if bool(xp.any(n < 0)) or bool(xp.any(p < 0)) or bool(xp.any(p > 1)) or bool(xp.any(p != p)):
            raise ValueError(f'binomial needs n >= 0 and 0 <= p <= 1 (got n={n}, p={p})')


def draw(xp, state, *inputs, kernel, dist, has_size, dtype):
    """An elementwise distribution: one kernel launch writes every value."""
    size, params = split_size(inputs, has_size, dist)
    shape = size if has_size else np.broadcast_shapes(*(p.shape for p in params))
    for p, name in zip(params, ('low/avg/n', 'high/std/p')):
        try:
            np.broadcast_shapes(p.shape, shape)
        except ValueError:
            raise ValueError(f'{dist}: parameter {name} of shape {p.shape} does not broadcast '
                             f'to the size {shape}') from None
    _check_params(xp, dist, params)
    out = xp.empty(shape, dtype=dtype)
    if out.size:
        key0, key1 = (np.uint64(k) for k in state.key)
        kernel(key0, key1, np.uint64(state.draw), *params, out)
    return state.advanced(), out


def draw_on_host(xp, state, *inputs, dist, has_size, dtype):
    """A whole-array distribution (permutation, choice, multinomial): the reference
    draws it on the host, then it is uploaded."""
    from tracegraph.random.distributions import DISTRIBUTIONS
    size, params = split_size(inputs, has_size, dist)
    values = whole_array(DISTRIBUTIONS[dist], state, size, params, dtype)
    return state.advanced(), xp.asarray(values)


def scan(xp, n_steps, *outer, loop):
    """A Scan node: `loop` is the node's loop linked for this device (see scan.py)."""
    return loop(n_steps, *outer)


def conv(xp, *inputs, node):
    """A convolution node: cuDNN or im2col + cuBLAS (conv.py)."""
    from .conv import run
    return run(xp, *inputs, node=node)


def pool(xp, *inputs, node):
    """A pooling node: strided-view kernels on the device (pool.py)."""
    from .pool import run
    return run(xp, *inputs, node=node)
