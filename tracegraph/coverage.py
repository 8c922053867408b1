"""Which behaviours each backend lowers, asked of the hooks (`tracegraph backends --coverage`).

For every scalar op, structural op, scan feature, random distribution and update
mode, a small sample node is built and each backend's plugins are asked for its
lowering.  Nothing here is written by hand per backend: a row is a check mark
only when a plugin answered.
"""
from __future__ import annotations

import importlib

from . import backends


def _elemwise_samples():
    import tracegraph.tensor as T
    from .tensor.elemwise import Elemwise
    from .tensor.scalar import INTEGER, SCALAR_OPS
    for name, op in sorted(SCALAR_OPS.items()):
        # Bitwise ops are defined on integers and booleans only (NumPy refuses floats).
        make = T.lvector if op.in_group(INTEGER) else T.dvector
        inputs = [make() for _ in range(op.nin)]
        if name == 'switch':
            inputs[0] = T.bvector()
        yield 'scalar op', name, lambda op=op, inputs=inputs: Elemwise(op).make_node(*inputs)


def _structural_samples():
    import tracegraph.tensor as T
    from .ifelse import ifelse
    m, v, i = T.dmatrix(), T.dvector(), T.lvector()
    k = T.lscalar()
    samples = {
        'DimShuffle': lambda: m.T, 'Sum': lambda: m.sum(axis=0), 'Max': lambda: m.max(axis=1),
        'Argmax': lambda: m.argmax(axis=0), 'Dot': lambda: T.dot(m, v),
        'Subtensor (basic)': lambda: m[1:, 0], 'Subtensor (integer arrays)': lambda: m[i],
        'SetSubtensor': lambda: T.set_subtensor(m[0], v), 'IncSubtensor': lambda: T.inc_subtensor(m[i], v),
        'Shape': lambda: m.shape, 'Reshape': lambda: m.reshape((k, -1)), 'Alloc': lambda: T.alloc(v, k, 3),
        'Join': lambda: T.concatenate([m, m]), 'MakeVector': lambda: T.stack([k, k]),
        'Eye': lambda: T.eye(k), 'ARange': lambda: T.arange(k), 'CumSum': lambda: T.cumsum(m, axis=0),
        'IfElse': lambda: ifelse(T.lt(k, 2), v, v * 2),
        # Theano's extra_ops and sort (issue 20)
        'Sort': lambda: T.sort(m), 'ArgSort': lambda: T.argsort(m, axis=0),
        'Repeat': lambda: T.repeat(v, i), 'SearchSorted': lambda: T.searchsorted(v, m),
        'Unique': lambda: T.unique(i, return_counts=True)[0], 'Nonzero': lambda: T.nonzero(m, True),
        'RavelMultiIndex': lambda: T.ravel_multi_index([i, i], (k, k)),
        'UnravelIndex': lambda: T.unravel_index(i, (k, 3))[0],
        'Rebroadcast': lambda: T.addbroadcast(m, 0), 'Print': lambda: _print_op()('m')(m),
    }
    for label, build in samples.items():
        yield 'structural op', label, lambda build=build: build().owner


def _print_op():
    from .printing import Print
    return Print


def _scan_samples():
    try:
        scan_module = importlib.import_module('tracegraph.scan')
        scan_module.scan, scan_module.until
    except (ImportError, AttributeError):
        return
    import tracegraph.tensor as T
    A, k = T.dvector(), T.lscalar()
    x = T.dmatrix()
    features = {
        'outputs_info (fed back)': lambda: scan_module.scan(lambda p, a: p * a, outputs_info=T.ones_like(A),
                                                            non_sequences=A, n_steps=k),
        'sequences': lambda: scan_module.scan(lambda r: r.sum(), sequences=x),
        'until': lambda: scan_module.scan(lambda p: (p * 2, scan_module.until(p > 10)),
                                          outputs_info=T.ones_like(A[0]), n_steps=k),
    }
    for label, build in features.items():
        yield 'scan', label, lambda build=build: _first_node(build()[0])


def _random_samples():
    try:
        streams = importlib.import_module('tracegraph.random').RandomStreams(seed=1)
    except (ImportError, AttributeError):
        return
    for dist, build in {'uniform': lambda: streams.uniform((3,)), 'normal': lambda: streams.normal((3,)),
                        'binomial': lambda: streams.binomial((3,), p=0.3),
                        'integers': lambda: streams.random_integers((3,), 0, 5)}.items():
        yield 'random', dist, lambda build=build: _first_node(build())


def _first_node(var):
    var = var[0] if isinstance(var, (list, tuple)) else var
    from .ir import toposort
    for node in reversed(toposort([var])):
        if getattr(node.op, 'lowering_hook', 'tracegraph_lower_op') != 'tracegraph_lower_op':
            return node
    return var.owner


def _conv_samples():
    """The convolution family (tensor.nnet.abstract_conv): forward and both gradients."""
    import tracegraph.tensor as T
    from .tensor.nnet import abstract_conv as ac
    x, w = T.dtensor4(), T.dtensor4()
    samples = {
        'AbstractConv (conv2d)': lambda: ac.conv2d(x, w, border_mode='half'),
        'AbstractConv_gradInputs': lambda: ac.conv2d_grad_wrt_inputs(x, w, (2, 3, 8, 8)),
        'AbstractConv_gradWeights': lambda: ac.conv2d_grad_wrt_weights(x, w, (4, 3, 3, 3)),
    }
    for label, build in samples.items():
        yield 'structural op', label, lambda build=build: build().owner


