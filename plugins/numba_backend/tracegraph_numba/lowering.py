"""How the Numba backend writes each structural op: a registry from op class to a
function of the node that returns a `Lowered` template (see lowered.py).

Elementwise ops live in elemwise.py, indexing in indexing.py; ops that bring a
Python `perform` method (Theano's "Creating a new Op") are called back through
`numba.objmode` (callbacks.py).
"""
from __future__ import annotations

import string

import numpy as np

from tracegraph.backends import LoweringTable
from tracegraph.ifelse import IfElse
from tracegraph.tensor.dot import Dot
from tracegraph.tensor.elemwise import DimShuffle, Elemwise
from tracegraph.tensor.linalg import LinalgOp
from tracegraph.tensor.nnet.abstract_conv import BaseAbstractConv
from tracegraph.tensor.reduce import ArgReduce, CAReduce
from tracegraph.tensor.shape_ops import (Alloc, ARange, CumOp, Eye, Join, MakeVector,
                                        Reshape, Shape)

from . import callbacks, extra_ops, indexing, pool
from .elemwise import lower_elemwise
from .linalg import lower_linalg
from .lowered import Lowered, if_else, kernel, kernel_call, loop_nest, params
from .scalar_source import cast, literal, np_type
from .shape_checks import alloc_lines, join_check, raise_if, reshape_check

LOWERINGS = LoweringTable(perform=callbacks.lower_perform)
lowers = LOWERINGS.register
lower_node = LOWERINGS.lower


def _lines(*lines):
    return Lowered('\n'.join(lines))


def _kernel(node, *lines, preamble=''):
    """Lines (over ${i0}.., ${o0}..) moved into a shared kernel; the graph calls it."""
    n_in, n_out = len(node.inputs), len(node.outputs)
    mapping = {'t': 't', **{f'i{k}': f'a{k}' for k in range(n_in)}, **{f'o{k}': f'o{k}' for k in range(n_out)}}
    body = string.Template('\n'.join(lines)).substitute(mapping).splitlines()
    outs = ', '.join(f'o{k}' for k in range(n_out))
    return kernel_call(node, kernel(params(node), body + [f'return {outs},'], preamble))


def _shape_tuple(names):
    return '(' + ', '.join(names) + (',)' if len(names) == 1 else ')')


def _loops(shape_expr, axes, body):
    """`body` inside a loop over each of `axes` (index i<axis>, length `shape_expr[axis]`)."""
    return loop_nest([(f'i{a}', f'{shape_expr}[{a}]') for a in axes], body)


lowers(Elemwise)(lower_elemwise)


@lowers(DimShuffle)
def _dimshuffle(node):
    op = node.op
    kept = [a for a in range(op.input_ndim) if a not in op.drop]
    if not kept:
        # A scalar inside compiled code (every axis dropped), boxed again if axes are added.
        first = f'${{i0}}[{", ".join(["0"] * op.input_ndim)}]' if op.input_ndim else '${i0}'
        if not op.new_order:
            return _lines(f'${{o0}} = {first}')
        return _lines(f'${{o0}} = np.full({_shape_tuple(["1"] * len(op.new_order))}, {first})')
    expr = '${i0}'
    if op.drop:
        index = ', '.join('0' if a in op.drop else ':' for a in range(op.input_ndim))
        expr = f'{expr}[{index}]'
    order = [kept.index(a) for a in op.new_order if a != 'x']
    if order != sorted(order):
        # `.T` keeps Numba's layout exact (C <-> F), which lets dot use BLAS directly.
        expr = f'{expr}.T' if order == [1, 0] else f'np.transpose({expr}, {tuple(order)})'
    if 'x' in op.new_order:
        index = ', '.join('None' if a == 'x' else ':' for a in op.new_order)
        expr = f'{expr}[{index}]'
    return _lines(f'${{o0}} = {expr}')


_IDENTITY = {'add': 0, 'mul': 1, 'and_': True, 'or_': False}


_COMBINE = {'add': '{0} + {1}', 'mul': '{0} * {1}', 'maximum': 'nb_maximum({0}, {1})',
            'minimum': 'nb_minimum({0}, {1})', 'and_': '{0} & {1}', 'or_': '{0} | {1}'}


