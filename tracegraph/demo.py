"""Theano's tutorial, run as written on each available backend (`python -m tracegraph demo`).

Each section prints its results and the backend that computed them.
"""
from __future__ import annotations

import numpy as np

SECTIONS = []


def section(title):
    def register(fn):
        SECTIONS.append((title, fn))
        return fn
    return register


@section('Basic algebra: adding two scalars')
def adding_scalars(theano, T, backend):
    from tracegraph import pp
    x = T.fscalar('x')
    y = T.fscalar('y')
    z = x + y
    print('  pp(z) =', pp(z))
    f = theano.function([x, y], z, backend=backend)
    print('  f(2, 3) =', f(2, 3))


@section('Basic algebra: adding two matrices')
def adding_matrices(theano, T, backend):
    x = T.fmatrix('x')
    y = T.fmatrix('y')
    z = x + y
    f = theano.function([x, y], z, backend=backend)
    print('  f([[1, 2], [3, 4]], [[10, 20], [30, 40]]) =',
          f([[1, 2], [3, 4]], [[10, 20], [30, 40]]).tolist())


@section('More examples: logistic function')
def logistic(theano, T, backend):
    x = T.fmatrix('x')
    s = 1 / (1 + T.exp(-x))
    logistic = theano.function([x], s, backend=backend)
    print('  logistic([[0, 1], [-1, -2]]) =', np.round(logistic([[0, 1], [-1, -2]]), 6).tolist())


@section('More examples: a default value for an argument')
def default_value(theano, T, backend):
    from tracegraph import Param
    x, y = T.fscalars('x', 'y')
    z = x + y
    f = theano.function([x, Param(y, default=1)], z, backend=backend)
    print('  f(10) =', f(10), ' f(10, 3) =', f(10, 3))


@section('More examples: shared variables (the accumulator)')
def accumulator(theano, T, backend):
    from tracegraph import shared
    state = shared(0)
    inc = T.iscalar('inc')
    accumulator = theano.function([inc], state, updates=[(state, state + inc)], backend=backend)
    print('  state =', state.get_value(), end='')
    print(';  accumulator(1) returns', accumulator(1), end='')
    print(', state =', state.get_value(), end='')
    print(';  accumulator(300) returns', accumulator(300), end='')
    print(', state =', state.get_value())
    state.set_value(-1)
    print('  after set_value(-1): accumulator(3) returns', accumulator(3), ', state =', state.get_value())


@section('Graph structures: walking the graph through .owner')
def graph_structures(theano, T, backend):
    x = T.fmatrix('x')
    y = T.fmatrix('y')
    z = x + y
    print('  z.owner.op =', z.owner.op, '; z.owner.inputs =', z.owner.inputs)


@section('Using random numbers: streams, seeding, copying state')
def random_numbers(theano, T, backend):
    from tracegraph.tensor.shared_randomstreams import RandomStreams
    from tracegraph import function
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    rv_n = srng.normal((2, 2))
    f = function([], rv_u, backend=backend)
    g = function([], rv_n, no_default_updates=True, backend=backend)  # not updating rv_n.rng
    nearly_zeros = function([], rv_u + rv_u - 2 * rv_u, backend=backend)
    print('  f() =', np.round(f(), 4).tolist(), ' g() twice equal:', np.array_equal(g(), g()))
    print('  nearly_zeros() =', np.round(nearly_zeros(), 12).tolist())
    rng_val = rv_u.rng.get_value(borrow=True)   # get the rng for rv_u
    rng_val.seed(12345)                          # seed the generator
    rv_u.rng.set_value(rng_val, borrow=True)     # assign back seeded rng
    state_after_v0 = rv_u.rng.get_value().get_state()
    v0 = f()
    v1 = f()
    rng = rv_u.rng.get_value(borrow=True)
    rng.set_state(state_after_v0)
    rv_u.rng.set_value(rng, borrow=True)
    v2 = f()
    v3 = f()
    print('  v2 == v0:', np.array_equal(v2, v0), ' v3 == v1:', np.array_equal(v3, v1))


@section('Derivatives: the gradient of x ** 2')
def derivatives(theano, T, backend):
    from tracegraph import pp
    x = T.fscalar('x')
    y = x ** 2
    gy = T.grad(y, x)
    print('  pp(gy) =', pp(gy))
    f = theano.function([x], gy, backend=backend)
    print('  f(4) =', f(4), ' f(94.2) =', f(np.float32(94.2)))


