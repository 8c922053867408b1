"""Issue 21: an RNN's gradient in bounded memory with `scan(..., checkpoint=)`.

The RNN: a 4,096-wide state over T = 10,000 steps, input 32, with a diagonal
recurrence (IndRNN: h_t = tanh(x_t W + u * h_{t-1} + b)), so that a step costs
O(width) and the whole run takes seconds; its states alone are T x 4,096 float64
(330 MB).  Forward plus the gradient of sum(h_T) with respect to W, u, b and h0:

* tracegraph, unchecked (every state kept), checkpoint='auto' (K = sqrt(T)) and
  checkpoint='nested' (two levels: segments of b^2 steps, sub-blocks of b = cbrt(T));
* jax.lax.scan + grad, unchecked, and with jax.checkpoint placed by hand: an outer
  lax.scan over sqrt(T) segments whose body (an inner lax.scan over K steps) is
  wrapped in jax.checkpoint.

Peak memory of one call: tracemalloc's peak for tracegraph (NumPy's allocations
are traced), XLA's own count for JAX (`compiled.memory_analysis()`: temporaries
plus outputs), both also in states (rows of 4,096 float64).  Time: medians of
rounds taken in turn.  Targets: checkpointed peak <= 2 sqrt(T) states, time <=
1.5x unchecked.  Every gradient is checked against the unchecked NumPy-backend one.

    python -m bench.scan_checkpoint [--quick]

Why jax.lax.scan is faster here (2026-12-07): the gradient decays through `u * tanh'`, and
with this data 8% of the backward rows' values are subnormal (T = 2,000; 37% are exact
zeros).  XLA's CPU code flushes subnormals to zero; NumPy, Numba and OpenBLAS compute them
exactly, at a hundred cycles an operation: the product summing W's gradient took 172 ms on
those rows and 9 ms on normal numbers of the same shape.  The gradients agree to 1e-12
either way; the time of the backward pass does not.

Full size, one run (2026-11-26, AMD EPYC 2 cores shared, load average 5-6: times noisy,
spreads 12-46%), medians and peaks:

    tracegraph numpy                    18.2 s   50,042 states
    tracegraph numpy checkpoint=auto    21.0 s      378 states  (x1.16 time)
    tracegraph numba                    13.9 s   50,038 states
    tracegraph numba checkpoint=auto    19.8 s      407 states  (x1.43 time)
    jax.lax.scan + grad                 2.58 s   30,038 states
    jax.checkpoint by hand              2.40 s      884 states  (x0.93 time)

The checkpointed peak (numpy) is 100 checkpoints + one segment's history (101) + its
per-step gradient rows (100, the factor of W's outer products) + W's running sum and
one product (64) + the returned gradients: 3.8 sqrt(T), not the 2 sqrt(T) target.

checkpoint='nested', full size, NumPy backend only (2026-12-07, same machine, load
average 9-14 from other jobs; three rounds of unchecked / auto / nested taken in turn in
one process, medians of the per-round ratios; wall and CPU time):

    tracegraph numpy                    22.4 s wall  5.7 s CPU   50,042 states
    tracegraph numpy checkpoint=auto    31.3 s       9.7 s          378 states  (x1.41 wall, x1.70 CPU)
    tracegraph numpy checkpoint=nested  56.6 s      17.8 s          239 states  (x2.53 wall, x3.15 CPU)

'nested' holds 20 checkpoints + 21 sub-block windows + one sub-block's history (23) and
gradient rows (22), plus W's sums (32 states each): the sum after the last steps, which
the segment loop starts from, the segment loop's, the sub-block loop's, a sub-block's
product and the new sum (160): 2.4 sqrt(T).  Its time goes to a third forward pass and
to ~900 small loops and matrix products (22 x 32 x 4,096), which OpenBLAS's two threads
run slowly on a loaded machine.  Numba was not measured at full size for 'nested' (its
compile is minutes; the conformance test checks it on NumPy).

Full size, every candidate, one run on a quiet machine (2026-12-07 18:40 UTC, 2-core Intel
Xeon with AVX-512, load below 1; medians of 5 rounds taken in turn, spreads 4-12%):

    tracegraph numba                      5.39 s   50,038 states
    tracegraph numba checkpoint=auto      4.14 s      339 states  (x0.77 time)
    tracegraph numba checkpoint=nested    4.53 s      166 states  (x0.84 time)
    tracegraph numpy                      8.23 s   50,042 states
    tracegraph numpy checkpoint=auto      4.20 s      378 states  (x0.51 time)
    tracegraph numpy checkpoint=nested    4.59 s      239 states  (x0.56 time)
    jax.lax.scan + grad                   1.27 s   30,038 states
    jax.checkpoint by hand                1.20 s      884 states  (x0.94 time)

On Numba, checkpoint='nested' meets both targets: 166 states (1.7 sqrt(T)) at 0.84x the
unchecked time, its gradients within 1e-14 (relative to each gradient's largest value) of
the unchecked ones.  Numba holds fewer of W's sums at once than the NumPy backend (which
keeps 239).  Checkpointed runs are faster than unchecked ones here: the unchecked call
writes and reads 1.6 GB of history, gradient rows and temporaries (page faults, memory
traffic), the checkpointed ones stay within a few MB and rerun the forward steps, which
are cheap beside the subnormal-laden backward pass.  The loaded-machine runs above
measured 1.4x ('auto') and 2.5x ('nested') on the NumPy backend: their ratios were the
load's, not the schedule's.

Below 'nested': a binomial (revolve) schedule would reach fewer states with fewer reruns,
but it writes a segment's history into the slots of checkpoints already consumed, in
place; the IR's scan cannot yet write its history into a slice of a carried buffer.
"""
from __future__ import annotations

