"""The gradient of every structural op and composite function, by finite differences,
on every backend: reductions, products, indexing, shape ops, cumulative ops, ifelse, nnet.

OP_CASES names, for each op class of tracegraph.tensor (and IfElse), the cases that
exercise its gradient; an op class missing from it is a failing test.  Each case
runs alone on the reference backend, and all of them together (one compile) on
every backend.
"""
import numpy as np
import pytest

import tracegraph.tensor as T
from tracegraph.autodiff import verify_grad
from tracegraph.ifelse import ifelse

from ._grad_cases import chunks, verify_cases


def U(*shape, lo=-1.0, hi=1.0):
    return lambda rng: rng.uniform(lo, hi, shape)


def fixed(values):
    return lambda rng: np.array(values, dtype='float64')


CASES = {
    # reductions
    'sum': (lambda x: T.sum(x) + T.sum(x * x, axis=0).sum(), [U(2, 3)]),
    'sum_keepdims': (lambda x: x.sum(axis=1, keepdims=True) * x, [U(2, 3)]),
    'mean': (lambda x: T.mean(x, axis=(0, 2)), [U(2, 3, 2)]),
    'prod': (lambda x: T.prod(x, axis=1), [U(3, 4, lo=0.5, hi=1.5)]),
    'prod_with_zeros': (lambda x: T.prod(x, axis=1) * 2 + T.prod(x, axis=0).sum(),
                        [fixed([[1.5, 0.0, 2.0], [0.5, 1.2, -1.1], [0.0, 0.0, 3.0]])]),
    'max': (lambda x: T.max(x, axis=0) + T.max(x), [fixed([[0.1, 0.8, -0.3], [0.5, -0.2, 0.4]])]),
    'min': (lambda x: T.min(x, axis=1), [fixed([[0.1, 0.8, -0.3], [0.5, -0.2, 0.4]])]),
    'var': (lambda x: T.var(x, axis=0) + T.var(x, ddof=1), [U(4, 3)]),
    'std': (lambda x: T.std(x, axis=1), [U(3, 4)]),
    'argmax_index': (lambda x: x[T.argmax(x)] * x.sum(), [fixed([0.1, 0.8, -0.3])]),
    # products
    'dot_mm': (T.dot, [U(2, 3), U(3, 4)]),
    'dot_mv': (T.dot, [U(2, 3), U(3)]),
    'dot_vm': (T.dot, [U(3), U(3, 4)]),
    'dot_vv': (T.dot, [U(3), U(3)]),
    'tensordot': (lambda a, b: T.tensordot(a, b, [[1, 2], [0, 1]]), [U(2, 3, 2), U(3, 2, 2)]),
    'outer': (T.outer, [U(3), U(2)]),
    'matmul_batched': (lambda a, b: a @ b, [U(2, 2, 3), U(2, 3, 2)]),
    # indexing
    'slice': (lambda x: x[1:, ::2] * 3, [U(3, 4)]),
    'int_index': (lambda x: x[1] * x[-1, 0], [U(3, 4)]),
    'advanced_repeated': (lambda x: x[[0, 2, 0, 0]] ** 2, [U(3, 2)]),
    'advanced_2d': (lambda x: x[[0, 1, 1], [2, 0, 2]], [U(2, 3)]),
    'boolean_mask': (lambda x: x[np.array([True, False, True])], [U(3, 2)]),
    'set_subtensor': (lambda x, y: T.set_subtensor(x[1:, 0], y) ** 2, [U(3, 2), U(2)]),
    'set_subtensor_broadcast': (lambda x, y: T.set_subtensor(x[:2], y) * x, [U(3, 2), U(1, 2)]),
    'inc_subtensor': (lambda x, y: T.inc_subtensor(x[::2], y) ** 2, [U(3, 2), U(2)]),
    'inc_subtensor_repeated': (lambda x, y: T.inc_subtensor(x[[0, 0, 2]], y) ** 2, [U(3, 2), U(3, 2)]),
    # shapes
    'reshape': (lambda x: x.reshape((3, 2)) * np.arange(6).reshape(3, 2), [U(2, 3)]),
    'reshape_symbolic': (lambda x: x.reshape((x.shape[1], -1)) ** 2, [U(2, 3)]),
    'flatten': (lambda x: T.flatten(x) * np.arange(6), [U(2, 3)]),
    'dimshuffle': (lambda x: x.dimshuffle(1, 'x', 0) * np.arange(2), [U(2, 3)]),
    'transpose': (lambda x, y: x.T * y, [U(2, 3), U(3, 1)]),
    'squeeze': (lambda x: T.squeeze(x) ** 2, [U(1, 3)]),
    'concatenate': (lambda a, b: T.concatenate([a, b, a], axis=1) ** 2, [U(2, 1), U(2, 3)]),
    'stack': (lambda a, b: T.stack([a, b * 2], axis=1) ** 2, [U(3), U(3)]),
    'stack_scalars': (lambda a, b: T.stack([a, b, a * b]) ** 2, [U(), U()]),
    'alloc': (lambda x: T.alloc(x, 3, 2, 4) * np.arange(4), [U(1, 4)]),
    'broadcast_to': (lambda x: T.broadcast_to(x, (2, 3)) ** 2, [U(3)]),
    'cumsum': (lambda x: T.cumsum(x, axis=1) ** 2, [U(2, 3)]),
    'cumsum_flat': (lambda x: T.cumsum(x) ** 2, [U(2, 3)]),
    'cumprod': (lambda x: T.cumprod(x, axis=0), [U(3, 2, lo=0.5, hi=1.5)]),
    'cumprod_flat': (lambda x: T.cumprod(x), [U(2, 2, lo=0.5, hi=1.5)]),
    # control flow
    'ifelse_then': (lambda a, b: ifelse(T.gt(a.sum(), -10), a * b, b), [U(3), U(3)]),
    'ifelse_else': (lambda a, b: ifelse(T.lt(a.sum(), -10), a, b * a), [U(3), U(3)]),
    'switch_relu': (lambda x: T.nnet.relu(x) + T.nnet.relu(x, 0.1), [fixed([0.3, -0.4, 1.2])]),
    # nnet
    'softmax': (lambda x: T.nnet.softmax(x) * np.arange(3), [U(2, 3)]),
    'log_softmax': (lambda x: T.nnet.log_softmax(x) * np.arange(3), [U(2, 3)]),
    'sigmoid_softplus': (lambda x: T.nnet.sigmoid(x) + T.nnet.softplus(x), [U(2, 3)]),
    'elu': (lambda x: T.nnet.elu(x), [fixed([0.3, -0.4, 1.2])]),
    'softsign': (lambda x: T.nnet.softsign(x), [fixed([0.3, -0.4, 1.2])]),
    'hard_sigmoid': (lambda x: T.nnet.hard_sigmoid(x), [fixed([0.3, -0.4, 1.2, 4.0])]),
    'binary_crossentropy': (lambda p, t: T.nnet.binary_crossentropy(T.nnet.sigmoid(p), t),
                            [U(2, 3), U(2, 3, lo=0, hi=1)]),
    'sigmoid_binary_crossentropy': (T.nnet.sigmoid_binary_crossentropy, [U(2, 3), U(2, 3, lo=0, hi=1)]),
    'categorical_crossentropy': (lambda x, t: T.nnet.categorical_crossentropy(T.nnet.softmax(x), t),
                                 [U(2, 3), U(2, 3, lo=0, hi=1)]),
    'categorical_crossentropy_labels': (
        lambda x: T.nnet.categorical_crossentropy(T.nnet.softmax(x), np.array([2, 0], dtype='int64')),
        [U(2, 3)]),
    'logsumexp': (lambda x: T.logsumexp(x, axis=1), [U(2, 3)]),
    'norm': (lambda x: T.norm(x, 2) + T.norm(x, 1), [fixed([0.3, -0.4, 1.2])]),
}