@lowers(CAReduce)
def _careduce(node):
    op = node.op
    x = node.inputs[0]
    if x.ndim == 0:
        return _lines(f'${{o0}} = {cast("${i0}", x.dtype, op.dtype)}')
    if op.reducer in _DECIDED and len(op.axes) == x.ndim:
        return _kernel(node, *if_else('${i0}.flags.c_contiguous', _decided_early(node), _serial_careduce(node)))
    if not _row_reduction_applies(op, x):
        return _numpy_when_large(node, _kernel(node, *_serial_careduce(node)))
    strided = _pairwise_strided(node) if op.reducer == 'add' else _serial_careduce(node)
    rows = _kernel(node, *if_else('${i0}.flags.c_contiguous', _row_careduce(node), strided),
                   preamble='from tracegraph_numba.pairwise import pairwise_sum, pairwise_sum_strided\n'
                            'from tracegraph_numba.extrema import row_max, row_min\n')
    return _numpy_when_large(node, rows, unless='${i0}.flags.c_contiguous')


def _serial_careduce(node):
    """Lines folding the input into the output one element at a time, in C order."""
    op = node.op
    x = node.inputs[0]
    dtype = op.dtype
    value = cast(f'${{i0}}[{", ".join(f"i{k}" for k in range(x.ndim))}]', x.dtype, dtype)
    out_axes = [a for a in range(x.ndim) if a not in op.axes]
    if op.reducer in _IDENTITY:
        start = _filled(out_axes, literal(_IDENTITY[op.reducer], dtype))
    else:
        # No identity: start from the first element, as NumPy does.
        first = '${i0}[' + ', '.join(':' if a not in op.axes else '0' for a in range(x.ndim)) + ']'
        # A copy, not `o0[...] = x[first]`: Numba's array assignment brings its
        # shape-mismatch message, whose string formatting compiled ~2 s per process.
        start = f'{first}.astype({np_type(dtype)})' if out_axes else cast(first, x.dtype, dtype)
    lines = _refuse_empty(node)
    return lines + _accumulate(out_axes, start, x.ndim, '${i0}.shape', lambda acc: _COMBINE[op.reducer].format(acc, value))


# any stops at its first True and all at its first False, checked after each block;
# the block is a slice so that its loop, counted from 0, vectorizes (counted from the
# block's start it took 3.3 ms on 8 x 10^6 booleans, against 0.09 as a slice).
_DECIDED = {'or_': '${t}_acc', 'and_': 'not ${t}_acc'}
_BLOCK = 4096


def _decided_early(node):
    """Lines reducing a C-contiguous input to one boolean, stopping once it is decided."""
    op = node.op
    value = cast('${t}_block[i0]', node.inputs[0].dtype, op.dtype)
    return ['${t}_flat = ${i0}.reshape(-1)', '${t}_acc = ' + literal(_IDENTITY[op.reducer], op.dtype),
            f'for ${{t}}_start in range(0, ${{t}}_flat.shape[0], {_BLOCK}):',
            f'    ${{t}}_block = ${{t}}_flat[${{t}}_start:${{t}}_start + {_BLOCK}]',
            '    for i0 in range(${t}_block.shape[0]):',
            '        ${t}_acc = ' + _COMBINE[op.reducer].format('${t}_acc', value),
            f'    if {_DECIDED[op.reducer]}:', '        break',
            '${o0} = ${t}_acc']


def _refuse_empty(node):
    """A reduction without identity (max, min) refuses empty input, as NumPy's does."""
    op = node.op
    if op.reducer in _IDENTITY:
        return []
    size = ' * '.join(f'${{i0}}.shape[{a}]' for a in op.axes)
    return raise_if(node, f'{size} == 0', 'ValueError',
                    f'zero-size array to reduction operation {op.reducer} which has no identity', in_kernel=True)


# Float rows reduce on SIMD as NumPy's do: sums pairwise in NumPy's order (pairwise.py),
# max and min by compare-and-select in vector lanes (extrema.py).  The value a row adds
# to its output position, and the start that leaves the first row's value as it is.
_ROW_REDUCTIONS = {'add': 'pairwise_sum({row}, {zero})', 'maximum': 'row_max({row})', 'minimum': 'row_min({row})'}
_ROW_START = {'add': 0, 'maximum': -np.inf, 'minimum': np.inf}


