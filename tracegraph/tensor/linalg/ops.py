"""The linear-algebra ops: one small family of frozen ops over stacks of matrices.

Every op here reads the trailing `core` axes of each input as one matrix (or
vector) and treats any leading axes as a batch, as NumPy's `linalg` does; ops
whose NumPy/SciPy function takes no batch say so with `batched = False`.  The
static shape rule is one method, `core_shapes`, shared by `make_node` and by the
backends that must know output sizes before running (Dask).  How an op runs is
each backend's business (their `linalg.py` lowering files); the gradients live
in grads.py, next door, which registers each in ir/op.py's GRAD_RULES (by op
class) when linalg/__init__.py loads it.
"""
from __future__ import annotations

from dataclasses import dataclass

from ...ir import Apply, Op
from ...ir.op import GRAD_RULES
from ..basic import as_tensor_variable
from ..elemwise import broadcast_shapes
from ..type import TensorType

def _same(*lengths):
    """One length from several that must agree (None: unknown)."""
    known = {n for n in lengths if n is not None}
    return known.pop() if len(known) == 1 else None


def _min(a, b):
    return None if a is None or b is None else min(a, b)


def _float_dtype(dtypes):
    """NumPy's linalg result dtype: float32 stays float32, anything else float64."""
    return 'float32' if all(d == 'float32' for d in dtypes) else 'float64'


def _broadcast_batch(shapes, op):
    """The broadcast of several static batch shapes of any rank (None: unknown length)."""
    ndim = max((len(s) for s in shapes), default=0)
    return broadcast_shapes([(1,) * (ndim - len(s)) + tuple(s) for s in shapes], f'{op} (batch axes)')


@dataclass(frozen=True)
class LinalgOp(Op):
    """Base of the family: subclasses give `core_ndims`, `core_shapes` and `n_out`."""

    batched = True        # leading axes are a batch (NumPy's linalg broadcasting)
    name = 'linalg'       # Theano's function name, used in messages and printing

    def core_ndims(self, inputs):
        """How many trailing axes of each input form one problem."""
        return (2,) * len(inputs)

    def out_dtypes(self, dtype):
        return [dtype] * self.n_outputs()

    def n_outputs(self):
        return 1

    def make_node(self, *inputs):
        inputs = [as_tensor_variable(x) for x in inputs]
        dtype = _float_dtype([x.dtype for x in inputs])
        from ..math import cast
        inputs = [cast(x, dtype) for x in inputs]
        cores = self.core_ndims(inputs)
        for k, (x, core) in enumerate(zip(inputs, cores)):
            if x.ndim < core or (not self.batched and x.ndim != core):
                want = f'{core}' if not self.batched else f'at least {core}'
                raise TypeError(f'{self.name}: input {k} must have {want} dimension(s), '
                                f'got {x.ndim} ({x.type})')
        batch = _broadcast_batch([x.type.shape[:x.ndim - c] for x, c in zip(inputs, cores)], self.name)
        core_shapes = self.core_shapes(*[x.type.shape[x.ndim - c:] for x, c in zip(inputs, cores)])
        outputs = [TensorType(dt, batch + tuple(shape))()
                   for dt, shape in zip(self.out_dtypes(dtype), core_shapes)]
        return Apply(self, inputs, outputs)

    def __str__(self):
        return self.name

    def grad(self, inputs, output_grads):
        rule = GRAD_RULES.find(self)
        if rule is None:
            raise TypeError(f'{self.name} has no gradient (Theano defines none either); mark '
                            'its input constant with consider_constant if you do not need it')
        return rule(self, inputs, output_grads)


def _square(shape, name):
    if shape[0] is not None and shape[1] is not None and shape[0] != shape[1]:
        raise ValueError(f'{name}: the matrix must be square, got static shape {shape}')
    return _same(*shape)


@dataclass(frozen=True)
class SquareToSquare(LinalgOp):
    """A square matrix in, a matrix of the same size out."""

    def core_shapes(self, a):
        n = _square(a, self.name)
        return [(n, n)]


@dataclass(frozen=True)
class MatrixInverse(SquareToSquare):
    name = 'matrix_inverse'


@dataclass(frozen=True)
class Det(LinalgOp):
    name = 'det'

    def core_shapes(self, a):
        _square(a, self.name)
        return [()]


@dataclass(frozen=True)
class Cholesky(SquareToSquare):
    """The lower (or, with lower=False, upper) Cholesky factor; it reads only that
    triangle of its input, as scipy.linalg.cholesky does."""

    lower: bool = True
    name = 'cholesky'


@dataclass(frozen=True)
class LinearSolve(LinalgOp):
    """Base of solve and solve_triangular: x with a x = b, a square; b (and x) a vector
    per batch item when it has one axis fewer than a, else a matrix."""

    def core_ndims(self, inputs):
        a, b = inputs
        return (2,) + ((1,) if b.ndim == a.ndim - 1 else (2,))

    def core_shapes(self, a, b):
        n = _square(a, self.name)
        if n is not None and b[0] is not None and n != b[0]:
            raise ValueError(f'{self.name}: a is {a} but b has {b[0]} rows')
        return [(_same(n, b[0]),) + tuple(b[1:])]


