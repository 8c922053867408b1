"""The modules Theano had under `theano.tensor` that tracegraph.tensor does not hold
(`sharedvar`, `shared_randomstreams`): the alias resolves `theano.tensor.<name>` here
first, and every other `theano.tensor` name to `tracegraph.tensor`."""
