"""Signal processing on tensors, at Theano's path `theano.tensor.signal` (pooling lives in `pool`)."""