def _row_reduction_applies(op, x):
    """Float reductions over the last axis (and maybe others) in the input's dtype.
    Integer ones vectorize as plain loops (integer addition is associative), and so do
    reductions keeping the last axis (over the outputs)."""
    return (op.reducer in _ROW_REDUCTIONS and x.ndim and x.ndim - 1 in op.axes
            and np.dtype(x.dtype) == np.dtype(op.dtype) and np.dtype(op.dtype).name in ('float32', 'float64'))


def _row_careduce(node):
    """Each block of trailing reduced axes, one contiguous row of the C-contiguous input,
    reduced on SIMD; rows reduced over leading axes are combined in order, as NumPy does."""
    op = node.op
    x = node.inputs[0]
    trailing = x.ndim
    while trailing - 1 in op.axes:
        trailing -= 1
    leading = range(trailing)                     # the axes looped over, reduced or not
    out_axes = [a for a in leading if a not in op.axes]
    row = '${t}_x[' + ', '.join(f'i{a}' for a in leading) + ']' if trailing else '${t}_x'
    if x.ndim - trailing > 1:
        row += '.reshape(-1)'
    row_value = _ROW_REDUCTIONS[op.reducer].format(row=row, zero=literal(0, op.dtype))
    lines = _refuse_empty(node) + ['${t}_x = np.ascontiguousarray(${i0})']
    return lines + _accumulate(out_axes, _filled(out_axes, literal(_ROW_START[op.reducer], op.dtype)), trailing,
                               '${t}_x.shape', lambda acc: _COMBINE[op.reducer].format(acc, row_value))


def _pairwise_strided(node):
    """A view that is not contiguous (a broadcast input, stride 0) is not copied: each
    row along the last axis is summed where it lies (pairwise.py)."""
    op = node.op
    x = node.inputs[0]
    out_axes = [a for a in range(x.ndim - 1) if a not in op.axes]
    zero = literal(0, op.dtype)
    last = x.ndim - 1
    row_at = '${i0}[' + ', '.join(f'i{a}' for a in range(last)) + ']' if last else '${i0}'
    return _accumulate(out_axes, _filled(out_axes, zero), last, '${i0}.shape',
                       lambda acc: f'{acc} + pairwise_sum_strided({row_at}, {zero})')


def _filled(out_axes, init):
    """The output's first value: `init` at every position kept (`out_axes`)."""
    if not out_axes:
        return init
    return f'np.full({_shape_tuple([f"${{i0}}.shape[{a}]" for a in out_axes])}, {init})'


def _accumulate(out_axes, start, n_loops, shape_expr, combine):
    """Lines folding values into the output over `n_loops` leading axes: it starts as
    `start`, and `combine(acc)` is the next value of one position `acc`.  With no axis
    kept the accumulator is a local scalar, stored at the end; so it is for each position
    when the reduced axes are the inner loops (a product over rows: 1.5x NumPy's time
    through memory, where every step waits for the store before)."""
    fold = ['${t}_acc = ' + combine('${t}_acc')]
    if not out_axes:
        return ['${t}_acc = ' + start] + _loops(shape_expr, range(n_loops), fold) + ['${o0} = ${t}_acc']
    target = '${o0}[' + ', '.join(f'i{a}' for a in out_axes) + ']'
    k = len(out_axes)
    if out_axes == list(range(k)) and k < n_loops:
        row = [f'${{t}}_acc = {target}', *_loops(shape_expr, range(k, n_loops), fold), f'{target} = ${{t}}_acc']
        return ['${o0} = ' + start] + _loops(shape_expr, range(k), row)
    return ['${o0} = ' + start] + _loops(shape_expr, range(n_loops), [f'{target} = {combine(target)}'])


@lowers(ArgReduce)
def _argreduce(node):
    op = node.op
    x = node.inputs[0]
    size = '${i0}.size' if op.axis is None else f'${{i0}}.shape[{op.axis}]'
    lines = raise_if(node, f'{size} == 0', 'ValueError', f'attempt to get {op.kind} of an empty sequence',
                     in_kernel=True)
    serial = _serial_argreduce(node)
    if np.dtype(x.dtype).name not in ('float32', 'float64') or op.axis not in (None, x.ndim - 1):
        return _kernel(node, *lines, *serial)
    return _kernel(node, *lines, *if_else('${i0}.flags.c_contiguous', _row_argreduce(node), serial),
                   preamble='from tracegraph_numba.extrema import row_argmax, row_argmin, rows_arg\n')


