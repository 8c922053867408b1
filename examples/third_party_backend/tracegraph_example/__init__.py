"""A worked example of a third-party tracegraph backend (see README.md beside it)."""
