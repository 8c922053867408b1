"""Canonical forms: sums and products flattened with their constants gathered on one
side, `x - x`, `x * 1`, `x + 0`, `--x`, `x ** 2` to `sqr`, constant conditions.

Sums and products are binary Elemwise nodes; a tree of them whose inner nodes have a
single reader is read as one list of signed terms (or factors with exponent +-1),
simplified, and rebuilt as a chain with the constant last.  The tree is rebuilt
only when something simplifies, so the rewrite reaches a fixed point.
"""
from __future__ import annotations

import numpy as np

from ...ir.rewrite_table import register
from ...tensor.elemwise import DimShuffle
from ..patterns import (const_value, constant_like, covers, is_op, make, ops, replacing, scalar_name,
                        single_reader)

_ADDITIVE = {'add': (1, 1), 'sub': (1, -1)}
_MULTIPLICATIVE = {'mul': (1, 1), 'true_div': (1, -1)}
MAX_TERMS = 64


def _gather(fgraph, root, table, negate):
    """Signed leaves of the tree under `root`, and how many sign-only nodes were absorbed."""
    dtype = root.outputs[0].dtype
    leaves, absorbed = [], 0
    if root.op.scalar_op.name == 'neg':
        stack, absorbed = [(root.inputs[0], negate(1))], 1
    else:
        stack = [(root.inputs[0], table[root.op.scalar_op.name][0]),
                 (root.inputs[1], table[root.op.scalar_op.name][1])]
    while stack:
        v, sign = stack.pop()
        name = scalar_name(v)
        inner_ok = v.dtype == dtype and single_reader(fgraph, v) and len(leaves) + len(stack) < MAX_TERMS
        if inner_ok and name in table:
            a, b = table[name]
            stack.extend([(v.owner.inputs[0], sign * a), (v.owner.inputs[1], sign * b)])
        elif inner_ok and name == 'neg':
            stack.append((v.owner.inputs[0], negate(sign)))
            absorbed += 1
        else:
            leaves.append((sign, v))
    leaves.reverse()
    return leaves, absorbed


def _cancel(terms):
    """Drop pairs (x, +) and (x, -); returns (kept, cancelled variables)."""
    kept, cancelled = list(terms), []
    for sign, v in terms:
        if (sign, v) in kept and (-sign, v) in kept:
            kept.remove((sign, v))
            kept.remove((-sign, v))
            cancelled.append(v)
    return kept, cancelled


def _keep_shape(result, out, dropped):
    """Make sure dropping `dropped` variables did not shrink the broadcast shape."""
    for v in dropped:
        if not covers(result, v):
            result = make('second', v, result)
    return result


def _rebuilt(out, result, leaves, cancelled):
    """Replace `out` by the rebuilt sum or product `result`, keeping the broadcast shape
    of the leaves it dropped (the cancelled ones and the gathered constants)."""
    const_vars = [v for s, v in leaves if const_value(v) is not None]
    return replacing(out, _keep_shape(result, out, cancelled + const_vars))


@register('canonical_add', phase='canonicalize', tracks=ops('add', 'sub', 'neg'), fast_compile=True)
def canonical_add(fgraph, node):
    """a + (b - a) + 1 + 2 -> b + 3;  x - x -> 0;  x + 0 -> x;  a - (-b) -> a + b;
    -(a - b) -> b - a."""
    name = scalar_name(node.outputs[0])
    if name not in _ADDITIVE and name != 'neg' or node.outputs[0].dtype == 'bool':
        return None
    if name == 'neg' and scalar_name(node.inputs[0]) not in ('add', 'sub', 'neg'):
        return None  # -x alone is already canonical
    out = node.outputs[0]
    leaves, absorbed = _gather(fgraph, node, _ADDITIVE, lambda s: -s)
    consts = [(s, const_value(v)) for s, v in leaves if const_value(v) is not None]
    terms = [(s, v) for s, v in leaves if const_value(v) is None]
    terms, cancelled = _cancel(terms)
    total = sum(s * c for s, c in consts) if consts else 0
    useless_zero = consts and total == 0 and terms
    # The rebuilt sum keeps one negation when it has no positive term: not progress.
    kept_negations = 0 if any(s > 0 for s, _ in terms) or total != 0 else 1
    if not (len(consts) >= 2 or useless_zero or cancelled or absorbed > kept_negations):
        return None
    return _rebuilt(out, _rebuild_sum(terms, total, out.dtype), leaves, cancelled)


def _rebuild_sum(terms, total, dtype):
    plus = [v for s, v in terms if s > 0]
    minus = [v for s, v in terms if s < 0]
    if plus:
        result = plus[0]
        for v in plus[1:]:
            result = make('add', result, v)
    elif total != 0:
        # c - x, not -x + c: a sum with a constant never keeps a negation, or the next
        # pass would absorb it again and the rewrite would fire without end.
        result, total = constant_like(total, dtype), 0
    elif minus:
        result = make('neg', minus.pop(0))
    else:
        return constant_like(total, dtype)
    for v in minus:
        result = make('sub', result, v)
    if total != 0:
        result = make('add', result, constant_like(total, dtype))
    return result


