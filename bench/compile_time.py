"""Issue 21's compile-time rows: how long `tg.function()` plus the first call takes, each
measurement in a fresh process, side by side with jax.jit's first call in the same run.

    python -m bench.compile_time                 # every row, 3 repeats
    python -m bench.compile_time mlp chain       # the workloads whose names contain these words
    python -m bench.compile_time --repeat 1      # a quick look

Per workload (MLP step 784-256-10, logistic-regression step, the 1,000-link tanh chain,
the RNN forward+gradient):

* ``numba cold``: an empty ``TRACEGRAPH_CACHE_DIR`` (a fresh one per repeat);
* ``numba warm``: a second process, same graph, same cache directory;
* ``numpy``: the NumPy backend;
* ``numba compile_in_background``: `tg.config.compile_in_background` on, empty cache: the
  first result (the NumPy backend's code runs it while a child process compiles), then
  the time until Numba's code runs the calls (its CPU time counts the child's), with
  the process calling the function meanwhile, as a training loop would (the number and
  median time of those calls, and of calls on Numba's code, are printed after the rows);
* ``jax.jit``: the first call of the jitted function (tracing and XLA's compile).

Then the growth rows: the 10,000-link chain against the 1,000-link one on the numpy,
numba (warm cache excluded: both cold) and dask backends, and a 100,000-node graph on
the NumPy backend with the process's peak memory.

Targets (issue 21): numba cold <= 5x jax.jit, numba warm <= 1.5x jax.jit (MLP step);
10,000 links <= 12x the 1,000-link time on every backend.

Imports (tracegraph, numba, jax) happen before the clock starts and are printed apart;
CPU time is printed beside wall time (on a shared machine it is the steadier one).
Every process prints a checksum of its first output; the rows of one workload must
agree with the NumPy backend's, or the row says so.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


# -- the workloads: each builds (inputs, outputs, updates) in tracegraph or a jax step ----
def _mlp_data(batch=128, sizes=(784, 256, 10)):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((batch, sizes[0]))
    Y = np.eye(sizes[2])[rng.integers(0, sizes[2], batch)]
    params = [rng.standard_normal((sizes[0], sizes[1])) * 0.05, np.zeros(sizes[1]),
              rng.standard_normal((sizes[1], sizes[2])) * 0.05, np.zeros(sizes[2])]
    return X, Y, params


def mlp_tg(tg, T):
    X, Y, init = _mlp_data()
    x, y = T.dmatrix('x'), T.dmatrix('y')
    params = [tg.shared(v, name=n) for v, n in zip(init, ('W1', 'b1', 'W2', 'b2'))]
    W1, b1, W2, b2 = params
    h = T.tanh(T.dot(x, W1) + b1)
    p = T.nnet.softmax(T.dot(h, W2) + b2)
    cost = T.nnet.categorical_crossentropy(p, y).mean()
    grads = tg.grad(cost, params)
    return [x, y], cost, [(v, v - 0.1 * g) for v, g in zip(params, grads)], (X, Y)


def mlp_jax_step(jax):
    """The MLP's SGD step as jax.jit compiles it: (params, x, y) -> (cost, new params)."""
    jnp = jax.numpy

    def loss(ps, x, y):
        W1, b1, W2, b2 = ps
        h = jnp.tanh(x @ W1 + b1)
        p = jax.nn.softmax(h @ W2 + b2)
        return -(y * jnp.log(p)).sum(axis=1).mean()

    @jax.jit
    def step(ps, x, y):
        cost, grads = jax.value_and_grad(loss)(ps, x, y)
        return cost, [v - 0.1 * g for v, g in zip(ps, grads)]
    return step


def mlp_jax(jax):
    X, Y, init = _mlp_data()
    step = mlp_jax_step(jax)
    params = [jax.numpy.asarray(v) for v in init]
    return lambda: step(params, X, Y)[0]


def _logreg_data(n=400, feats=784):
    rng = np.random.default_rng(2)
    return (rng.standard_normal((n, feats)), rng.integers(0, 2, n).astype(np.float64),
            rng.standard_normal(feats) * 0.01)


