"""Time the same work several ways in one run and print medians and ratios.

    from bench.harness import Bench
    bench = Bench('logistic, 1e7 float64')
    bench.add('numpy eager', lambda: 1 / (1 + np.exp(-x)))
    bench.add('tracegraph numpy', lambda: f(x))
    bench.skip('jax.jit', 'jax is not installed')
    bench.run(baseline='numpy eager')     # prints a table, appends to bench/results/*.json

Each candidate is warmed up, then timed in `repeat` rounds of `number` calls, the
rounds taken in turn across the candidates; the median of the per-call times is reported (these machines are shared and noisy:
medians and ratios, never single times).  `ratio` is candidate / baseline, so
below 1 is faster than the baseline.
"""
from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import time
from dataclasses import dataclass, field

RESULTS_DIR = os.path.join(os.path.dirname(__file__), 'results')


@dataclass
class Row:
    name: str
    fn: object = None
    skipped: str = ''
    times: list = field(default_factory=list)

    @property
    def median(self):
        return statistics.median(self.times) if self.times else float('nan')


def _auto_number(fn, target=0.05):
    """How many calls make one round last about `target` seconds."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= target or number >= 1 << 20:
            return number
        number *= 4 if elapsed < target / 8 else 2


class Bench:
    def __init__(self, title, repeat=7, number=None, warmup=2):
        self.title = title
        self.repeat = repeat
        self.number = number
        self.warmup = warmup
        self.rows = []

    def add(self, name, fn):
        self.rows.append(Row(name, fn))
        return self

    def skip(self, name, reason):
        self.rows.append(Row(name, skipped=reason))
        return self

    def try_add(self, name, make):
        """Add `make()` (which returns the callable); a failure becomes a skipped row."""
        try:
            fn = make()
        except Exception as exc:  # a missing or broken reference is a row, not a crash
            return self.skip(name, f'{type(exc).__name__}: {exc}'.splitlines()[0][:120])
        return self.add(name, fn)

    def run(self, baseline=None, save=True):
        # Rounds go round-robin over the candidates, so a noisy spell on a shared
        # machine lands on all of them rather than on whichever ran then.
        live = {}
        for row in self.rows:
            if not row.skipped:
                self._guarded(row, lambda row=row: live.setdefault(row.name, self._prepare(row)))
        for _ in range(self.repeat):
            for row in self.rows:
                if row.name in live and not row.skipped:
                    self._guarded(row, lambda row=row: self._round(row, live[row.name]))
        self.print_table(baseline)
        if save:
            self.save(baseline)
        return self

    def _prepare(self, row):
        for _ in range(self.warmup):
            row.fn()
        return self.number or _auto_number(row.fn)

    @staticmethod
    def _round(row, number):
        gc.collect()
        start = time.perf_counter()
        for _ in range(number):
            row.fn()
        row.times.append((time.perf_counter() - start) / number)

    @staticmethod
    def _guarded(row, action):
        try:
            action()
        except Exception as exc:
            row.skipped = f'failed: {type(exc).__name__}: {exc}'.splitlines()[0][:120]
            row.times.clear()

    def _base(self, baseline):
        timed = [r for r in self.rows if r.times]
        if not timed:
            return None
        named = [r for r in timed if r.name == baseline]
        return (named or timed)[0]

    def print_table(self, baseline=None):
        base = self._base(baseline)
        print(f'\n== {self.title} ==')
        width = max(len(r.name) for r in self.rows) if self.rows else 10
        for row in self.rows:
            if row.skipped:
                print(f'  {row.name:<{width}}  skipped: {row.skipped}')
                continue
            ratio = row.median / base.median if base else float('nan')
            spread = (max(row.times) - min(row.times)) / row.median if row.median else 0
            print(f'  {row.name:<{width}}  {format_time(row.median):>10}  x{ratio:6.2f} vs {base.name}'
                  f'   (spread {spread:.0%})')

    def as_dict(self, baseline=None):
        base = self._base(baseline)
        return {
            'title': self.title, 'baseline': base.name if base else None,
            'machine': {'cpus': os.cpu_count(), 'python': platform.python_version(),
                        'platform': platform.platform()},
            'rows': [{'name': r.name, 'median_s': r.median if r.times else None,
                      'ratio': (r.median / base.median) if (r.times and base) else None,
                      'times_s': r.times, 'skipped': r.skipped} for r in self.rows],
        }

    def save(self, baseline=None):
        os.makedirs(RESULTS_DIR, exist_ok=True)
        slug = ''.join(c if c.isalnum() else '_' for c in self.title.lower()).strip('_')[:60]
        path = os.path.join(RESULTS_DIR, f'{slug}.json')
        with open(path, 'w') as fh:
            json.dump(self.as_dict(baseline), fh, indent=1)
        return path


def format_time(seconds):
    for unit, scale in (('s', 1), ('ms', 1e-3), ('µs', 1e-6), ('ns', 1e-9)):
        if seconds >= scale:
            return f'{seconds / scale:.3g} {unit}'
    return f'{seconds / 1e-9:.3g} ns'


def tracegraph_backends():
    """Names of the tracegraph backends that can run here."""
    from tracegraph import backends
    return [name for name, ok in backends.available().items() if ok]


def time_once(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_workloads(workloads, argv=()):
    """Run the workloads whose names contain any word of `argv` (all when empty)."""
    chosen = [w for w in workloads if not argv or any(a in w.__name__ for a in argv)]
    for workload in chosen:
        start = time.perf_counter()
        workload()
        print(f'  ({workload.__name__}: {time.perf_counter() - start:.1f} s in all)')
