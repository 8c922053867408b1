"""What the `tracegraph` command prints."""
from __future__ import annotations

from . import backends


def print_backends(coverage=False, file=None):
    rows = [('backend', 'version', 'status')]
    registry = backends.registered()
    for name, status in backends.available().items():
        rows.append((name, status.version or getattr(registry[name], 'version', ''),
                     'available' if status else f'unavailable: {status.reason}'))
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    for r in rows:
        print(f'{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]}', file=file)
    if coverage:
        from .coverage import print_coverage
        print(file=file)
        print_coverage(file=file)
