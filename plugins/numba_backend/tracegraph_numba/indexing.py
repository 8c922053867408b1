"""Subtensor and IncSubtensor in Numba.

Basic indexing and one integer or boolean index vector are Numba's own indexing;
`inc_subtensor` at an integer vector is a loop, so repeated indices accumulate as
`numpy.add.at` does.  Patterns Numba cannot express (several index arrays, 2+-d
ones) call NumPy's indexing back through objmode, chosen from the static entries.
Numba checks nothing, so every bound, mask length, zero step and value shape is
checked first, with NumPy's error classes and order (`index_check.py` is the same
contract in Python): a bad index never touches memory and leaves arrays unchanged.
"""
from __future__ import annotations

from tracegraph.tensor.subtensor import (IN, IncSubtensor, Subtensor, format_index, index_shape,
                                         index_tuple)

from . import callbacks
from .lowered import Lowered, indent
from .shape_checks import raise_if


def _checked_index(node, first_input, array='${i0}'):
    """The index as source text, the lines checking each integer's bound and each symbolic
    slice step against `array` in the entries' order, and the lines checking the index
    vector (none without one), which NumPy checks after the rest."""
    names = [f'${{i{k}}}' for k in range(first_input, len(node.inputs))]
    # An index vector comes back as its input's position, a symbolic integer as its name.
    items = index_tuple(node.op.entries, range(first_input, len(node.inputs)),
                        as_int=lambda k: f'${{i{k}}}')
    checks, vector, axis = [], [], 0
    for entry, item in zip(node.op.entries, items):
        n = f'{array}.shape[{axis}]'
        if entry[0] == 'int':
            checks += raise_if(node, f'{item} < -{n} or {item} >= {n}', 'IndexError',
                                'index out of bounds')
        elif entry[0] == 'slice' and entry[3] == IN:
            checks += raise_if(node, f'{item.step} == 0', 'ValueError', 'slice step cannot be zero')
        elif entry[0] == 'array' and node.inputs[item].ndim == 1:
            vector = _vector_check_lines(node, item, axis, array)
        axis += entry[0] != 'newaxis'
    return format_index(node.op.entries, names), checks, vector


def _vector_check_lines(node, k, axis, array):
    """Input k, a 1-d index at `axis`: a mask must have the axis's length (NumPy), an
    integer vector every entry in bounds."""
    n = f'{array}.shape[{axis}]'
    if node.inputs[k].dtype == 'bool':
        return raise_if(node, f'${{i{k}}}.shape[0] != {n}', 'IndexError',
                         f'boolean index did not match indexed array along axis {axis}')
    bound = raise_if(node, f'${{t}}_q < -{n} or ${{t}}_q >= {n}', 'IndexError', 'index array out of bounds')
    return [f'for ${{t}}_q in ${{i{k}}}:', *indent(bound)]


def _value_check_lines(node, selection):
    """The value (input 1) must broadcast to the selection, whose axes are source
    expressions: NumPy's rule, right-aligned, each axis equal or 1."""
    y = node.inputs[1]
    off = len(selection) - y.ndim
    tests = [f'(${{i1}}.shape[{k}] != 1 and ${{i1}}.shape[{k}] != {selection[off + k]})'
             for k in range(y.ndim) if y.type.shape[k] != 1]
    if not tests:
        return []
    return raise_if(node, ' or '.join(tests), 'ValueError',
                     'shape mismatch: value array could not be broadcast to indexing result')


def _native(node, first_input):
    """Whether Numba indexes this pattern itself: at most one 1-d index vector."""
    arrays = [v for v in node.inputs[first_input:] if v.ndim > 0]
    if not arrays:
        return True
    if len(arrays) > 1 or arrays[0].ndim != 1:
        return False
    if arrays[0].dtype == 'bool' and node.inputs[0].ndim != 1:
        return False
    # Numba allows its one advanced index among slices, not among ints or newaxis.
    return all(e[0] in ('array', 'slice') for e in node.op.entries)


def _subtensor(node):
    if not _native(node, 1):
        return callbacks.objmode_call(node, 'call_numpy_indexing')
    index, checks, vector = _checked_index(node, 1)
    read = f'${{o0}} = ${{i0}}[{index}]' if index else '${o0} = ${i0}'
    if _rows_at_vector(node.op, node.inputs[1:]):
        read = '${o0} = nb_take_rows(${i0}, ${i1})'
    return Lowered('\n'.join(checks + vector + [read]))


def _rows_at_vector(op, indices):
    """Whether the index is x[idx] or x[idx, :, ...] with one integer vector idx."""
    return (len(indices) == 1 and indices[0].ndim == 1 and indices[0].dtype != 'bool'
            and op.entries[0][0] == 'array' and all(e == ('slice', None, None, None) for e in op.entries[1:]))


def _incsubtensor(node):
    op = node.op
    arrays = [v for v in node.inputs[2:] if v.ndim > 0]
    if arrays and not _rows_at_vector(op, arrays):
        return callbacks.objmode_call(node, 'call_numpy_indexing')
    index, checks, vector = _checked_index(node, 2, '${o0}')
    lines = ['${o0} = ${i0}' if op.inplace else '${o0} = nb_copy(${i0})'] + checks
    y = node.inputs[1]
    if not arrays:
        target = f'${{o0}}[{index}]' if index else '${o0}[...]'
        sel_ndim = len(index_shape(node.inputs[0].type.shape, op.entries, node.inputs[2:]))
        if sel_ndim and y.ndim:
            # A view of the selection gives its shape; the value is checked against it
            # before anything is written.
            lines.append(f'${{t}}_sel = {target}')
            lines += _value_check_lines(node, [f'${{t}}_sel.shape[{k}]' for k in range(sel_ndim)])
            target = '${t}_sel[...]' if op.set_instead_of_inc else '${t}_sel'
        if node.outputs[0].ndim == 0:
            lines.append('${o0} = ${i1}' if op.set_instead_of_inc else '${o0} = ${i0} + ${i1}')
        else:
            lines.append(f'{target} {"=" if op.set_instead_of_inc else "+="} ${{i1}}')
        return Lowered('\n'.join(lines))
    # x[idx] op= y for an integer vector idx: one row at a time, so repeats accumulate.
    # NumPy checks the value first for `x[idx] = y`, the bounds first for add.at.
    sel_ndim = node.outputs[0].ndim   # idx picks rows: the selection has x's rank
    selection = ['${i2}.shape[0]'] + [f'${{o0}}.shape[{k}]' for k in range(1, sel_ndim)]
    value = _value_check_lines(node, selection)
    lines += value + vector if op.set_instead_of_inc else vector + value
    if y.ndim < sel_ndim:   # a scalar, or one row for every index
        row = '${i1}'
    else:
        lines.append('${t}_ystep = 1 if ${i1}.shape[0] != 1 else 0')
        row = '${i1}[${t}_k * ${t}_ystep]'
    lines.append('for ${t}_k in range(${i2}.shape[0]):')
    lines.append(f'    ${{o0}}[${{i2}}[${{t}}_k]] {"=" if op.set_instead_of_inc else "+="} {row}')
    return Lowered('\n'.join(lines))


def register(lowers):
    lowers(Subtensor)(_subtensor)
    lowers(IncSubtensor)(_incsubtensor)
