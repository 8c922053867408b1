"""Indexing: Subtensor (x[...], basic and integer-array) and IncSubtensor (set/inc).

An index is stored in the op as a tuple of entries, one per position of the
Python index; constant parts live in the op (so shapes are known statically),
symbolic parts are inputs of the node, marked `IN`:

    ('int', k)                 x[k]            k an int or IN
    ('slice', start, stop, step)               each None, an int or IN
    ('newaxis',)               x[None]
    ('array',)                 x[idx]          idx an integer or boolean array (an input)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir import Apply, Op, Variable
from .basic import as_tensor_variable
from .elemwise import broadcast_shapes
from .type import TensorType
from .variable import TensorConstant, TensorVariable

IN = '$'


def parse_index(x, index):
    """Turn a Python index into (entries, symbolic inputs)."""
    if not isinstance(index, tuple):
        index = (index,)
    n_consuming = sum(1 for i in index if i is not None and i is not Ellipsis and not _is_bool_array(i)) + \
        sum(_bool_ndim(i) for i in index if _is_bool_array(i))
    if sum(1 for i in index if i is Ellipsis) > 1:
        raise IndexError('an index can only have one Ellipsis (...)')
    expanded = []
    for item in index:
        if item is Ellipsis:
            expanded.extend([slice(None)] * (x.ndim - n_consuming))
        else:
            expanded.append(item)
    entries, inputs = [], []
    for item in expanded:
        entries.append(_entry(item, inputs))
    consumed = sum(_consumes(e, inp) for e, inp in _with_inputs(entries, inputs))
    if consumed > x.ndim:
        raise IndexError(f'too many indices for {x}: {x.ndim} dimension(s), {consumed} indexed')
    return tuple(entries), inputs


def _is_bool_array(i):
    return (isinstance(i, TensorVariable) and i.dtype == 'bool' and i.ndim > 0) or \
        (isinstance(i, np.ndarray) and i.dtype == bool)


def _bool_ndim(i):
    return i.ndim


def _entry(item, inputs):
    if item is None:
        return ('newaxis',)
    if isinstance(item, slice):
        return ('slice',) + tuple(_part(p, inputs) for p in (item.start, item.stop, item.step))
    if isinstance(item, (bool, np.bool_)):
        raise IndexError('a boolean scalar is not a valid index')
    if isinstance(item, (int, np.integer)):
        return ('int', int(item))
    if isinstance(item, (list, np.ndarray)) or (isinstance(item, TensorVariable) and item.ndim > 0):
        arr = as_tensor_variable(item)
        if arr.dtype != 'bool' and np.dtype(arr.dtype).kind not in 'iu':
            raise IndexError(f'index arrays must be integer or boolean, got {arr.dtype} ({arr})')
        inputs.append(arr)
        return ('array',)
    if isinstance(item, Variable):
        v = as_tensor_variable(item)
        if np.dtype(v.dtype).kind not in 'iu':
            raise IndexError(f'index {v} must be an integer, got dtype {v.dtype}')
        inputs.append(v)
        return ('int', IN)
    raise IndexError(f'unsupported index {item!r}')


def _part(p, inputs):
    if p is None or isinstance(p, (int, np.integer)):
        return None if p is None else int(p)
    v = as_tensor_variable(p)
    if v.ndim != 0 or np.dtype(v.dtype).kind not in 'iu':
        raise IndexError(f'slice bounds must be integer scalars, got {v} ({v.type})')
    if isinstance(v, TensorConstant):
        return int(v.data)
    inputs.append(v)
    return IN


def _with_inputs(entries, inputs):
    """Pair each entry with the symbolic inputs it reads."""
    it = iter(inputs)
    for e in entries:
        n = _n_inputs(e)
        yield e, [next(it) for _ in range(n)]


def _n_inputs(e):
    if e[0] == 'array':
        return 1
    return sum(1 for p in e[1:] if p == IN)


def _consumes(entry, inputs):
    if entry[0] == 'newaxis':
        return 0
    if entry[0] == 'array' and inputs[0].dtype == 'bool':
        return inputs[0].ndim
    return 1


def _slice_length(entry, length):
    start, stop, step = entry[1:]
    if step == 0:   # a constant zero step is refused when the graph is built
        raise ValueError('slice step cannot be zero')
    if IN in (start, stop, step):
        return None
    if length is None:
        if step in (None, 1) and start is not None and stop is not None and 0 <= start <= stop:
            return None
        return None
    return len(range(*slice(start, stop, step).indices(length)))


def index_shape(x_shape, entries, inputs):
    """The static shape of x[index], following NumPy's basic and advanced rules."""
    pairs = list(_with_inputs(entries, inputs))
    has_array = any(e[0] == 'array' for e, _ in pairs)
    parts, adv_shapes, adv_at, axis = [], [], [], 0
    for pos, (e, ins) in enumerate(pairs):
        kind = e[0]
        if kind == 'newaxis':
            parts.append((1,))
        elif kind == 'int' and not has_array:
            if e[1] != IN and x_shape[axis] is not None and not -x_shape[axis] <= e[1] < x_shape[axis]:
                raise IndexError(f'index {e[1]} is out of bounds for axis {axis} with size {x_shape[axis]}')
            axis += 1
        elif kind == 'slice':
            parts.append((_slice_length(e, x_shape[axis]),))
            axis += 1
        else:  # an advanced index: array, or int among arrays
            if kind == 'int':
                adv_shapes.append(())
                axis += 1
            elif ins[0].dtype == 'bool':
                adv_shapes.append((None,))
                axis += ins[0].ndim
            else:
                adv_shapes.append(ins[0].type.shape)
                axis += 1
            adv_at.append(len(parts))
            parts.append(None)
    parts.extend((s,) for s in x_shape[axis:])
    if not adv_shapes:
        return tuple(d for p in parts for d in p)
    nd = max(len(s) for s in adv_shapes)
    bshape = broadcast_shapes([(1,) * (nd - len(s)) + tuple(s) for s in adv_shapes], 'index arrays')
    adjacent = adv_at == list(range(adv_at[0], adv_at[0] + len(adv_at)))
    basic = [p for p in parts if p is not None]
    if adjacent:
        before = [d for p in parts[:adv_at[0]] for d in p]
        after = [d for p in parts[adv_at[-1] + 1:] if p is not None for d in p]
        return tuple(before) + bshape + tuple(after)
    return bshape + tuple(d for p in basic for d in p)