@register('canonical_mul', phase='canonicalize', tracks=ops('mul', 'true_div'), fast_compile=True)
def canonical_mul(fgraph, node):
    """2 * (x * 3) -> 6 * x;  x * 1 -> x;  (-x) * y -> -(x * y);  x / x -> 1 (x nonzero)."""
    name = scalar_name(node.outputs[0])
    out = node.outputs[0]
    if name not in _MULTIPLICATIVE or out.dtype == 'bool' or out.dtype != node.inputs[0].dtype \
            or out.dtype != node.inputs[1].dtype:
        return None
    leaves, absorbed = _gather(fgraph, node, _MULTIPLICATIVE, lambda s: s)
    negations = absorbed
    consts = [(s, const_value(v)) for s, v in leaves if const_value(v) is not None]
    factors = [(s, v) for s, v in leaves if const_value(v) is None]
    nonzero = [(s, v) for s, v in factors if _nonzero(v)]
    others = [(s, v) for s, v in factors if not _nonzero(v)]
    nonzero, cancelled = _cancel(nonzero)
    factors = others + nonzero
    if len(consts) < 2 and not absorbed and not cancelled and \
            not (consts and consts[0][1] in (1, -1)):
        return None  # the common case, decided before any arithmetic
    value = _product(consts, out.dtype)
    if value is None:
        return None
    if negations % 2:
        value = -value
    has_plus = any(s > 0 for s, _ in factors)
    useless_one = consts and value == 1 and has_plus
    if not (len(consts) >= 2 or useless_one or cancelled or absorbed
            or (consts and value == -1 and has_plus)):
        return None
    return _rebuilt(out, _rebuild_product(factors, value, out.dtype), leaves, cancelled)


def _product(consts, dtype):
    value = np.ones((), dtype=dtype)
    with np.errstate(all='ignore'):
        for s, c in consts:
            if s < 0 and (np.dtype(dtype).kind not in 'fc' or c == 0):
                return None  # an exact integer or a 1/0 stays where it is
            value = value * np.asarray(c, dtype=dtype) if s > 0 else value / np.asarray(c, dtype=dtype)
    return value.astype(dtype)[()]


def _rebuild_product(factors, value, dtype):
    num = [v for s, v in factors if s > 0]
    den = [v for s, v in factors if s < 0]
    result = None
    for v in num:
        result = v if result is None else make('mul', result, v)
    if den:
        divisor = den[0]
        for v in den[1:]:
            divisor = make('mul', divisor, v)
        if result is None:
            # c / d, not c * (1 / d): the next pass would gather two constants again and
            # the rewrite would fire without end.
            result, value = constant_like(value, dtype), 1
        result = make('true_div', result, divisor)
    if result is None:
        return constant_like(value, dtype)
    if value == -1:
        return make('neg', result)
    if value != 1:
        result = make('mul', constant_like(value, dtype), result)
    return result


_POSITIVE = {'exp', 'exp2', 'cosh', 'sigmoid', 'softplus'}


def _nonzero(v):
    """True when v can never be zero (so x / x is exactly 1)."""
    if is_op(v, 'sqr') or is_op(v, 'abs'):
        return False
    c = const_value(v)
    return (c is not None and c != 0) or scalar_name(v) in _POSITIVE and v.dtype == 'float64'


@register('double_negation', phase='canonicalize', tracks=ops('neg'), fast_compile=True)
def double_negation(fgraph, node):
    """--x -> x."""
    out = node.outputs[0]
    if is_op(out, 'neg') and is_op(node.inputs[0], 'neg'):
        return replacing(out, node.inputs[0].owner.inputs[0])
    return None


_POWERS = {1: None, 2: 'sqr', 0.5: 'sqrt'}


@register('pow_specialize', phase='canonicalize', tracks=ops('pow'), fast_compile=True)
def pow_specialize(fgraph, node):
    """x ** 2 -> sqr(x);  x ** 1 -> x;  x ** 0.5 -> sqrt(x);  x ** -1 -> 1 / x."""
    out = node.outputs[0]
    if not is_op(out, 'pow'):
        return None
    base, exponent = node.inputs
    c = const_value(exponent)
    if c is None or not covers(base, exponent):
        return None
    if c in _POWERS:
        new = base if _POWERS[c] is None else make(_POWERS[c], base)
    elif c == -1 and np.dtype(out.dtype).kind in 'fc':
        new = make('true_div', constant_like(1, out.dtype), base)
    else:
        return None
    return replacing(out, new)


@register('constant_switch', phase='canonicalize', tracks=ops('switch'), fast_compile=True)
def constant_switch(fgraph, node):
    """switch(True, a, b) -> a: the branch not taken is dead code."""
    out = node.outputs[0]
    if not is_op(out, 'switch'):
        return None
    c = const_value(node.inputs[0])
    if c is None:
        return None
    kept, dropped = (node.inputs[1], node.inputs[2]) if c else (node.inputs[2], node.inputs[1])
    return replacing(out, _keep_shape(kept, out, [dropped, node.inputs[0]]))


@register('idempotent', phase='canonicalize', tracks=ops('maximum', 'minimum', 'and_', 'or_'), fast_compile=True)
def idempotent(fgraph, node):
    """maximum(x, x) -> x;  minimum(x, x) -> x;  x & x -> x;  x | x -> x."""
    out = node.outputs[0]
    if scalar_name(out) in ('maximum', 'minimum', 'and_', 'or_') and node.inputs[0] is node.inputs[1]:
        return replacing(out, node.inputs[0])
    return None


@register('dimshuffle_merge', phase='canonicalize', tracks=(DimShuffle,), fast_compile=True)
def dimshuffle_merge(fgraph, node):
    """Two DimShuffles in a row become one (or none, when they undo each other)."""
    out = node.outputs[0]
    inner = node.inputs[0]
    if inner.owner is None or not isinstance(inner.owner.op, DimShuffle):
        return None
    first = inner.owner.op.new_order
    order = tuple('x' if a == 'x' else first[a] for a in node.op.new_order)
    source = inner.owner.inputs[0]
    new = source if order == tuple(range(source.ndim)) else DimShuffle(source.ndim, order)(source)
    return replacing(out, new)
