"""`python -m tracegraph.theano script.py [args...]`: run a Theano program on tracegraph."""
from __future__ import annotations

import runpy
import sys

from .alias import alias_theano


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    alias_theano()
    sys.argv = list(argv)
    runpy.run_path(argv[0], run_name='__main__')
    return 0


if __name__ == '__main__':
    sys.exit(main())