def index_tuple(entries, parts, as_int=int):
    """The Python index that `entries` stand for, given the run-time values of the
    node's symbolic `parts` in order: integer positions and slice bounds become Python
    ints through `as_int`, index arrays are taken as they are."""
    it = iter(parts)
    index = []
    for e in entries:
        if e[0] == 'newaxis':
            index.append(None)
        elif e[0] == 'int':
            index.append(as_int(next(it)) if e[1] == IN else e[1])
        elif e[0] == 'array':
            index.append(next(it))
        else:
            index.append(slice(*(as_int(next(it)) if p == IN else p for p in e[1:])))
    return tuple(index)


def format_index(entries, names):
    """`[1:n, i]`-style text of an index, given names for its symbolic inputs."""
    return ', '.join(_index_text(item) for item in index_tuple(entries, names, as_int=str))


def _index_text(item):
    """How one item of an index prints: `None`, `i`, `1:n`, `::2`."""
    if item is None:
        return 'None'
    if not isinstance(item, slice):
        return str(item)
    start, stop, step = ('' if p is None else str(p) for p in (item.start, item.stop, item.step))
    return f'{start}:{stop}' + (f':{step}' if step else '')


@dataclass(frozen=True)
class Subtensor(Op):
    """x[index]: basic slicing and integer/boolean array indexing, NumPy semantics."""

    entries: tuple

    def make_node(self, x, *inputs):
        x = as_tensor_variable(x)
        inputs = [as_tensor_variable(i) for i in inputs]
        shape = index_shape(x.type.shape, self.entries, inputs)
        return Apply(self, [x] + inputs, [TensorType(x.dtype, shape)()])

    @property
    def is_basic(self):
        return all(e[0] != 'array' for e in self.entries)

    def __str__(self):
        return f'Subtensor{{{format_index(self.entries, ["?"] * 99)}}}'

    def connection_pattern(self, node):
        return [True] + [False] * (len(node.inputs) - 1)

    def grad(self, inputs, output_grads):
        # Scatter g into zeros; repeated indices accumulate (IncSubtensor adds at repeats).
        from . import math as m
        x, idx = inputs[0], inputs[1:]
        return [IncSubtensor(self.entries)(m.zeros_like(x), output_grads[0], *idx)] + [None] * len(idx)