@section('Derivatives: the Jacobian of x ** 2')
def jacobian(theano, T, backend):
    x = T.dvector('x')
    y = x ** 2
    J = theano.gradient.jacobian(y, x)
    f = theano.function([x], J, backend=backend)
    print('  f([4, 4]) =', f([4, 4]).tolist())


@section('Loop: A ** k with scan')
def power(theano, T, backend):
    k = T.iscalar('k')
    A = T.vector('A')
    result, updates = theano.scan(fn=lambda prior_result, A: prior_result * A,
                                  outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
    final_result = result[-1]
    power = theano.function(inputs=[A, k], outputs=final_result, updates=updates, backend=backend)
    print('  power(range(10), 2) =', power(range(10), 2).tolist())
    print('  power(range(10), 4) =', power(range(10), 4).tolist())


@section('Loop: a polynomial over the coefficients')
def polynomial(theano, T, backend):
    coefficients = theano.tensor.vector('coefficients')
    x = T.scalar('x')
    max_coefficients_supported = 10000
    components, updates = theano.scan(
        fn=lambda coefficient, power, free_variable: coefficient * (free_variable ** power),
        outputs_info=None,
        sequences=[coefficients, theano.tensor.arange(max_coefficients_supported)],
        non_sequences=x)
    polynomial = components.sum()
    calculate_polynomial = theano.function(inputs=[coefficients, x], outputs=polynomial, backend=backend)
    test_coefficients = np.asarray([1, 0, 2], dtype=np.float32)
    test_value = 3
    print('  calculate_polynomial([1, 0, 2], 3) =', calculate_polynomial(test_coefficients, test_value),
          ' expected', 1.0 * (3 ** 0) + 0.0 * (3 ** 1) + 2.0 * (3 ** 2))


@section('Convolutional nets: a small LeNet (conv2d, max pooling, SGD)')
def lenet(theano, T, backend):
    from tracegraph.tensor.nnet import conv2d
    from tracegraph.tensor.signal import pool
    rng = np.random.RandomState(23455)
    templates = (rng.uniform(size=(4, 16, 16)) > 0.7).astype(theano.config.floatX)   # 4 "digit" classes
    labels = rng.randint(0, 4, size=80)
    images = (templates[labels] + 0.4 * rng.standard_normal((80, 16, 16))).astype(theano.config.floatX)
    x, y = T.tensor4('x'), T.ivector('y')

    def weights(*shape):
        return theano.shared((rng.standard_normal(shape) * 0.3).astype(theano.config.floatX))
    W0, W1, W2, W3 = weights(4, 1, 5, 5), weights(6, 4, 3, 3), weights(24, 20), weights(20, 4)
    h0 = T.tanh(pool.pool_2d(conv2d(x, W0), (2, 2), ignore_border=True))        # 4 x 6 x 6
    h1 = T.tanh(pool.pool_2d(conv2d(h0, W1), (2, 2), ignore_border=True))       # 6 x 2 x 2
    prob = T.nnet.softmax(T.dot(T.tanh(T.dot(h1.flatten(2), W2)), W3))
    cost = -T.mean(T.log(prob)[T.arange(y.shape[0]), y])
    error = T.mean(T.neq(T.argmax(prob, axis=1), y))
    params = [W0, W1, W2, W3]
    train = theano.function([x, y], cost, updates=[(p, p - 0.3 * g) for p, g in zip(params, T.grad(cost, params))],
                            backend=backend)
    validate = theano.function([x, y], error, backend=backend)
    xs, ys = images.reshape(80, 1, 16, 16), labels.astype('int32')
    before = float(validate(xs[40:], ys[40:]))
    costs = [float(train(xs[:40], ys[:40])) for _ in range(30)]
    print(f'  training cost {costs[0]:.3f} -> {costs[-1]:.3f}; validation error {before:.2f} -> '
          f'{float(validate(xs[40:], ys[40:])):.2f}')


def main(backend_names=None):
    import tracegraph as theano
    import tracegraph.tensor as T
    from tracegraph import backends
    status = backends.available()
    names = backend_names or [n for n, ok in status.items() if ok]
    for name, st in status.items():
        if not st:
            print(f'(backend {name} is unavailable here: {st.reason})')
    for name in names:
        print(f'=== backend: {name} ===')
        for title, fn in SECTIONS:
            print(f'{title}  [{name}]')
            fn(theano, T, name)
    return 0


if __name__ == '__main__':
    import sys
    sys.exit(main(sys.argv[1:] or None))
