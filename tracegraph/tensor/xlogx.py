"""Theano's `tensor.xlogx` module: x*log(x) and x*log(y) with 0*log(0) = 0."""
from .math import xlogx, xlogy0  # noqa: F401