@dataclass(frozen=True)
class IncSubtensor(Op):
    """A copy of x with x[index] set to y (`set_instead_of_inc`) or increased by y.

    Increments at repeated integer indices accumulate (numpy.add.at semantics).
    """

    entries: tuple
    set_instead_of_inc: bool = False
    inplace: bool = False

    def make_node(self, x, y, *inputs):
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        inputs = [as_tensor_variable(i) for i in inputs]
        target = index_shape(x.type.shape, self.entries, inputs)
        if y.ndim > len(target):
            raise ValueError(f'cannot {self._verb} a {y.ndim}-d value into a {len(target)}-d selection of {x}')
        broadcast_shapes([target, (1,) * (len(target) - y.ndim) + y.type.shape], self._verb + '_subtensor')
        return Apply(self, [x, y] + inputs, [x.type()])

    @property
    def _verb(self):
        return 'set' if self.set_instead_of_inc else 'inc'

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def connection_pattern(self, node):
        return [True, True] + [False] * (len(node.inputs) - 2)

    def grad(self, inputs, output_grads):
        # x keeps g except where it was overwritten; y gets g's selection, summed back
        # over the axes along which y was broadcast into it.
        from . import math as m
        from .basic import constant
        (x, y), idx, (g,) = inputs[:2], inputs[2:], output_grads
        gx = g
        if self.set_instead_of_inc:
            gx = IncSubtensor(self.entries, True)(g, constant(np.zeros((), g.dtype)), *idx)
        gy = m.sum_to(Subtensor(self.entries)(g, *idx), y)
        return [gx, gy] + [None] * len(idx)

    def __str__(self):
        return f'{"Set" if self.set_instead_of_inc else "Inc"}Subtensor{{{format_index(self.entries, ["?"] * 99)}}}'


def getitem(x, index):
    if isinstance(index, list) and any(isinstance(i, slice) or i is None or i is Ellipsis for i in index):
        index = tuple(index)  # Theano (and NumPy < 1.23) read such a list as a tuple: x[[slice(0, 2), 1]]
    from .shape_index import missing_shape_entry
    missing = missing_shape_entry(x, index)  # vector.shape[1] builds, fails when run (Theano)
    if missing is not None:
        return missing
    entries, inputs = parse_index(x, index)
    if all(e == ('slice', None, None, None) for e in entries):
        return x
    return Subtensor(entries)(x, *inputs)


def _split_subtensor(sub):
    node = sub.owner
    if node is None or not isinstance(node.op, Subtensor):
        raise TypeError(f'set_subtensor/inc_subtensor take a subtensor such as x[1:3], got {sub}')
    return node.op.entries, node.inputs[0], node.inputs[1:]


def set_subtensor(sub, y, inplace=False, tolerate_inplace_aliasing=False):
    """`T.set_subtensor(x[i], y)`: a copy of x with x[i] replaced by y."""
    entries, x, inputs = _split_subtensor(sub)
    return IncSubtensor(entries, True)(x, _cast_like(y, x), *inputs)


def inc_subtensor(sub, y, inplace=False, set_instead_of_inc=False, tolerate_inplace_aliasing=False,
                  ignore_duplicates=False):
    """`T.inc_subtensor(x[i], y)`: a copy of x with y added at x[i] (repeats accumulate)."""
    entries, x, inputs = _split_subtensor(sub)
    return IncSubtensor(entries, bool(set_instead_of_inc))(x, _cast_like(y, x), *inputs)


def _cast_like(y, x):
    y = as_tensor_variable(y)
    if y.dtype == x.dtype:
        return y
    from .elemwise import _adopt
    if getattr(y, 'weak', None) is not None:
        return _adopt(y, x.dtype)
    if not np.can_cast(y.dtype, x.dtype, 'same_kind'):
        raise TypeError(f'cannot write {y.dtype} values ({y}) into {x.dtype} tensor {x}')
    from .math import cast
    return cast(y, x.dtype)
