from .theano.gradient import *  # noqa: F401,F403  (API.md's path for Theano's theano.gradient)