# Which cases exercise each op class's gradient.
OP_CASES = {
    'Elemwise': ['sum', 'softmax'], 'DimShuffle': ['dimshuffle', 'transpose', 'squeeze'],
    'CAReduce': ['sum', 'prod', 'prod_with_zeros', 'max', 'min'],
    'Dot': ['dot_mm', 'dot_mv', 'dot_vm', 'dot_vv', 'tensordot'],
    'Subtensor': ['slice', 'int_index', 'advanced_repeated', 'advanced_2d', 'boolean_mask'],
    'IncSubtensor': ['set_subtensor', 'inc_subtensor', 'inc_subtensor_repeated'],
    'Reshape': ['reshape', 'reshape_symbolic', 'flatten'], 'Alloc': ['alloc', 'broadcast_to'],
    'MakeVector': ['stack_scalars'], 'Join': ['concatenate', 'stack'],
    'CumOp': ['cumsum', 'cumsum_flat', 'cumprod', 'cumprod_flat'],
    'IfElse': ['ifelse_then', 'ifelse_else'],
}
# Ops whose outputs are integers, or that only build arrays from shapes: no gradient flows.
NOT_DIFFERENTIABLE = {'Shape', 'ArgReduce', 'Eye', 'ARange'}


@pytest.mark.parametrize('name', sorted(CASES))
def test_op_gradient(name):
    fun, samplers = CASES[name]
    rng = np.random.default_rng(sorted(CASES).index(name))
    verify_grad(fun, [s(rng) for s in samplers], rng=rng, backend='numpy')


@pytest.mark.parametrize('names', chunks(CASES), ids=lambda names: f'{names[0]}..{names[-1]}')
def test_every_op_gradient(names, backend):
    verify_cases({k: CASES[k] for k in names}, backend)


def test_every_op_class_has_a_gradient_test():
    import inspect
    import tracegraph.ifelse
    from tracegraph.ir import Op
    from tracegraph.tensor import dot, elemwise, reduce, shape_ops, subtensor
    found = {name for module in (dot, elemwise, reduce, shape_ops, subtensor, tracegraph.ifelse)
             for name, cls in inspect.getmembers(module, inspect.isclass)
             if issubclass(cls, Op) and cls is not Op and cls.__module__ == module.__name__}
    missing = found - set(OP_CASES) - NOT_DIFFERENTIABLE
    assert not missing, f'op classes without a gradient test: {sorted(missing)}'
    for name in found - NOT_DIFFERENTIABLE:
        cls = next(c for m in (dot, elemwise, reduce, shape_ops, subtensor, tracegraph.ifelse)
                   for n, c in inspect.getmembers(m, inspect.isclass) if n == name)
        assert hasattr(cls, 'grad'), f'{name} has no grad method'
    for cases in OP_CASES.values():
        assert set(cases) <= set(CASES)
