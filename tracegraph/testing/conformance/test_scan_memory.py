"""Scan keeps only what is read: A**k with k = 10**6 holds one step, not a million."""
import subprocess
import sys

import numpy as np

import tracegraph as tg
import tracegraph.tensor as T


_CHILD = """
import resource, sys
import numpy as np
import tracegraph as tg
import tracegraph.tensor as T
k = T.iscalar('k')
A = T.dvector('A')
result, updates = tg.scan(lambda prior, A: prior * A, outputs_info=T.ones_like(A),
                          non_sequences=A, n_steps=k)
power = tg.function([A, k], result[-1], updates=updates, backend=sys.argv[1])
a = np.linspace(-1.0, 1.0, 16)
for steps in (10, 10 ** 6):
    assert np.allclose(power(a, steps), a ** steps)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _peaks_kib(backend):
    """Peak resident size after 10 steps, then after a million (one process: one compile)."""
    done = subprocess.run([sys.executable, '-c', _CHILD, backend], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    small, large = (int(v) for v in done.stdout.split()[-2:])
    return small, large


def test_power_with_a_million_steps_keeps_one_row(backend):
    k = T.iscalar('k')
    A = T.dvector('A')
    result, updates = tg.scan(lambda prior, A: prior * A, outputs_info=T.ones_like(A),
                              non_sequences=A, n_steps=k)
    power = tg.function([A, k], result[-1], updates=updates, backend=backend)
    scans = [n for n in power.graph.apply_nodes if type(n.op).__name__ == 'Scan']
    assert [n.op.keep for n in scans] == [(1,)]
    # Every step kept would be 10**6 rows of 16 float64 = 128 MB; the peak resident size of a
    # process that runs a million steps must stay within a few MB of one that runs ten.
    small, large = _peaks_kib(backend)
    assert large - small < 16 * 1024, f'peak RSS grew by {large - small} KiB'


def test_last_rows_of_a_fed_back_output_with_taps(backend):
    n = T.iscalar('n')
    init = T.dvector('init')
    fib, _ = tg.scan(lambda a, b: a + b, outputs_info=dict(initial=init, taps=[-2, -1]), n_steps=n)
    f = tg.function([init, n], [fib[-1], fib[-3:]], backend=backend)
    scans = [node for node in f.graph.apply_nodes if type(node.op).__name__ == 'Scan']
    assert [node.op.keep for node in scans] == [(3,)]
    seq = [0.0, 1.0]
    for _ in range(20):
        seq.append(seq[-1] + seq[-2])
    last, last3 = f(np.array([0.0, 1.0]), 20)
    assert last == seq[-1]
    np.testing.assert_array_equal(last3, seq[-3:])
    last, last3 = f(np.array([0.0, 1.0]), 2)  # fewer steps than rows kept
    np.testing.assert_array_equal(last3, [1.0, 2.0])