def _row_argreduce(node):
    """Each contiguous row of the C-contiguous input (all of it for axis=None) on SIMD."""
    op = node.op
    x = node.inputs[0]
    lines = ['${t}_x = np.ascontiguousarray(${i0})']
    if op.axis is None or x.ndim == 1:
        return lines + [f'${{o0}} = np.int64(row_{op.kind}(${{t}}_x.reshape(-1)))']
    return lines + ['${o0} = np.empty(${i0}.shape[:-1], dtype=np.int64)',
                    f'rows_arg(${{t}}_x.reshape(-1, ${{t}}_x.shape[-1]), ${{o0}}.reshape(-1), {op.kind == "argmax"})']


def _serial_argreduce(node):
    """Lines comparing one element at a time; the input is read where it lies (a
    broadcast view is not copied)."""
    op = node.op
    x = node.inputs[0]
    better = '>' if op.kind == 'argmax' else '<'
    if op.axis is None:
        at = ', '.join(f'i{a}' for a in range(x.ndim))
        first = ', '.join('0' for _ in range(x.ndim))
        body = [f'${{t}}_v = ${{i0}}[{at}]' if x.ndim else '${t}_v = ${i0}',
                f'if ${{t}}_best == ${{t}}_best and (${{t}}_v {better} ${{t}}_best or ${{t}}_v != ${{t}}_v):',
                '    ${t}_best = ${t}_v', '    ${o0} = np.int64(${t}_k)', '${t}_k += 1']
        lines = [f'${{t}}_best = ${{i0}}[{first}]' if x.ndim else '${t}_best = ${i0}',
                 '${o0} = np.int64(0)', '${t}_k = 0']
        return lines + _loops('${i0}.shape', range(x.ndim), body)
    axis = op.axis
    others = [a for a in range(x.ndim) if a != axis]
    shape = _shape_tuple([f'${{i0}}.shape[{a}]' for a in others])
    at = ', '.join(f'i{a}' if a != axis else '${t}_k' for a in range(x.ndim))
    first = ', '.join(f'i{a}' if a != axis else '0' for a in range(x.ndim))
    out = ', '.join(f'i{a}' for a in others)
    body = [f'${{t}}_best = ${{i0}}[{first}]', '${t}_arg = 0',
            f'for ${{t}}_k in range(1, ${{i0}}.shape[{axis}]):',
            f'    ${{t}}_v = ${{i0}}[{at}]',
            f'    if ${{t}}_best == ${{t}}_best and (${{t}}_v {better} ${{t}}_best or ${{t}}_v != ${{t}}_v):',
            '        ${t}_best = ${t}_v', '        ${t}_arg = ${t}_k']
    body.append(f'${{o0}}[{out}] = ${{t}}_arg' if others else '${o0} = np.int64(${t}_arg)')
    lines = [f'${{o0}} = np.empty({shape}, dtype=np.int64)'] if others else []
    return lines + _loops('${i0}.shape', others, body)


# Float max/min walk the input in C order: over leading axes the loop runs over the
# outputs and vectorizes, level with NumPy, but over a transposed matrix's rows it strides
# (2,000 x 4,000: 29 ms, NumPy 2.5).  So from 2^20 elements, unless `unless` holds at run
# time, the node calls NumPy (objmode, ~5 µs), which walks any layout in memory order.
NUMPY_REDUCE_MIN_SIZE = 1 << 20


def _numpy_when_large(node, lowered, unless=None):
    x, op = node.inputs[0], node.op
    if np.dtype(x.dtype).kind != 'f' or op.reducer not in ('maximum', 'minimum'):
        return lowered
    numpy = callbacks.objmode_call(node, 'call_reduce', 'from tracegraph_numba.callbacks import call_reduce')
    call = numpy.template.replace('${k0}', f'${{k{len(lowered.kernels)}}}')
    when = f'${{i0}}.size >= {NUMPY_REDUCE_MIN_SIZE}' + (f' and not {unless}' if unless else '')
    return Lowered('\n'.join(if_else(when, [call], lowered.template.splitlines())),
                   kernels=lowered.kernels + numpy.kernels)


