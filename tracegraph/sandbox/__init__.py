"""API.md's path `tracegraph.sandbox.rng_mrg`; the module lives in tracegraph/theano/sandbox."""
