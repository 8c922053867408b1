"""Testing tools for tracegraph and for backend authors.

The conformance suite ships as `tracegraph.testing.conformance` (its files live in
the repository's tests/conformance/).  Run it against any installed backend:

    python -m pytest --pyargs tracegraph.testing.conformance --tracegraph-backend NAME
"""