@lowers(Dot)
def _dot(node):
    a, b = node.inputs
    out = node.outputs[0]
    lines = raise_if(node, f'${{i0}}.shape[{a.ndim - 1}] != ${{i1}}.shape[0]', 'ValueError',
                     'shapes are not aligned')
    if np.dtype(out.dtype).kind in 'fc':
        # BLAS (NumPy's for matrix products, numpy_blas.py; small matrix-vector products are
        # loops, small_dot.py) for float operands of one dtype; a `.T` view stays
        # Fortran-ordered: gemm/gemv take a flag, no copy.
        args = [n if v.dtype == out.dtype else f'{n}.astype({np_type(out.dtype)})'
                for n, v in zip(('${i0}', '${i1}'), (a, b))]
        lines.append(f'${{o0}} = nb_dot({args[0]}, {args[1]})')
        return _lines(*lines)
    product = _kernel(node, *_integer_dot(a.ndim, b.ndim, out.dtype))
    return Lowered('\n'.join(lines + [product.template]), kernels=product.kernels)


def _integer_dot(na, nb, dtype):
    """Integer and boolean products (BLAS has none): a loop summing in Numba's int64,
    which wraps (or stores as `!= 0`, for bool) once cast to `dtype`, as NumPy's sums do."""
    t = np_type(dtype)
    rows, cols = ['i'] * (na == 2), ['j'] * (nb == 2)
    shape = ['${i0}.shape[0]'] * (na == 2) + ['${i1}.shape[1]'] * (nb == 2)
    start = f'${{o0}} = np.zeros(({", ".join(shape)},), dtype={t})' if shape else f'${{t}}_acc = {t}(0)'
    loops = ([('i', '${i0}.shape[0]')] * (na == 2) + [('k', '${i1}.shape[0]')]
             + [('j', '${i1}.shape[1]')] * (nb == 2))
    target = f'${{o0}}[{", ".join(rows + cols)}]' if shape else '${t}_acc'
    product = f'{t}(${{i0}}[{", ".join(rows + ["k"])}]) * {t}(${{i1}}[{", ".join(["k"] + cols)}])'
    lines = [start, *loop_nest(loops, [f'{target} += {product}'])]
    return lines if shape else lines + [f'${{o0}} = {t}(${{t}}_acc)']


@lowers(Shape)
def _shape(node):
    n = node.inputs[0].ndim
    lines = [f'${{o0}} = np.empty({n}, dtype=np.int64)']
    lines += [f'${{o0}}[{k}] = ${{i0}}.shape[{k}]' for k in range(n)]
    return _lines(*lines)


@lowers(MakeVector)
def _make_vector(node):
    dtype = node.op.dtype
    lines = [f'${{o0}} = np.empty({len(node.inputs)}, dtype={np_type(dtype)})']
    lines += [f'${{o0}}[{k}] = {cast(f"${{i{k}}}", v.dtype, dtype)}' for k, v in enumerate(node.inputs)]
    return _lines(*lines)


@lowers(Reshape)
def _reshape(node):
    x = node.inputs[0]
    ndim = node.op.ndim
    if x.ndim == 0 and ndim == 0:
        return _lines('${o0} = ${i0}')
    array = 'np.full((1,), ${i0})' if x.ndim == 0 else 'np.ascontiguousarray(${i0})'
    if ndim == 0:
        return _lines(*raise_if(node, '${i0}.size != 1', 'ValueError',
                                'cannot reshape an array of size other than 1 into shape ()'),
                      f'${{o0}} = {array}.ravel()[0]')
    dims = [f'${{i1}}[{k}]' for k in range(ndim)]
    check = reshape_check(node, '1' if x.ndim == 0 else '${i0}.size', dims)
    return _lines(*check, f'${{o0}} = {array}.reshape({_shape_tuple(dims)})')


@lowers(Alloc)
def _alloc(node):
    value = node.inputs[0]
    dtype = node.outputs[0].dtype
    if len(node.inputs) == 1:
        return _lines('${o0} = ${i0}')
    dims = [f'${{i{k}}}' for k in range(1, len(node.inputs))]
    shape = _shape_tuple(dims)
    empty = f'np.empty({_shape_tuple(["0"] * len(dims))}, dtype={np_type(dtype)})'
    allocate = f'${{o0}} = nb_huge_pages(np.empty({shape}, dtype={np_type(dtype)}))'
    fill = f'${{o0}}.fill({cast("${i0}", value.dtype, dtype)})' if value.ndim == 0 else '${o0}[...] = ${i0}'
    return _lines(*alloc_lines(node, dims, allocate, empty), fill)