def _pool_samples():
    """Pooling (tensor.signal.pool): the forward op, both gradients and max pooling's grad-grad."""
    import tracegraph.tensor as T
    from .tensor.signal import pool
    x = T.dtensor4()
    y = pool.pool_2d(x, (2, 2), ignore_border=True)
    samples = {
        'Pool (max, sum, average)': lambda: y, 'MaxPoolGrad': lambda: T.grad(y.sum(), x),
        'AveragePoolGrad': lambda: T.grad(pool.pool_2d(x, (2, 2), ignore_border=True, mode='sum').sum(), x),
        'DownsampleFactorMaxGradGrad': lambda: pool.DownsampleFactorMaxGradGrad(True).make_node(x, y, x, (2, 2)).outputs[0],
    }
    for label, build in samples.items():
        yield 'structural op', label, lambda build=build: build().owner


def _linalg_samples():
    """The linear-algebra family (tensor.linalg, behind tensor.nlinalg and tensor.slinalg)."""
    import tracegraph.tensor as T
    from .tensor.linalg import ops
    a, b = T.dtensor3(), T.dmatrix()
    samples = {
        'MatrixInverse': lambda: ops.MatrixInverse()(a), 'Det': lambda: ops.Det()(a),
        'Cholesky': lambda: ops.Cholesky()(a), 'Solve': lambda: ops.Solve()(a, b),
        'SolveTriangular': lambda: ops.SolveTriangular(lower=True)(a, b),
        'Eigh': lambda: ops.Eigh()(a)[0], 'Eigvalsh': lambda: ops.Eigvalsh()(a),
        'Eig': lambda: ops.Eig()(b)[0], 'SVD': lambda: ops.SVD()(a)[1], 'QR': lambda: ops.QR()(a)[0],
        'Pinv': lambda: ops.Pinv()(a), 'Lstsq': lambda: ops.Lstsq()(b, b)[0], 'Expm': lambda: ops.Expm()(a),
        'Matmul (batched)': lambda: ops.Matmul()(a, a),
    }
    for label, build in samples.items():
        yield 'linalg', label, lambda build=build: build().owner


def catalog():
    """(category, label, builder) for every behaviour the report covers."""
    for source in (_elemwise_samples, _structural_samples, _conv_samples, _pool_samples, _linalg_samples, _scan_samples,
                   _random_samples):
        yield from source()


def coverage():
    """{backend: {(category, label): True/False}} from asking the hooks."""
    pm = backends.plugin_manager()
    names = list(backends.available())
    table = {name: {} for name in names}
    for category, label, build in catalog():
        try:
            node = build()
        except Exception:  # a feature the core itself cannot build is reported as missing
            node = None
        for name in names:
            ok = False
            if node is not None:
                hook = getattr(pm.hook, getattr(node.op, 'lowering_hook', 'tracegraph_lower_op'))
                try:
                    ok = hook(backend=name, node=node) is not None
                except Exception:
                    ok = False
            table[name][(category, label)] = ok
    return table


def print_coverage(file=None):
    table = coverage()
    names = list(table)
    status = backends.available()
    rows = list(next(iter(table.values())).keys()) if table else []
    width = max((len(f'{c}: {l}') for c, l in rows), default=10)
    header = ' '.join(f'{n:^9}' for n in names)
    print(f'{"behaviour":<{width}}  {header}', file=file)
    for category, label in rows:
        marks = ' '.join(f'{"yes" if table[n][(category, label)] else "-":^9}' for n in names)
        print(f'{category + ": " + label:<{width}}  {marks}', file=file)
    totals = ' '.join(f'{sum(table[n].values()):^9}' for n in names)
    print(f'{"lowered (of " + str(len(rows)) + ")":<{width}}  {totals}', file=file)
    for n in names:
        if not status[n]:
            print(f'  {n} cannot run here: {status[n].reason} (its lowerings are still reported)', file=file)
    print_scalar_spellings(file=file)


def scalar_spellings():
    """{backend: {'native': [...], 'decomposed': [...], 'missing': [...]}} for the backends
    whose table of scalar-op spellings is known (`Backend.scalar_spellings()`)."""
    from .tensor.scalar import coverage as scalar_coverage
    report = {}
    for name, backend in backends.registered().items():
        spellings = backend.scalar_spellings()
        if spellings is not None:
            report[name] = scalar_coverage(spellings)
    return report


def print_scalar_spellings(file=None):
    """How each backend computes the scalar ops: its own spelling, or the record's decomposition."""
    for name, report in scalar_spellings().items():
        print(f'{name}: {len(report["native"])} scalar ops spelled natively', file=file)
        if report['decomposed']:
            print(f'  through their decomposition: {", ".join(report["decomposed"])}', file=file)
        if report['missing']:
            print(f'  refused (no spelling, no decomposition): {", ".join(report["missing"])}', file=file)
