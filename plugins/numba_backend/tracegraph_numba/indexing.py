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

from tracegraph.tensor.subtensor import IN, IncSubtensor, Subtensor, format_index, index_shape

from . import callbacks
from .lowered import Lowered, error_message


def _parts(node, first_input):
    """The index as source text and the bounds checks it needs: (text, checks).

    A check is (integer expression, axis) for a bound, or (step expression, None)
    for a symbolic slice step that must not be zero."""
    names = [f'${{i{k}}}' for k in range(first_input, len(node.inputs))]
    symbolic, checks, axis = iter(names), [], 0
    for e in node.op.entries:
        if e[0] == 'int':
            checks.append((next(symbolic) if e[1] == IN else str(e[1]), axis))
        elif e[0] == 'array':
            next(symbolic)
        elif e[0] == 'slice':
            bounds = [next(symbolic) for p in e[1:] if p == IN]
            if e[3] == IN:
                checks.append((bounds[-1], None))
        if e[0] != 'newaxis':
            axis += 1
    return format_index(node.op.entries, names), checks


def _check_lines(node, checks, array='${i0}'):
    lines = []
    message = error_message(node, 'index out of bounds')
    for name, axis in checks:
        if axis is None:
            zero = error_message(node, 'slice step cannot be zero')
            lines += [f'if {name} == 0:', f'    raise ValueError({zero!r})']
            continue
        n = f'{array}.shape[{axis}]'
        lines += [f'if {name} < -{n} or {name} >= {n}:', f'    raise IndexError({message!r})']
    return lines


def _mask_check_lines(node, mask, axis, array='${i0}'):
    """A boolean mask must have the length of the axis it selects along (NumPy)."""
    message = error_message(node, 'boolean index did not match indexed array along axis '
                            f'{axis}')
    return [f'if {mask}.shape[0] != {array}.shape[{axis}]:', f'    raise IndexError({message!r})']


def _value_check_lines(node, value, selection):
    """`value` (a node input) must broadcast to the selection, whose axes are source
    expressions: NumPy's rule, right-aligned, each axis equal or 1."""
    y = node.inputs[1]
    if y.ndim == 0:
        return []
    message = error_message(node, 'shape mismatch: value array could not be broadcast to '
                            'indexing result')
    off = len(selection) - y.ndim
    tests = [f'({value}.shape[{k}] != 1 and {value}.shape[{k}] != {selection[off + k]})'
             for k in range(y.ndim) if y.type.shape[k] != 1]
    if not tests:
        return []
    return [f'if {" or ".join(tests)}:', f'    raise ValueError({message!r})']


def _array_check_lines(node, index, axis, array='${i0}'):
    """Bounds check for an integer index vector at `axis`."""
    message = error_message(node, 'index array out of bounds')
    n = f'{array}.shape[{axis}]'
    return [f'for ${{t}}_q in {index}:', f'    if ${{t}}_q < -{n} or ${{t}}_q >= {n}:',
            f'        raise IndexError({message!r})']


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


def _array_axis(entries):
    axis = 0
    for e in entries:
        if e[0] == 'array':
            return axis
        if e[0] != 'newaxis':
            axis += 1
    return None


def _subtensor(node):
    if not _native(node, 1):
        return callbacks.lower_numpy_indexing(node)
    parts, checks = _parts(node, 1)
    lines = _check_lines(node, checks)
    for j, v in enumerate(node.inputs[1:], start=1):
        if v.ndim == 1 and v.dtype == 'bool':
            lines += _mask_check_lines(node, f'${{i{j}}}', _array_axis(node.op.entries))
        elif v.ndim == 1:
            lines += _array_check_lines(node, f'${{i{j}}}', _array_axis(node.op.entries))
    lines.append(f'${{o0}} = ${{i0}}[{parts}]' if parts else '${o0} = ${i0}')
    return Lowered('\n'.join(lines))


def _incsubtensor(node):
    op = node.op
    arrays = [v for v in node.inputs[2:] if v.ndim > 0]
    parts, checks = _parts(node, 2)
    if arrays and not (len(op.entries) >= 1 and op.entries[0][0] == 'array' and len(arrays) == 1
                       and arrays[0].ndim == 1 and arrays[0].dtype != 'bool'
                       and all(e == ('slice', None, None, None) for e in op.entries[1:])):
        return callbacks.lower_numpy_indexing(node)
    lines = ['${o0} = ${i0}' if op.inplace else '${o0} = ${i0}.copy()']
    lines += _check_lines(node, checks, '${o0}')
    y = node.inputs[1]
    if not arrays:
        target = f'${{o0}}[{parts}]' if parts else '${o0}[...]'
        sel_ndim = len(index_shape(node.inputs[0].type.shape, op.entries, node.inputs[2:]))
        if sel_ndim and y.ndim:
            # A view of the selection gives its shape; the value is checked against it
            # before anything is written.
            lines.append(f'${{t}}_sel = {target}')
            lines += _value_check_lines(node, '${i1}', [f'${{t}}_sel.shape[{k}]'
                                                         for k in range(sel_ndim)])
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
    value_checks = _value_check_lines(node, '${i1}', selection)
    bound_checks = _array_check_lines(node, '${i2}', 0, '${o0}')
    lines += value_checks + bound_checks if op.set_instead_of_inc else bound_checks + value_checks
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
