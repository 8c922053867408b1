"""Issue 12's workload: a fused expression and its mean over uniform draws larger than
memory, on the Dask backend, against the same expression written in `dask.array`.

    python -m bench.dask                 # 3e9 float64 values (24 GB), ~128 MiB chunks
    python -m bench.dask --size 2e8      # a quick run

Candidates (each run alone in a fresh process, so its peak RSS is its own):

* ``tracegraph dask``: ``tg.function([], expr(srng.uniform(size=(n,), low=-2,
  high=2)).mean(), backend="dask")``: each chunk is drawn from the counter-based generator, then the
  fused expression is one NumPy-backend kernel per chunk (cache-sized blocks, no
  temporaries), then Dask's tree reduction.
* ``dask.array, same draws``: the same numbers (each chunk filled by the same
  reference ``fill`` of ``tracegraph.random``), then the expression in ``dask.array``
  (Dask fuses it into one task per chunk, but each operation still makes a
  chunk-sized temporary).
* ``dask.array, own RNG``: ``da.random.default_rng().uniform`` (PCG64: other
  numbers, another generator) for reference.

Uniform draws keep the generator's share of the time small (a normal draw costs
several transcendental functions per value), so the comparison shows the
expression: fused kernels against one temporary per operation.

Both first candidates compute the same mean of the same numbers; the bench checks it.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

from bench.harness import Bench

SEED = 2026
CANDIDATES = ('tracegraph dask', 'dask.array, same draws', 'dask.array, own RNG')


def expression(x, lib):
    """Cheap operations (memory-bound when each makes a temporary) and one transcendental."""
    return ((x * 0.5 + 1.0) * x - 2.0) * x + lib.tanh(x) * 0.25 + lib.abs(x) * 0.125


def _tracegraph(n, chunks):
    import tracegraph as tg
    import tracegraph.tensor as T
    from tracegraph.random import RandomStreams

    class Lib:
        tanh, abs = T.tanh, T.abs_
    x = RandomStreams(seed=SEED).uniform(size=(n,), low=-2.0, high=2.0)
    # no_default_updates: every timed call draws the same numbers as the first.
    f = tg.function([], expression(x, Lib).mean(), backend='dask', no_default_updates=True,
                    backend_options={'chunks': chunks})
    return lambda: float(f())


def _same_draws(n, chunks):
    import dask.array as da
    import numpy as np
    from tracegraph.random.distributions import DISTRIBUTIONS
    from tracegraph.random.state import RandomState
    from tracegraph_dask.random import fill_block, leading_chunks

    state = RandomState(SEED, stream=1)  # what RandomStreams(SEED) gives its first variable
    fill = DISTRIBUTIONS['uniform'].fill
    lengths = leading_chunks((n,), np.dtype('float64'), chunks)

    def draw_chunk(block_info=None):
        start, stop = block_info[None]['array-location'][0]
        return fill_block(fill, state.key, state.draw, start, stop, (stop - start,),
                          np.dtype('float64'), np.float64(-2.0), np.float64(2.0))
    x = da.map_blocks(draw_chunk, chunks=(lengths,), dtype='float64', meta=np.empty(0))
    return lambda: float(expression(x, da).mean().compute())


def _own_rng(n, chunks):
    import dask.array as da
    import numpy as np
    from tracegraph_dask.random import leading_chunks
    lengths = leading_chunks((n,), np.dtype('float64'), chunks)
    x = da.random.default_rng(SEED).uniform(-2.0, 2.0, n, chunks=(lengths,))
    return lambda: float(expression(x, da).mean().compute())


BUILD = dict(zip(CANDIDATES, (_tracegraph, _same_draws, _own_rng)))


def run_one(name, n, chunks, repeat):
    """In this process: build, time `repeat` calls, report JSON on stdout."""
    call = BUILD[name](n, chunks)
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = call()
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    print(json.dumps({'times': times, 'value': value, 'peak_rss': peak}))


def _measure(name, args):
    cmd = [sys.executable, '-m', 'bench.dask', '--one', name, '--size', str(args.size),
           '--chunks', args.chunks, '--repeat', str(args.repeat)]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    if done.returncode:
        return None, done.stderr.strip().splitlines()[-1][:120] if done.stderr else 'failed'
    return json.loads(done.stdout.strip().splitlines()[-1]), ''


def _gib(nbytes):
    return f'{nbytes / 2 ** 30:.2f} GiB'


def main(argv=()):
    parser = argparse.ArgumentParser(prog='python -m bench.dask')
    parser.add_argument('--size', type=float, default=3e9, help='values drawn (float64)')
    parser.add_argument('--chunks', default='128MiB', help='chunk rule of the Dask backend')
    parser.add_argument('--repeat', type=int, default=None, help='timed calls per candidate')
    parser.add_argument('--quick', action='store_true', help='--size 2e7')
    parser.add_argument('--one', default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(list(argv))
    if args.quick:
        args.size = 2e7
    args.size = int(args.size)
    if args.repeat is None:
        args.repeat = 1 if args.size >= 1e9 else 3
    if args.one:
        run_one(args.one, args.size, args.chunks, args.repeat)
        return
    memory = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES')
    data = args.size * 8
    bench = Bench(f'dask fused expression and mean, {args.size:.1e} float64', repeat=args.repeat)
    print(f'data: {_gib(data)} of float64 draws; machine memory: {_gib(memory)}; '
          f'chunks: {args.chunks}; {os.cpu_count()} cores')
    values = {}
    for name in CANDIDATES:
        result, why = _measure(name, args)
        if result is None:
            bench.skip(name, why)
            continue
        bench.rows.append(_row(name, result['times']))
        values[name] = result['value']
        print(f'  {name:<24} peak RSS {_gib(result["peak_rss"]):>10}  (data {_gib(data)})'
              f'  mean = {result["value"]:.9f}')
    a, b = values.get(CANDIDATES[0]), values.get(CANDIDATES[1])
    if a is not None and b is not None:
        print(f'  same draws, same mean: {abs(a - b) <= 1e-9 * max(1.0, abs(b))}')
    bench.print_table(baseline=CANDIDATES[1])
    bench.save(baseline=CANDIDATES[1])


def _row(name, times):
    from bench.harness import Row
    return Row(name, times=list(times))


if __name__ == '__main__':
    main(sys.argv[1:])