def logreg_tg(tg, T):
    X, Y, w0 = _logreg_data()
    x, y = T.dmatrix('x'), T.dvector('y')
    w, b = tg.shared(w0, name='w'), tg.shared(0.0, name='b')
    p = 1 / (1 + T.exp(-T.dot(x, w) - b))
    cost = (-y * T.log(p) - (1 - y) * T.log(1 - p)).mean() + 0.01 * (w ** 2).sum()
    gw, gb = tg.grad(cost, [w, b])
    return [x, y], cost, [(w, w - 0.1 * gw), (b, b - 0.1 * gb)], (X, Y)


def logreg_jax_step(jax):
    """The logistic regression's SGD step as jax.jit compiles it: (w, b, x, y) -> (cost, w, b)."""
    jnp = jax.numpy

    def loss(w, b, x, y):
        p = 1 / (1 + jnp.exp(-x @ w - b))
        return (-y * jnp.log(p) - (1 - y) * jnp.log(1 - p)).mean() + 0.01 * (w ** 2).sum()

    @jax.jit
    def step(w, b, x, y):
        cost, (gw, gb) = jax.value_and_grad(loss, argnums=(0, 1))(w, b, x, y)
        return cost, w - 0.1 * gw, b - 0.1 * gb
    return step


def logreg_jax(jax):
    X, Y, w0 = _logreg_data()
    step = logreg_jax_step(jax)
    return lambda: step(jax.numpy.asarray(w0), jax.numpy.asarray(0.0), X, Y)[0]


def _chain(tanh, links):
    def f(x):
        for _ in range(links):
            x = tanh(x * 1.01 + 0.1)
        return x
    return f


def chain_tg(tg, T, links=1000):
    x = T.dvector('x')
    return [x], _chain(T.tanh, links)(x), [], (np.linspace(-2, 2, 1000),)


def chain_jax(jax, links=1000):
    f = jax.jit(_chain(jax.numpy.tanh, links))
    return lambda: f(np.linspace(-2, 2, 1000))


def _rnn_data(hidden=64, inputs=32, steps=200):
    rng = np.random.default_rng(4)
    return (rng.standard_normal((steps, inputs)), rng.standard_normal((inputs, hidden)) * 0.1,
            rng.standard_normal((hidden, hidden)) * 0.1)


def rnn_tg(tg, T, hidden=64):
    X, W0, U0 = _rnn_data(hidden)
    x, W, U = T.dmatrix('x'), T.dmatrix('W'), T.dmatrix('U')
    h, _ = tg.scan(lambda xt, hprev, W, U: T.tanh(T.dot(xt, W) + T.dot(hprev, U)),
                   sequences=x, outputs_info=T.zeros((hidden,)), non_sequences=[W, U])
    cost = (h ** 2).sum()
    return [x, W, U], [cost] + tg.grad(cost, [W, U]), [], (X, W0, U0)


def rnn_jax_value_and_grad(jax, hidden):
    """The RNN's cost sum(h**2) and its gradient in W and U, as jax.jit compiles them."""
    jnp = jax.numpy

    def loss(W, U, x):
        def step(h, xt):
            h = jnp.tanh(xt @ W + h @ U)
            return h, h
        _, hs = jax.lax.scan(step, jnp.zeros(hidden), x)
        return (hs ** 2).sum()
    return jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))


def rnn_jax(jax, hidden=64):
    X, W0, U0 = _rnn_data(hidden)
    f = rnn_jax_value_and_grad(jax, hidden)
    return lambda: f(W0, U0, X)[0]


WORKLOADS = {
    'mlp': ('MLP training step 784-256-10, batch 128', mlp_tg, mlp_jax),
    'logreg': ('logistic-regression step 400x784', logreg_tg, logreg_jax),
    'chain': ('tanh chain, 1,000 links, 1,000 float64', chain_tg, chain_jax),
    'rnn': ('RNN forward + gradient by scan (64 hidden, 200 steps)', rnn_tg, rnn_jax),
}


# -- one measurement: runs in its own process -------------------------------------------
def _first_value(out):
    while isinstance(out, (list, tuple)):
        out = out[0]
    return float(np.sum(np.asarray(out)))


