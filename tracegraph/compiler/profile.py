"""Where a compiled function spends its time: `tg.function(..., profile=True)`.

The backend's generated code adds the seconds of each Apply node (or fused kernel)
with `add(key, seconds)`; the function adds whole calls.  `f.profile.summary()`
prints a table sorted by cost.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field


@dataclass
class ProfileStats:
    name: str
    calls: int = 0
    total_s: float = 0.0
    seconds: dict = field(default_factory=dict)   # key -> seconds
    counts: dict = field(default_factory=dict)    # key -> calls
    labels: dict = field(default_factory=dict)    # key -> text shown in the table

    def label(self, key, text):
        self.labels[key] = text
        self.seconds.setdefault(key, 0.0)
        self.counts.setdefault(key, 0)

    def add(self, key, seconds):
        self.seconds[key] += seconds
        self.counts[key] += 1

    def add_call(self, seconds):
        self.calls += 1
        self.total_s += seconds

    def rows(self):
        return sorted(self.seconds.items(), key=lambda kv: -kv[1])

    def summary(self, file=None, limit=30):
        file = file or sys.stdout
        print(f'Profile of {self.name}: {self.calls} call(s), {self.total_s * 1e3:.3f} ms in all', file=file)
        if not self.seconds:
            print('  (this backend reports whole calls only)', file=file)
            return
        inside = sum(self.seconds.values()) or 1.0
        print(f'  {"share":>6}  {"total":>10}  {"per call":>10}  {"calls":>6}  node', file=file)
        for key, seconds in self.rows()[:limit]:
            n = self.counts[key] or 1
            print(f'  {seconds / inside:6.1%}  {seconds * 1e3:8.3f}ms  {seconds / n * 1e6:8.2f}µs  '
                  f'{self.counts[key]:6d}  {self.labels.get(key, key)}', file=file)
