"""Theano's `theano.sandbox` paths that programs still import (``rng_mrg``)."""
