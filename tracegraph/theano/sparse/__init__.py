"""Theano's `sparse` module is not part of tracegraph (issue 20 puts sparse matrices out
of scope): importing it says so, instead of failing later on a missing name."""
raise ImportError(
    'tracegraph.sparse (theano.sparse) does not exist: sparse matrices are out of scope for '
    'tracegraph. Use dense tensors (T.matrix, T.dot), or keep scipy.sparse work outside the graph.')
