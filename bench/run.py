"""Run benchmark modules: `python -m bench.run [name ...]` (default: all of them).

Each module in bench/ with a `main(argv)` function is a workload; results are
printed and written as JSON under bench/results/.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys

import bench

SKIP = {'harness', 'run'}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    names = [a for a in argv if not a.startswith('-')] or sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if m.name not in SKIP)
    for name in names:
        module = importlib.import_module(f'bench.{name}')
        print(f'\n##### bench.{name}')
        module.main([a for a in argv if a.startswith('-')])


if __name__ == '__main__':
    main()
