"""Run-time checks written into generated code: `raise_if`, and those of Reshape, Alloc
and Join, in the graph function (not a shared kernel: the message names the node and
the user's line, which NumPy's do not).
"""
from __future__ import annotations

from .lowered import error_message


def raise_if(node, condition, error, what, in_kernel=False):
    """The lines raising `error` (NumPy's class) when `condition` holds, naming the op and
    the user's line (Numba's messages are constants: no values in them).  A kernel is
    shared by every node of its op and types, so its message names the op only."""
    message = f'{node.op}: {what}' if in_kernel else error_message(node, what)
    return [f'if {condition}:', f'    raise {error}({message!r})']


def reshape_check(node, size_expr, dims):
    """Lines raising ValueError unless an array of `size_expr` elements fits `dims`
    (expressions, one of which may be -1, as NumPy allows)."""
    wrong = (f'${{t}}_free > 1 or (${{t}}_free == 0 and ${{t}}_known != {size_expr}) or '
             f'(${{t}}_free == 1 and (${{t}}_known == 0 or {size_expr} % ${{t}}_known != 0))')
    return ['${t}_known = 1', '${t}_free = 0',
            *[line for d in dims for line in (f'if {d} == -1:', '    ${t}_free += 1',
                                              f'elif {d} < 0:', '    ${t}_free += 2',
                                              'else:', f'    ${{t}}_known *= {d}')],
            *raise_if(node, wrong, 'ValueError', "cannot reshape: the new shape's total size differs "
                      "from the input's size (or more than one dimension is -1)")]


def alloc_lines(node, dims, allocate, empty):
    """Lines that check `dims` are not negative, then run the `allocate` line (which
    sets ${o0}) and turn an allocation failure into a MemoryError naming the node.
    `empty` is an expression of an empty array of ${o0}'s type (Numba types ${o0}
    on every path)."""
    negative = ' or '.join(f'{d} < 0' for d in dims)
    return [*raise_if(node, negative, 'ValueError', 'negative dimensions are not allowed'),
            f'${{o0}} = {empty}', '${t}_failed = False', 'try:', f'    {allocate}',
            'except Exception:', '    ${t}_failed = True',
            *raise_if(node, '${t}_failed', 'MemoryError', 'cannot allocate the array (out of memory)')]


def join_check(node):
    """Lines raising ValueError unless every input's shape equals the first one's off the axis."""
    ndim = node.inputs[0].ndim
    axis = node.op.axis % ndim
    tests = [f'${{i{k}}}.shape[{d}] != ${{i0}}.shape[{d}]'
             for k in range(1, len(node.inputs)) for d in range(ndim) if d != axis]
    if not tests:
        return []
    return raise_if(node, ' or '.join(tests), 'ValueError',
                    f'all the input shapes must match except on axis {axis}')