def measure(workload, backend, links=None):
    """function() + first call of `workload` on `backend` ('jax' for jax.jit) in this process."""
    start_imports = time.perf_counter()
    kwargs = {} if links is None else {'links': links}
    if backend == 'jax':
        import jax
        jax.config.update('jax_enable_x64', True)
        imports = time.perf_counter() - start_imports
        wall, cpu = time.perf_counter(), time.process_time()
        first = _first_value(jax.block_until_ready(WORKLOADS[workload][2](jax, **kwargs)()))
    else:
        import tracegraph as tg
        import tracegraph.tensor as T
        if backend.startswith('numba'):
            import numba  # noqa: F401  (its import is reported apart)
        imports = time.perf_counter() - start_imports
        inputs, outputs, updates, data = WORKLOADS[workload][1](tg, T, **kwargs)
        tg.config.compile_in_background = backend == 'numba-background'
        state = [(v, v.get_value()) for v, _ in updates or ()]
        wall, cpu = time.perf_counter(), time.process_time()
        f = tg.function(inputs, outputs, updates=updates or None, backend=backend.split('-')[0])
        first = _first_value(f(*data))
        if backend == 'numba-background':
            return _in_background(f, data, wall, cpu, imports, first, state)
    return {'wall': time.perf_counter() - wall, 'cpu': time.process_time() - cpu,
            'imports': imports, 'first': first,
            'peak_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _in_background(f, data, wall, cpu, imports, first, state):
    """The first result (on the NumPy backend's code), then the wait for Numba's code, whose
    CPU time counts the child process that compiled it; its result from the first call's
    state of the shared variables is checked too."""
    result = {'wall': time.perf_counter() - wall, 'cpu': time.process_time() - cpu,
              'imports': imports, 'first': first}
    meanwhile = _call_times(f, data, until=f.background_link.done)   # as a training loop would
    f.finish_compile()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    ready = {'wall': time.perf_counter() - wall, 'imports': imports,
             'cpu': time.process_time() - cpu + children.ru_utime + children.ru_stime}
    for variable, value in state:
        variable.set_value(value)
    ready['first'] = _first_value(f(*data)) if 'jit' in f.executable.extra else float('nan')
    ready['calls'] = [len(meanwhile), statistics.median(meanwhile or [float('nan')]),
                      statistics.median(_call_times(f, data, count=20))]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(result, peak_mib=peak, ready=dict(ready, peak_mib=max(peak, children.ru_maxrss / 1024)))


def _call_times(f, data, until=None, count=None):
    """The times of calls made until the event `until` is set, or of `count` calls."""
    times = []
    while (until is not None and not until.is_set()) or (count is not None and len(times) < count):
        started = time.perf_counter()
        f(*data)
        times.append(time.perf_counter() - started)
    return times


def _spawn(workload, backend, cache_dir, links=None):
    env = dict(os.environ, TRACEGRAPH_CACHE_DIR=cache_dir)
    cmd = [sys.executable, '-m', 'bench.compile_time', '--worker', workload, backend]
    if links is not None:
        cmd += ['--links', str(links)]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=root)
    if out.returncode:
        tail = (out.stderr.strip().splitlines() or ['no output'])[-1]
        return {'failed': tail[:160]}
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- the parent: rows, medians, ratios --------------------------------------------------
class Row:
    def __init__(self, label):
        self.label = label
        self.runs = []
        self.failed = ''

    def add(self, result):
        if 'failed' in result:
            self.failed = result['failed']
        else:
            self.runs.append(result)

    def median(self, key='wall'):
        return statistics.median(r[key] for r in self.runs) if self.runs else float('nan')


def _measure_row(label, workload, backend, repeat, cache='fresh', links=None, make_row=Row):
    """`cache`: 'fresh' (an empty directory per run) or 'warm' (compiled once before)."""
    row = make_row(label)
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix='tg-compile-bench-') as cache_dir:
            if cache == 'warm':
                first = _spawn(workload, backend, cache_dir, links)
                if 'failed' in first:
                    row.add(first)
                    break
            row.add(_spawn(workload, backend, cache_dir, links))
        if row.failed:
            break
    return row


