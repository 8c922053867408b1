"""The conformance suite: every behaviour, on every backend (see tracegraph.testing)."""
