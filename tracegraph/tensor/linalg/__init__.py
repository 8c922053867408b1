"""Linear algebra: the op family (ops.py) and its gradients (grads.py).

Users import Theano's modules, `tracegraph.tensor.nlinalg` and
`tracegraph.tensor.slinalg`, which build on these ops and on plain T ops.
"""
from . import grads  # noqa: F401  (the gradient rules, looked up by op class)
from .ops import (ALL_OPS, QR, SVD, Cholesky, Det, Eig, Eigh, Eigvalsh, Expm, LinalgOp,  # noqa: F401
                  Lstsq, Matmul, MatrixInverse, Pinv, Solve, SolveTriangular)