@dataclass(frozen=True)
class Solve(LinearSolve):
    """Theano's Solve: `A_structure` is 'general', 'symmetric' (solved as general, as
    Theano 1.0 did), 'lower_triangular' or 'upper_triangular'."""

    A_structure: str = 'general'
    lower: bool = False
    name = 'solve'

    def __post_init__(self):
        if self.A_structure not in ('general', 'symmetric', 'lower_triangular', 'upper_triangular'):
            raise ValueError(f'solve: unknown A_structure {self.A_structure!r}')


@dataclass(frozen=True)
class SolveTriangular(LinearSolve):
    """scipy.linalg.solve_triangular: `trans` 0 solves a x = b, 1 solves a.T x = b."""

    lower: bool = False
    trans: int = 0
    unit_diagonal: bool = False
    name = 'solve_triangular'


@dataclass(frozen=True)
class EigenPairs(LinalgOp):
    """Base of eigh and eig: eigenvalues (n,) and eigenvectors (n, n) of a square matrix."""

    def n_outputs(self):
        return 2

    def core_shapes(self, a):
        n = _square(a, self.name)
        return [(n,), (n, n)]


@dataclass(frozen=True)
class Eigh(EigenPairs):
    """numpy.linalg.eigh: ascending eigenvalues w and eigenvectors v (columns); it
    reads only the `UPLO` triangle."""

    UPLO: str = 'L'
    name = 'eigh'


@dataclass(frozen=True)
class Eigvalsh(LinalgOp):
    """scipy.linalg.eigvalsh(a, b=None, lower): eigenvalues of a symmetric matrix,
    or of the generalized problem a v = w b v when b is given (not batched then)."""

    lower: bool = True
    name = 'eigvalsh'

    def core_shapes(self, a, b=None):
        n = _square(a, self.name)
        return [(n,)]


@dataclass(frozen=True)
class Eig(EigenPairs):
    """numpy.linalg.eig with real results, as Theano's (a matrix with complex
    eigenvalues is an error at run time, not a silently dropped imaginary part)."""

    name = 'eig'


@dataclass(frozen=True)
class SVD(LinalgOp):
    """numpy.linalg.svd: (u, s, v) where v is NumPy's `vh`, or s alone."""

    full_matrices: bool = True
    compute_uv: bool = True
    name = 'svd'

    def n_outputs(self):
        return 3 if self.compute_uv else 1

    def core_shapes(self, a):
        m, n = a
        k = _min(m, n)
        if not self.compute_uv:
            return [(k,)]
        if self.full_matrices:
            return [(m, m), (k,), (n, n)]
        return [(m, k), (k,), (k, n)]


@dataclass(frozen=True)
class QR(LinalgOp):
    """numpy.linalg.qr for modes 'reduced' (q, r), 'complete' (q, r) and 'r' (r)."""

    mode: str = 'reduced'
    name = 'qr'

    def __post_init__(self):
        if self.mode not in ('reduced', 'complete', 'r'):
            raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {self.mode!r}")

    def n_outputs(self):
        return 1 if self.mode == 'r' else 2

    def core_shapes(self, a):
        m, n = a
        k = _min(m, n)
        if self.mode == 'r':
            return [(k, n)]
        if self.mode == 'complete':
            return [(m, m), (m, n)]
        return [(m, k), (k, n)]


@dataclass(frozen=True)
class Pinv(LinalgOp):
    name = 'pinv'

    def core_shapes(self, a):
        return [(a[1], a[0])]


@dataclass(frozen=True)
class Lstsq(LinalgOp):
    """numpy.linalg.lstsq(a, b, rcond): (x, residuals, rank, s), one problem (no batch)."""

    rcond: float | None = None
    batched = False
    name = 'lstsq'

    def core_ndims(self, inputs):
        return (2, inputs[1].ndim)

    def n_outputs(self):
        return 4

    def out_dtypes(self, dtype):
        return [dtype, dtype, 'int64', dtype]

    def core_shapes(self, a, b):
        if len(b) not in (1, 2):
            raise TypeError('lstsq: b must be a vector or a matrix')
        m, n = a
        return [(n,) + tuple(b[1:]), (None,), (), (_min(m, n),)]


@dataclass(frozen=True)
class Expm(SquareToSquare):
    """scipy.linalg.expm, the matrix exponential."""

    name = 'expm'


@dataclass(frozen=True)
class Matmul(LinalgOp):
    """numpy.matmul of two stacks of matrices (both at least 2-d): one batched product,
    used by the gradients here (T.matmul's broadcast-and-sum costs n times the memory)."""

    name = 'matmul'

    def core_shapes(self, a, b):
        if a[1] is not None and b[0] is not None and a[1] != b[0]:
            raise ValueError(f'matmul: shapes {a} and {b} are not aligned')
        return [(a[0], b[1])]


ALL_OPS = (MatrixInverse, Det, Cholesky, Solve, SolveTriangular, Eigh, Eigvalsh, Eig, SVD, QR,
           Pinv, Lstsq, Expm, Matmul)