def _print_rows(title, rows, base, check=None):
    print(f'\n== compile time: {title} (ratios vs {base.label if base else "-"}, wall and cpu) ==')
    width = max(len(r.label) for r in rows)
    for row in rows:
        if row.failed:
            print(f'  {row.label:<{width}}  failed: {row.failed}')
            continue
        ratio, cpu_ratio = (row.median(k) / base.median(k) if base is not None and base.runs else float('nan')
                            for k in ('wall', 'cpu'))
        agree = ''
        if check is not None and check.runs and row is not check:
            ok = np.isclose(row.runs[0]['first'], check.runs[0]['first'], rtol=1e-9, atol=1e-9)
            agree = '' if ok else f'   RESULT DIFFERS from {check.label}'
        print(f'  {row.label:<{width}}  {row.median():8.3f} s  x{ratio:6.2f}   cpu {row.median("cpu"):7.3f} s  '
              f'x{cpu_ratio:6.2f}   peak {row.median("peak_mib"):5.0f} MiB'
              f'   (imports {row.median("imports"):.2f} s apart, {len(row.runs)} runs){agree}')


def compile_rows(workload, repeat):
    title = WORKLOADS[workload][0]
    jax_row = _measure_row('jax.jit first call', workload, 'jax', repeat)
    rows = [_measure_row('tracegraph numba cold', workload, 'numba', repeat),
            _measure_row('tracegraph numba warm', workload, 'numba', repeat, cache='warm'),
            _measure_row('tracegraph numpy', workload, 'numpy', repeat), jax_row]
    first, ready = _background_rows(workload, repeat)
    rows[3:3] = [first, ready]
    _print_rows(title, rows, jax_row, check=rows[2])
    calls = [r['calls'] for r in ready.runs]
    if calls:
        print(f'  compile_in_background: {statistics.median(c[0] for c in calls):.0f} calls while Numba '
              f'compiled, median {statistics.median(c[1] for c in calls) * 1e3:.3f} ms a call; then '
              f'{statistics.median(c[2] for c in calls) * 1e3:.3f} ms on Numba\'s code')


class _BackgroundRow(Row):
    """Each run of `compile_in_background` adds its first result here, and the wait for
    Numba's code to `ready`."""
    def __init__(self, label, ready):
        super().__init__(label)
        self.ready = ready

    def add(self, result):
        super().add({k: v for k, v in result.items() if k != 'ready'})
        self.ready.add(result.get('ready', result))


def _background_rows(workload, repeat):
    ready = Row('  ... its Numba code running')
    first = _measure_row('numba compile_in_background', workload, 'numba-background', repeat,
                         make_row=lambda label: _BackgroundRow(label, ready))
    return first, ready


def growth_rows(repeat, backends=('numpy', 'numba', 'dask')):
    """The 10,000-link chain against the 1,000-link chain, both compiled cold."""
    for backend in backends:
        short = _measure_row(f'{backend}, 1,000 links', 'chain', backend, repeat, links=1000)
        long = _measure_row(f'{backend}, 10,000 links', 'chain', backend, repeat, links=10_000)
        _print_rows(f'growth on {backend} (target: 10,000 links <= 12x 1,000 links)', [short, long], short)


def huge_graph(repeat):
    """A 100,000-node graph (a 33,334-link chain, three nodes a link) on the NumPy backend."""
    row = _measure_row('numpy, 33,334 links (100,002 nodes)', 'chain', 'numpy', repeat, links=33_334)
    _print_rows('a 100,000-node graph on the NumPy backend', [row], row)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('words', nargs='*', help='run the parts whose names contain these words '
                        f'({", ".join(WORKLOADS)}, growth, huge)')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--worker', nargs=2, metavar=('WORKLOAD', 'BACKEND'), help=argparse.SUPPRESS)
    parser.add_argument('--links', type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(measure(*args.worker, links=args.links)))
        return
    parts = [(name, lambda name=name: compile_rows(name, args.repeat)) for name in WORKLOADS]
    parts += [('growth', lambda: growth_rows(args.repeat)), ('huge', lambda: huge_graph(args.repeat))]
    print(f'machine: {os.cpu_count()} cpus, python {sys.version.split()[0]}; '
          f'load average {os.getloadavg()[0]:.1f} at start')
    for name, run in parts:
        if not args.words or any(w in name for w in args.words):
            start = time.perf_counter()
            run()
            print(f'  ({name}: {time.perf_counter() - start:.0f} s in all)')


if __name__ == '__main__':
    main()
