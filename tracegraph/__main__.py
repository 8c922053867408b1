"""The `tracegraph` command: `tracegraph backends`, `tracegraph demo [--backend NAME]`."""
from __future__ import annotations

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog='tracegraph', description=__doc__)
    sub = parser.add_subparsers(dest='command', required=True)
    b = sub.add_parser('backends', help='list backends, their versions and whether they can run here')
    b.add_argument('--coverage', action='store_true', help='also print which ops each backend lowers')
    d = sub.add_parser('demo', help="run Theano's tutorial on a backend")
    d.add_argument('--backend', action='append', help='backend name (repeatable; default: all available)')
    args = parser.parse_args(argv)
    if args.command == 'backends':
        from .cli import print_backends
        print_backends(coverage=args.coverage)
    elif args.command == 'demo':
        from .demo import main as demo_main
        demo_main(args.backend)
    return 0


if __name__ == '__main__':
    sys.exit(main())
