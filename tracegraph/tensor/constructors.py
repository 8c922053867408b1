"""The named constructors of symbolic inputs: `scalar vector matrix row col
tensor3..tensor7`, each with the dtype prefixes of Theano (`f` float32, `d` float64,
`i` int32, `l` int64, `b` int8, `w` int16, `c` complex64, `z` complex128; none:
config.floatX), and the plurals (`fscalars('x', 'y')`, `matrices('pt')`)."""
from __future__ import annotations

from .type import TensorType

_SHAPES = {
    'scalar': (), 'vector': (None,), 'matrix': (None, None), 'row': (1, None), 'col': (None, 1),
    'tensor3': (None,) * 3, 'tensor4': (None,) * 4, 'tensor5': (None,) * 5,
    'tensor6': (None,) * 6, 'tensor7': (None,) * 7,
}


def _constructor(kind, dtype):
    shape = _SHAPES[kind]

    def make(name=None, dtype=dtype):
        return TensorType(dtype, shape)(name)

    make.__name__ = kind
    make.__doc__ = f'A symbolic {kind} of dtype {dtype}: `{kind}(name=None)`.'
    return make


def _plural(single):
    def make(*names):
        if len(names) == 1 and isinstance(names[0], int):
            return [single() for _ in range(names[0])]
        if len(names) == 1 and isinstance(names[0], str) and ',' in names[0]:
            names = [n.strip() for n in names[0].split(',')]
        elif len(names) == 1 and isinstance(names[0], str):
            # Theano's rule: one string names one variable per character, and one
            # character gives the variable itself: matrices('pt') -> p, t; scalars('x') -> x.
            if len(names[0]) == 1:
                return single(names[0])
            names = list(names[0])
        return [single(n) for n in names]
    return make


def _family(dtype):
    """The constructors of one dtype, in the order of _SHAPES."""
    return tuple(_constructor(kind, dtype) for kind in _SHAPES)


def _plurals(*singles):
    return tuple(_plural(single) for single in singles)


# One row per dtype prefix: the ten constructors, then the seven plurals Theano had.
scalar, vector, matrix, row, col, tensor3, tensor4, tensor5, tensor6, tensor7 = _family('floatX')
fscalar, fvector, fmatrix, frow, fcol, ftensor3, ftensor4, ftensor5, ftensor6, ftensor7 = _family('float32')
dscalar, dvector, dmatrix, drow, dcol, dtensor3, dtensor4, dtensor5, dtensor6, dtensor7 = _family('float64')
iscalar, ivector, imatrix, irow, icol, itensor3, itensor4, itensor5, itensor6, itensor7 = _family('int32')
lscalar, lvector, lmatrix, lrow, lcol, ltensor3, ltensor4, ltensor5, ltensor6, ltensor7 = _family('int64')
bscalar, bvector, bmatrix, brow, bcol, btensor3, btensor4, btensor5, btensor6, btensor7 = _family('int8')
wscalar, wvector, wmatrix, wrow, wcol, wtensor3, wtensor4, wtensor5, wtensor6, wtensor7 = _family('int16')
cscalar, cvector, cmatrix, crow, ccol, ctensor3, ctensor4, ctensor5, ctensor6, ctensor7 = _family('complex64')
zscalar, zvector, zmatrix, zrow, zcol, ztensor3, ztensor4, ztensor5, ztensor6, ztensor7 = _family('complex128')

scalars, vectors, matrices, rows, cols, tensor3s, tensor4s = _plurals(
    scalar, vector, matrix, row, col, tensor3, tensor4)
fscalars, fvectors, fmatrices, frows, fcols, ftensor3s, ftensor4s = _plurals(
    fscalar, fvector, fmatrix, frow, fcol, ftensor3, ftensor4)
dscalars, dvectors, dmatrices, drows, dcols, dtensor3s, dtensor4s = _plurals(
    dscalar, dvector, dmatrix, drow, dcol, dtensor3, dtensor4)
iscalars, ivectors, imatrices, irows, icols, itensor3s, itensor4s = _plurals(
    iscalar, ivector, imatrix, irow, icol, itensor3, itensor4)
lscalars, lvectors, lmatrices, lrows, lcols, ltensor3s, ltensor4s = _plurals(
    lscalar, lvector, lmatrix, lrow, lcol, ltensor3, ltensor4)
bscalars, bvectors, bmatrices, brows, bcols, btensor3s, btensor4s = _plurals(
    bscalar, bvector, bmatrix, brow, bcol, btensor3, btensor4)
wscalars, wvectors, wmatrices, wrows, wcols, wtensor3s, wtensor4s = _plurals(
    wscalar, wvector, wmatrix, wrow, wcol, wtensor3, wtensor4)
cscalars, cvectors, cmatrices, crows, ccols, ctensor3s, ctensor4s = _plurals(
    cscalar, cvector, cmatrix, crow, ccol, ctensor3, ctensor4)
zscalars, zvectors, zmatrices, zrows, zcols, ztensor3s, ztensor4s = _plurals(
    zscalar, zvector, zmatrix, zrow, zcol, ztensor3, ztensor4)
