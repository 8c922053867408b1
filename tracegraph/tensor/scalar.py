"""The scalar ops: elementwise math is one `Elemwise` op over one of these.

Each row of the table is the one record of a scalar function: its arity, its
output-dtype rule, how `pp` spells it, its groups (what kind of work it is: the
backends decide from these which ops are worth a blocked SIMD/threaded pass), and,
where they exist, its derivative and its decomposition into other scalar ops.
`T.<name>` is made from the record (tensor/math.py).  Each backend has one table
keyed by op name (a NumPy/SciPy ufunc, a Numba expression, a C++ expression); an op
missing from a backend's table is computed there through its decomposition.
autodiff/scalar_grads.py builds the Elemwise pullback from the records' derivatives.

Adding an elementwise op (say `sinpi`): one record here (with `decompose` it runs on
every backend at once), a native spelling in each backend table that wants one,
one row in the conformance tests.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np


def _float_of(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind in 'fc':
        return dtype.name
    return np.result_type(dtype, np.float32).name  # int8/16 -> float32, int32/64 -> float64


_DTYPE_RULES = {
    'upcast': lambda dts: np.result_type(*dts).name,
    'float': lambda dts: _float_of(np.result_type(*dts)),
    'bool': lambda dts: 'bool',
    'last': lambda dts: np.dtype(dts[-1]).name,
    'after_first': lambda dts: np.result_type(*dts[1:]).name,
    'int': lambda dts: 'int64' if np.result_type(*dts).kind in 'iub' else np.result_type(*dts).name,
}


# Groups: what kind of work an op is.  The backends read these, never lists of their own.
TRANSCENDENTAL = 'transcendental'  # a libm / special-function call per element: no SIMD in a
                                   # compiled scalar loop, so large arrays go to NumPy's ufuncs
HEAVY = 'heavy'                    # one costly instruction (sqrt): worth threads on large
                                   # arrays, but vectorized by a compiled loop
SPECIAL = 'special'                # a SciPy special function (scipy.special)
COMPARISON = 'comparison'          # gives booleans
INTEGER = 'integer'                # defined on integers and booleans only (bitwise ops)


@dataclass(frozen=True)
class ScalarOp:
    """A scalar function.  `dtype` is set only for casts; `infix` is how pp spells it.

    `grad(m, *inputs, z, g)` returns one gradient per input, written with the
    tensor functions of module `m` (tracegraph.tensor.math, passed in by autodiff so
    this module imports nothing above it).  `decompose(b, *args)` computes the op
    from other scalar ops through a `Builder` `b`: `b.mul(x, b.const(math.pi, x))`.
    `function` is the T.* name made for it (None: no T.* function).
    """

    name: str
    nin: int
    rule: str = 'upcast'
    infix: str | None = None
    dtype: str | None = None
    groups: frozenset = field(default=frozenset(), compare=False)
    grad: object = field(default=None, compare=False, repr=False)
    decompose: object = field(default=None, compare=False, repr=False)
    function: str | None = field(default='', compare=False)
    doc: str = field(default='', compare=False)

    def in_group(self, group):
        return group in self.groups

    @property
    def function_name(self):
        return self.name if self.function == '' else self.function

    def output_dtype(self, input_dtypes):
        if self.dtype is not None:
            return self.dtype
        return _DTYPE_RULES[self.rule](input_dtypes)

    def input_dtype(self, input_dtypes):
        """The common dtype the inputs are brought to before computing."""
        if self.name in ('switch',):
            return np.result_type(*input_dtypes[1:]).name
        if self.name == 'second' or self.dtype is not None:
            return None
        if self.rule == 'float':
            return _float_of(np.result_type(*input_dtypes))
        return np.result_type(*input_dtypes).name

    def __str__(self):
        return f'cast{{{self.dtype}}}' if self.dtype is not None else self.name


def _table(*rows):
    return {row.name: row for row in rows}


class NoGrad:
    """A derivative a record does not define (Theano had none): asking for it is an error
    that names the op and the input."""

    def __init__(self, comment=''):
        self.comment = comment


_SQRT_PI = math.sqrt(math.pi)


def _gammainc_grad(sign):
    def grad(m, k, x, z, g):
        # d/dx P(k, x) = x**(k-1) exp(-x) / Gamma(k), written in logs so large k
        # does not overflow; Theano defined no derivative with respect to k.
        dx = m.exp(m.sub(m.sub(m.mul(m.sub(k, 1), m.log(x)), x), m.gammaln(k)))
        return NoGrad('Theano defines none with respect to k'), m.mul(m.mul(g, dx), sign)
    return grad


def _bessel1_grad(same_order_0, sign):
    # j1' = j0 - j1/x and i1' = i0 - i1/x (both 1/2 at x = 0).
    def grad(m, x, z, g):
        slope = m.sub(same_order_0(m)(x), m.true_div(z, x))
        return (m.mul(g, m.switch(m.eq(x, 0), 0.5, slope)),)
    return grad


def _special(name, nin=1, grad=None, decompose=None, doc=''):
    return ScalarOp(name, nin, 'float', groups=_SP, grad=grad, decompose=decompose, doc=doc)


_T, _H = frozenset({TRANSCENDENTAL}), frozenset({HEAVY})
_CMP, _INT = frozenset({COMPARISON}), frozenset({INTEGER})
_SP = frozenset({TRANSCENDENTAL, SPECIAL})

# Theano 1.0's special functions (theano.scalar.basic_scipy, theano.tensor.xlogx), with
# the derivatives Theano defined.  erfinv and log1mexp are in the main table.
SPECIAL_FUNCTIONS = (
    _special('gammaln', grad=lambda m, x, z, g: (m.mul(g, m.psi(x)),), doc='log|Gamma(x)|'),
    _special('psi', grad=lambda m, x, z, g: (m.mul(g, m.tri_gamma(x)),), doc='the digamma function'),
    _special('tri_gamma', grad=lambda m, x, z, g: (NoGrad('Theano defines none'),),
             doc='the trigamma function, psi\'(x)'),
    _special('gamma', grad=lambda m, x, z, g: (m.mul(m.mul(g, z), m.psi(x)),), doc='Gamma(x)'),
    _special('gammainc', 2, grad=_gammainc_grad(1.0), doc='the regularized lower incomplete gamma P(k, x)'),
    _special('gammaincc', 2, grad=_gammainc_grad(-1.0), doc='the regularized upper incomplete gamma Q(k, x)'),
    _special('erfcinv', grad=lambda m, x, z, g: (m.mul(m.mul(g, -_SQRT_PI / 2), m.exp(m.sqr(z))),),
             decompose=lambda b, x: b.erfinv(b.sub(b.const(1.0, x), x)),
             doc='the inverse of erfc'),
    _special('erfcx', grad=lambda m, x, z, g: (m.mul(g, m.sub(m.mul(m.mul(x, z), 2), 2 / _SQRT_PI)),),
             decompose=lambda b, x: b.mul(b.exp(b.sqr(x)), b.erfc(x)),
             doc='the scaled complementary error function exp(x**2) * erfc(x)'),
    _special('j0', grad=lambda m, x, z, g: (m.neg(m.mul(g, m.j1(x))),), doc='the Bessel function J0'),
    _special('j1', grad=_bessel1_grad(lambda m: m.j0, -1), doc='the Bessel function J1'),
    _special('i0', grad=lambda m, x, z, g: (m.mul(g, m.i1(x)),), doc='the modified Bessel function I0'),
    _special('i1', grad=_bessel1_grad(lambda m: m.i0, 1), doc='the modified Bessel function I1'),
    ScalarOp('xlogx', 1, 'float', grad=lambda m, x, z, g: (m.mul(g, m.add(m.log(x), 1)),),
             decompose=lambda b, x: b.switch(b.eq(x, b.const(0.0, x)), b.const(0.0, x), b.mul(x, b.log(x))),
             doc='x * log(x), with 0 * log(0) = 0'),
    ScalarOp('xlogy0', 2, 'float', grad=lambda m, x, y, z, g: (m.mul(g, m.log(y)), m.true_div(m.mul(g, x), y)),
             decompose=lambda b, x, y: b.switch(b.eq(x, b.const(0.0, x)), b.const(0.0, x),
                                                b.mul(x, b.log(y))),
             doc='x * log(y), with 0 * log(y) = 0'),
)


def _float1(name, groups=_T, **kw):
    return ScalarOp(name, 1, 'float', groups=groups, **kw)


SCALAR_OPS = _table(
    # arithmetic
    ScalarOp('add', 2, infix='+'), ScalarOp('sub', 2, infix='-'), ScalarOp('mul', 2, infix='*'),
    ScalarOp('true_div', 2, 'float', infix='/'), ScalarOp('int_div', 2, infix='//'),
    ScalarOp('mod', 2, infix='%'), ScalarOp('pow', 2, infix='**', groups=_T),
    ScalarOp('neg', 1, infix='-'), ScalarOp('abs', 1, function='abs_'), ScalarOp('sgn', 1),
    ScalarOp('sqr', 1), ScalarOp('maximum', 2), ScalarOp('minimum', 2), ScalarOp('clip', 3),
    # transcendental
    _float1('sqrt', _H), _float1('exp'), _float1('exp2'), _float1('expm1'), _float1('log'),
    _float1('log2'), _float1('log10'), _float1('log1p'),
    _float1('sin'), _float1('cos'), _float1('tan'),
    _float1('arcsin'), _float1('arccos'), _float1('arctan'),
    ScalarOp('arctan2', 2, 'float', groups=_T), _float1('sinh'), _float1('cosh'),
    _float1('tanh'), _float1('arcsinh'), _float1('arccosh'), _float1('arctanh'),
    _float1('erf'), _float1('erfc'), _float1('erfinv', _SP),
    _float1('sigmoid'), _float1('softplus'), _float1('log1mexp'),
    # rounding
    _float1('floor', frozenset()), _float1('ceil', frozenset()), _float1('trunc', frozenset()),
    _float1('round_half_to_even', frozenset()), _float1('round_half_away_from_zero', frozenset()),
    # comparisons and logic
    ScalarOp('eq', 2, 'bool', infix='==', groups=_CMP), ScalarOp('neq', 2, 'bool', infix='!=', groups=_CMP),
    ScalarOp('lt', 2, 'bool', infix='<', groups=_CMP), ScalarOp('le', 2, 'bool', infix='<=', groups=_CMP),
    ScalarOp('gt', 2, 'bool', infix='>', groups=_CMP), ScalarOp('ge', 2, 'bool', infix='>=', groups=_CMP),
    ScalarOp('and_', 2, infix='&', groups=_INT), ScalarOp('or_', 2, infix='|', groups=_INT),
    ScalarOp('xor', 2, infix='^', groups=_INT), ScalarOp('invert', 1, infix='~', groups=_INT),
    ScalarOp('isnan', 1, 'bool'), ScalarOp('isinf', 1, 'bool'),
    # selection and plumbing
    ScalarOp('switch', 3, 'after_first'), ScalarOp('second', 2, 'last'), ScalarOp('identity', 1),
)
SCALAR_OPS.update(_table(*SPECIAL_FUNCTIONS))


# -- derivatives ---------------------------------------------------------------------
# One line per op: grad(m, *inputs, z, g) -> one gradient per input, written with the
# tensor functions of `m` (tracegraph.tensor.math, passed in by autodiff: this module
# imports nothing above it) so that gradients are differentiable again (hessian, Rop).
# ZERO_GRAD: connected but zero everywhere (piecewise-constant ops); None: disconnected.
class _ZeroGrad:
    def __repr__(self):
        return 'ZERO_GRAD'


ZERO_GRAD = _ZeroGrad()


def _zero(m, *args):
    return (ZERO_GRAD,) * (len(args) - 2)


def _one(m, y):
    # A 1 of y's dtype: `y - 1` with a Python 1 would forget that the Python 2 in `x ** 2`
    # was adopted as x's dtype (two weak constants promote to int64).
    return m.constant(np.ones((), y.dtype))


_DERIVATIVES = {
    'add': lambda m, x, y, z, g: (g, g),
    'sub': lambda m, x, y, z, g: (g, m.neg(g)),
    'mul': lambda m, x, y, z, g: (m.mul(g, y), m.mul(g, x)),
    'true_div': lambda m, x, y, z, g: (m.true_div(g, y), m.neg(m.true_div(m.mul(g, z), y))),
    'int_div': _zero,
    'mod': lambda m, x, y, z, g: (g, m.neg(m.mul(g, m.int_div(x, y)))),
    'pow': lambda m, x, y, z, g: (m.mul(m.mul(g, y), m.pow(x, m.sub(y, _one(m, y)))), m.mul(m.mul(g, z), m.log(x))),
    'neg': lambda m, x, z, g: (m.neg(g),),
    'abs': lambda m, x, z, g: (m.mul(g, m.sgn(x)),),
    'sgn': _zero,
    'sqr': lambda m, x, z, g: (m.mul(m.mul(g, 2), x),),
    'maximum': lambda m, x, y, z, g: (m.switch(m.eq(z, x), g, 0), m.switch(m.eq(z, y), g, 0)),
    'minimum': lambda m, x, y, z, g: (m.switch(m.eq(z, x), g, 0), m.switch(m.eq(z, y), g, 0)),
    'clip': lambda m, x, lo, hi, z, g: (m.switch(m.and_(m.ge(x, lo), m.le(x, hi)), g, 0),
                                        m.switch(m.lt(x, lo), g, 0), m.switch(m.gt(x, hi), g, 0)),
    'sqrt': lambda m, x, z, g: (m.true_div(m.mul(g, 0.5), z),),
    'exp': lambda m, x, z, g: (m.mul(g, z),),
    'exp2': lambda m, x, z, g: (m.mul(m.mul(g, z), math.log(2.0)),),
    'expm1': lambda m, x, z, g: (m.mul(g, m.add(z, 1)),),
    'log': lambda m, x, z, g: (m.true_div(g, x),),
    'log2': lambda m, x, z, g: (m.true_div(g, m.mul(x, math.log(2.0))),),
    'log10': lambda m, x, z, g: (m.true_div(g, m.mul(x, math.log(10.0))),),
    'log1p': lambda m, x, z, g: (m.true_div(g, m.add(x, 1)),),
    'sin': lambda m, x, z, g: (m.mul(g, m.cos(x)),),
    'cos': lambda m, x, z, g: (m.neg(m.mul(g, m.sin(x))),),
    'tan': lambda m, x, z, g: (m.mul(g, m.add(m.sqr(z), 1)),),
    'arcsin': lambda m, x, z, g: (m.true_div(g, m.sqrt(m.sub(1, m.sqr(x)))),),
    'arccos': lambda m, x, z, g: (m.neg(m.true_div(g, m.sqrt(m.sub(1, m.sqr(x))))),),
    'arctan': lambda m, x, z, g: (m.true_div(g, m.add(m.sqr(x), 1)),),
    'arctan2': lambda m, y, x, z, g: (m.true_div(m.mul(g, x), m.add(m.sqr(x), m.sqr(y))),
                                      m.neg(m.true_div(m.mul(g, y), m.add(m.sqr(x), m.sqr(y))))),
    'sinh': lambda m, x, z, g: (m.mul(g, m.cosh(x)),),
    'cosh': lambda m, x, z, g: (m.mul(g, m.sinh(x)),),
    'tanh': lambda m, x, z, g: (m.mul(g, m.sub(1, m.sqr(z))),),
    'arcsinh': lambda m, x, z, g: (m.true_div(g, m.sqrt(m.add(m.sqr(x), 1))),),
    'arccosh': lambda m, x, z, g: (m.true_div(g, m.sqrt(m.sub(m.sqr(x), 1))),),
    'arctanh': lambda m, x, z, g: (m.true_div(g, m.sub(1, m.sqr(x))),),
    'erf': lambda m, x, z, g: (m.mul(m.mul(g, 2 / _SQRT_PI), m.exp(m.neg(m.sqr(x)))),),
    'erfc': lambda m, x, z, g: (m.mul(m.mul(g, -2 / _SQRT_PI), m.exp(m.neg(m.sqr(x)))),),
    'erfinv': lambda m, x, z, g: (m.mul(m.mul(g, _SQRT_PI / 2), m.exp(m.sqr(z))),),
    'sigmoid': lambda m, x, z, g: (m.mul(m.mul(g, z), m.sub(1, z)),),
    'softplus': lambda m, x, z, g: (m.mul(g, m.sigmoid(x)),),
    'log1mexp': lambda m, x, z, g: (m.neg(m.true_div(g, m.expm1(m.neg(x)))),),
    'floor': _zero, 'ceil': _zero, 'trunc': _zero,
    'round_half_to_even': _zero, 'round_half_away_from_zero': _zero,
    'eq': _zero, 'neq': _zero, 'lt': _zero, 'le': _zero, 'gt': _zero, 'ge': _zero,
    'and_': _zero, 'or_': _zero, 'xor': _zero, 'invert': _zero, 'isnan': _zero, 'isinf': _zero,
    'switch': lambda m, c, a, b, z, g: (ZERO_GRAD, m.switch(c, g, 0), m.switch(c, 0, g)),
    'second': lambda m, a, b, z, g: (None, g),
    'identity': lambda m, x, z, g: (g,),
    'cast': lambda m, x, z, g: (g,),
}


def _with_derivatives(table):
    """The records, each given its line of _DERIVATIVES (special functions carry their own)."""
    return {name: replace(op, grad=_DERIVATIVES[name]) if op.grad is None and name in _DERIVATIVES else op
            for name, op in table.items()}


SCALAR_OPS = _with_derivatives(SCALAR_OPS)


def register_scalar_op(op):
    """Add a record (a plugin's or a test's own op); backends without a spelling for it
    compute it through `op.decompose`.  Returns the op."""
    if op.name in SCALAR_OPS and SCALAR_OPS[op.name] is not op:
        raise ValueError(f'a scalar op named {op.name!r} already exists')
    SCALAR_OPS[op.name] = op
    return op


def unregister_scalar_op(name):
    SCALAR_OPS.pop(name, None)


def expensive(op, compiled_loop=False):
    """Whether a backend should evaluate `op` over large arrays by NumPy ufuncs in
    threaded blocks.  A compiled loop vectorizes HEAVY ops itself; NumPy's single
    ufunc call does not thread them."""
    groups = getattr(op, 'groups', frozenset())
    return TRANSCENDENTAL in groups or (not compiled_loop and HEAVY in groups)


class Builder:
    """Writes a record's decomposition in a backend's own values.

    `apply(op, args)` computes one scalar op on the backend's values (arrays, Numba
    expressions, C++ expressions) and `const(value, like)` makes a constant of the
    float dtype of value `like`.  `b.<op name>(...)` applies the named op.
    """

    def __init__(self, apply, const):
        self._apply, self.const = apply, const

    def __getattr__(self, name):
        op = SCALAR_OPS.get(name)
        if op is None:
            raise AttributeError(f'no scalar op named {name!r}')
        return lambda *args: self._apply(op, args)


def spelled(op, table):
    """How a backend computes `op`: 'native' (in its table), 'decomposed' or None."""
    if op.name in table:
        return 'native'
    if op.decompose is not None and all(spelled(o, table) for o in _uses(op)):
        return 'decomposed'
    return None


def _uses(op):
    """The scalar ops a decomposition applies (found by running it with a recording builder)."""
    seen = []
    record = Builder(lambda o, args: seen.append(o) or 0.0, lambda value, like: 0.0)
    op.decompose(record, *([0.0] * op.nin))
    return seen


def coverage(table):
    """{'native': [...], 'decomposed': [...], 'missing': [...]} of every record, for a
    backend whose table is `table` (checked when the backend loads; `tracegraph
    backends --coverage` prints it)."""
    report = {'native': [], 'decomposed': [], 'missing': []}
    for name, op in sorted(SCALAR_OPS.items()):
        report[spelled(op, table) or 'missing'].append(name)
    return report


def cast_op(dtype):
    return ScalarOp('cast', 1, dtype=np.dtype(dtype).name, grad=_DERIVATIVES['cast'])


@dataclass(frozen=True)
class Composite:
    """Several scalar ops fused into one: a small straight-line program.

    `steps[k] = (scalar_op, args, dtype)` computes value `nin + k` from earlier
    values (inputs are values 0..nin-1); `outputs` lists the values returned.
    """

    in_dtypes: tuple
    steps: tuple
    outputs: tuple
    name = 'composite'
    rule = 'composite'
    infix = None

    @property
    def nin(self):
        return len(self.in_dtypes)

    @property
    def nout(self):
        return len(self.outputs)

    def output_dtypes(self):
        dtypes = list(self.in_dtypes) + [dtype for _, _, dtype in self.steps]
        return [dtypes[i] for i in self.outputs]

    def output_dtype(self, input_dtypes):
        return self.output_dtypes()[0]

    def input_dtype(self, input_dtypes):
        return None

    def __str__(self):
        names = [f'i{k}' for k in range(self.nin)]
        for op, args, _ in self.steps:
            names.append(f'{op}({", ".join(names[a] for a in args)})')
        return 'Composite{' + ', '.join(names[o] for o in self.outputs) + '}'