@lowers(Join)
def _join(node):
    """Each input copied into its part of the output, which is on huge pages where it is
    large (Numba's np.concatenate of two 64 MB matrices: 50 ms, NumPy's and this 30)."""
    ndim, n = node.inputs[0].ndim, len(node.inputs)
    axis = node.op.axis % ndim
    shape = [f'${{i0}}.shape[{d}]' if d != axis else ' + '.join(f'${{i{k}}}.shape[{d}]' for k in range(n))
             for d in range(ndim)]
    lines = [f'${{o0}} = nb_huge_pages(np.empty({_shape_tuple(shape)}, dtype={np_type(node.outputs[0].dtype)}))',
             '${t}_at = 0']
    here = ', '.join(f'i{d}' for d in range(ndim))
    there = ', '.join(f'i{d}' if d != axis else f'${{t}}_at + i{d}' for d in range(ndim))
    for k in range(n):
        loops = _loops(f'${{i{k}}}.shape', range(ndim), [f'${{o0}}[{there}] = ${{i{k}}}[{here}]'])
        if axis == 0 and node.inputs[k].dtype == node.outputs[0].dtype:   # a contiguous block of o0
            part = f'${{o0}}[${{t}}_at:${{t}}_at + ${{i{k}}}.shape[0]]'
            loops = if_else(f'${{i{k}}}.flags.c_contiguous', [f'nb_copy_into({part}, ${{i{k}}})'], loops)
        lines += loops + [f'${{t}}_at += ${{i{k}}}.shape[{axis}]']
    copies = _kernel(node, *lines)
    return Lowered('\n'.join(join_check(node) + [copies.template]), kernels=copies.kernels)


@lowers(Eye)
def _eye(node):
    return _lines(f'${{o0}} = np.eye(${{i0}}, ${{i1}}, ${{i2}}, dtype={np_type(node.op.dtype)})')


@lowers(ARange)
def _arange(node):
    return _lines(f'${{o0}} = np.arange(${{i0}}, ${{i1}}, ${{i2}}).astype({np_type(node.op.dtype)})')


@lowers(CumOp)
def _cumop(node):
    """A running total along the axis.  Along the last axis it is a local scalar: through
    the output's memory each step waited for the store before (1.26x NumPy's time)."""
    op = node.op
    x = node.inputs[0]
    dtype = node.outputs[0].dtype
    sign = '+' if op.mode == 'add' else '*'
    flat = op.axis is None or x.ndim <= 1
    source = '${i0}' if not flat or x.ndim == 1 else 'np.ascontiguousarray(${i0}).ravel()' if x.ndim else 'np.full((1,), ${i0})'
    ndim, axis = (1, 0) if flat else (x.ndim, op.axis)
    lines = [f'${{t}}_x = {source}', f'${{o0}} = nb_huge_pages(np.empty(${{t}}_x.shape, dtype={np_type(dtype)}))']
    at = lambda k: ', '.join(f'i{a}' if a != axis else k for a in range(ndim))  # noqa: E731
    value = lambda k: cast(f'${{t}}_x[{at(k)}]', x.dtype, dtype)  # noqa: E731
    if axis == ndim - 1:
        body = [f'if ${{t}}_x.shape[{axis}]:', f'    ${{t}}_acc = {value("0")}', f'    ${{o0}}[{at("0")}] = ${{t}}_acc',
                f'    for ${{t}}_k in range(1, ${{t}}_x.shape[{axis}]):',
                f'        ${{t}}_acc = ${{t}}_acc {sign} {value("${t}_k")}', f'        ${{o0}}[{at("${t}_k")}] = ${{t}}_acc']
        return _kernel(node, *lines, *_loops('${t}_x.shape', range(ndim - 1), body))
    # Over a leading axis the inner loop runs along the rows, which vectorizes.
    here = at(f'i{axis}')
    body = [f'${{o0}}[{here}] = {value(f"i{axis}")} if i{axis} == 0 else ${{o0}}[{at(f"i{axis} - 1")}] {sign} {value(f"i{axis}")}']
    return _kernel(node, *lines, *_loops('${t}_x.shape', range(ndim), body))


@lowers(IfElse)
def _ifelse(node):
    # The linker writes the `if`/`else` and moves each branch's own nodes inside it.
    return Lowered('')


lowers(LinalgOp)(lower_linalg)
lowers(BaseAbstractConv)(callbacks.lower_numpy)
for _module in (pool, extra_ops, indexing):     # pooling; sort, search, unique...; Subtensor
    _module.register(lowers)
