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