import math
import tracemalloc

import numpy as np

from bench.harness import Bench, tracegraph_backends


def _data(steps, width, n_in=32):
    rng = np.random.default_rng(0)
    return (rng.normal(size=(steps, n_in)) * 0.1, rng.normal(size=width) * 0.1,
            rng.normal(size=(n_in, width)) * 0.1, rng.uniform(-1, 1, width), rng.normal(size=width) * 0.1)


def _tracegraph_fn(backend, checkpoint):
    import tracegraph as tg
    import tracegraph.tensor as T
    x, W, h0, u, b = T.dmatrix('x'), T.dmatrix('W'), T.dvector('h0'), T.dvector('u'), T.dvector('b')
    hs, _ = tg.scan(lambda xt, h, W, u, b: T.tanh(T.dot(xt, W) + u * h + b), sequences=x,
                    outputs_info=h0, non_sequences=[W, u, b], checkpoint=checkpoint)
    cost = hs[-1].sum()
    f = tg.function([x, h0, W, u, b], [cost] + T.grad(cost, [W, u, b, h0]), backend=backend)
    return lambda *data: f(*data)


def _jax_fns(steps):
    import jax
    jax.config.update('jax_enable_x64', True)
    jnp = jax.numpy

    def step(h, xt, W, u, b):
        return jnp.tanh(xt @ W + u * h + b)

    def plain(W, u, b, h0, x):
        last, _ = jax.lax.scan(lambda h, xt: (step(h, xt, W, u, b), None), h0, x)
        return last.sum()

    every = math.isqrt(steps - 1) + 1  # ceil(sqrt(T)), as checkpoint='auto'
    head = steps - (steps - 1) // every * every

    def checkpointed(W, u, b, h0, x):
        def segment(h, xs):
            return jax.lax.scan(lambda h, xt: (step(h, xt, W, u, b), None), h, xs)[0]
        h = segment(h0, x[:head])
        blocks = x[head:].reshape((-1, every) + x.shape[1:])
        last, _ = jax.lax.scan(lambda h, xs: (jax.checkpoint(segment)(h, xs), None), h, blocks)
        return last.sum()
    return {name: jax.jit(jax.value_and_grad(fn, argnums=(0, 1, 2, 3)))
            for name, fn in (('jax.lax.scan + grad', plain), ('jax.checkpoint by hand', checkpointed))}


def _jax_call(f):
    import jax

    def call(x, h0, W, u, b):
        value, grads = jax.block_until_ready(f(W, u, b, h0, x))
        return [np.asarray(value)] + [np.asarray(g) for g in grads]
    return call


def _tracemalloc_peak(fn, data):
    fn(*data)  # warm: compiled, caches filled
    tracemalloc.start()
    try:
        fn(*data)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _xla_peak(f, data):
    x, h0, W, u, b = data
    stats = f.lower(W, u, b, h0, x).compile().memory_analysis()
    return stats.temp_size_in_bytes + stats.output_size_in_bytes


def main(argv=()):
    quick = '--quick' in argv
    steps, width = (1_000, 512) if quick else (10_000, 4_096)
    data = _data(steps, width)
    state = width * 8
    candidates = {}
    for backend in tracegraph_backends():
        if backend in ('numpy', 'numba'):
            candidates[f'tracegraph {backend}'] = _tracegraph_fn(backend, None)
            for every in ('auto', 'nested'):
                candidates[f'tracegraph {backend} checkpoint={every}'] = _tracegraph_fn(backend, every)
    jax_fns = {}
    try:
        jax_fns = _jax_fns(steps)
    except ImportError as exc:
        print(f'jax skipped: {exc}')
    for name, f in jax_fns.items():
        candidates[name] = _jax_call(f)
    reference = candidates['tracegraph numpy'](*data)
    peaks = {}
    for name, fn in candidates.items():
        got = fn(*data)
        for g, want in zip(got, reference):
            np.testing.assert_allclose(g, want, rtol=1e-9, atol=1e-12, err_msg=name)
        peaks[name] = _xla_peak(jax_fns[name], data) if name in jax_fns else _tracemalloc_peak(fn, data)
    title = f'IndRNN forward + gradient, width {width}, T = {steps}'
    bench = Bench(title, repeat=3 if quick else 5, number=1, warmup=1)
    for name, fn in candidates.items():
        bench.add(name, lambda fn=fn: fn(*data))
    bench.run(baseline='tracegraph numpy')
    budget = 2 * math.sqrt(steps)
    print(f'\n== peak memory of one call ({state} B a state; target <= {budget:.0f} states '
          'checkpointed; the gradients returned hold 35 states) ==')
    for name, peak in peaks.items():
        unchecked = 'jax.lax.scan + grad' if name.startswith('jax') else name.split(' checkpoint=')[0]
        base = peaks[unchecked]
        time_ratio = _median(bench, name) / _median(bench, unchecked)
        print(f'  {name:<36} {peak / 2**20:9.1f} MB  {peak / state:8.0f} states  '
              f'x{peak / base:5.2f} memory, x{time_ratio:5.2f} time vs unchecked')


def _median(bench, name):
    return next(r.median for r in bench.rows if r.name == name)


if __name__ == '__main__':
    import sys
    main(sys.argv[1:])
