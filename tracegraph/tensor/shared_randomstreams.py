from ..theano.tensor.shared_randomstreams import *  # noqa: F401,F403  (API.md's path)
