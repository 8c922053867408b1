"""An Elemwise node (a plain scalar op or a fused Composite) as one explicit loop nest.

Broadcasting is resolved from static shapes where they decide it (a static length
1 is read at index 0); only axes of unknown length pay a run-time check and a
multiply by 0 or 1 in the index.  Above `BLOCKED_MIN_WORK` transcendental
evaluations a node calls back (objmode) to `tracegraph.kernels.blocked`: Numba's
exp/tanh are libm calls here (no SVML), NumPy's ufuncs are SIMD and run on every
core (measurements: `bench/numba.py`, the README).
"""
from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from tracegraph.ir import Constant
from tracegraph.kernels.elemwise import as_composite
from tracegraph.tensor.elemwise import Elemwise
from tracegraph.tensor.scalar import Composite, expensive

from . import chunked
from .callbacks import objmode_type
from .lowered import JIT, Lowered, error_message, if_else, kernel, params
from .scalar_source import literal, np_type, scalar_expr
from .ufunc_loops import numpy_is_faster

# Below this many transcendental evaluations (elements times expensive steps) the call
# back into Python (about 10 µs) costs more than NumPy's SIMD saves; measured on tanh,
# exp and pow chains of 1 to 10 links (README).
BLOCKED_MIN_WORK = 1 << 12
# A chunked kernel (chunked.py) runs on one thread; threads (threaded.py) pay off above
# this much work, per output dtype (bench.small_math mid_sizes, 2026-12-07: float64
# tanh(x * 1.01 + 0.1) on one thread at 2^20 elements took 1.12x the NumPy backend's
# time, the 10-link chain at 2^18 1.34x; float32 0.5-0.85x up to 2^20 elements).
CHUNKED_BLOCKED_MIN_WORK = {'float32': 1 << 22}
CHUNKED_BLOCKED_MIN_WORK_OTHER = 1 << 20
# NumPy's iterator joins short rows into one long loop, where a chunked kernel steps from
# row to row: on rows under 64 bytes (float32 x 12, float64 x 4) it took 1.3-2x the
# NumPy backend's time from 2^15 elements up, where the blocked path is level.
SHORT_ROW_BYTES = 64
SHORT_ROWS_BLOCKED_MIN_WORK = 1 << 15
# LLVM stops inlining vector_math.py into a loop between 140 and 160 tanh steps (3x
# slower an element): past this many, a node runs them on NumPy's loops after all.
MAX_VECTOR_MATH_STEPS = 64
# A scan step writing into its row calls the chunked loop nest from this much work: 4,096
# float64, tanh(x_t + 0.9 h), took 8.0 µs a step (NumPy backend 11.5, inlined loop 13.9, objmode
# to the blocked evaluator 25.3), float32 65,536 28.7 µs (47.5, 158, -); 64 elements: level.
INTO_CHUNKED_MIN_WORK = 128


def lone_numpy_loop(fgraph):
    """The node of a graph that is one NumPy SIMD loop (`tanh(x)`), or None: compiled, it took
    1.08x the NumPy backend's time on 10^3 float64 (the same loop, plus ~0.2 µs of boundary)."""
    nodes = list(fgraph.apply_nodes)
    node = nodes[0] if len(nodes) == 1 and not getattr(fgraph, 'update_targets', None) else None
    if (node is None or not isinstance(node.op, Elemwise) or node.op.inplace
            or isinstance(node.op.scalar_op, Composite) or list(node.outputs) != list(fgraph.outputs)
            or node.outputs[0].ndim == 0 or not all(v in fgraph.inputs for v in node.inputs)):
        return None
    in_dtypes = [v.dtype for v in node.inputs]
    return node if chunked.loop_symbol(node.op.scalar_op, in_dtypes, node.outputs[0].dtype) else None


def _scalar_lines(steps, outputs, values, dtypes):
    """The 0-d node: its steps on scalar `values` (names or literals), then its outputs."""
    values, dtypes, lines = list(values), list(dtypes), []
    for k, (op, args, dtype) in enumerate(steps):
        expr = scalar_expr(op, [values[a] for a in args], [dtypes[a] for a in args], dtype)
        lines.append(f'${{t}}_v{k} = {expr}')
        values.append(f'${{t}}_v{k}')
        dtypes.append(dtype)
    return lines + [f'${{o{j}}} = {values[o]}' for j, o in enumerate(outputs)]


def lower_elemwise(node):
    op = node.op
    in_dtypes = [v.dtype for v in node.inputs]
    composite = as_composite(op.scalar_op, in_dtypes, node.outputs[0].dtype)
    steps, outputs = composite.steps, composite.outputs
    ndim = node.outputs[0].ndim
    scalar_in = [_scalar_constant(v) for v in node.inputs]
    args = [s if s is not None else f'${{i{j}}}' for j, s in enumerate(scalar_in)]
    if ndim == 0:
        return Lowered('\n'.join(_scalar_lines(steps, outputs, args, in_dtypes)))
    lines, how = _shape_lines(node, scalar_in)
    lengths = [f'${{t}}_n{k}' for k in range(ndim)]
    targets = ', '.join(f'${{o{j}}}' for j in range(len(node.outputs)))
    call = [f'{targets}, = ${{k0}}({", ".join(lengths + args)})']
    kernels = (_kernel(node, steps, outputs, how, scalar_in),)
    if _blocked(node, steps):
        # Two kernels, each called by its symbol (kernel_call.py): neither's code is linked
        # into, and optimized again with, the other's (0.5-0.8 s of compile a node).
        work, chunks = _work(lengths, steps), _chunked(node, steps)
        chunked_min = CHUNKED_BLOCKED_MIN_WORK.get(node.outputs[0].dtype, CHUNKED_BLOCKED_MIN_WORK_OTHER)
        when, short_rows = f'{work} >= {chunked_min if chunks else BLOCKED_MIN_WORK}', 'False'
        if chunks and ndim > 1:
            short = SHORT_ROW_BYTES // np.dtype(node.outputs[0].dtype).itemsize
            short_rows = f'({work} >= {SHORT_ROWS_BLOCKED_MIN_WORK} and {_row_length(how, scalar_in, lengths)} < {short})'
            when += f' or {short_rows}'
        first = [short_rows] if chunks else []
        blocked = f'{targets}, = ${{k1}}({", ".join(first + lengths + args)})'
        call = if_else(when, [blocked], call)
        rows = _rows_kernel(node, steps, outputs, how, scalar_in) if chunks else None
        kernels += (_blocked_kernel(node, steps, outputs, rows),)
    lowered = Lowered('\n'.join(lines + call), kernels=kernels)
    if len(node.outputs) == 1 and not op.inplace:
        lowered = replace(lowered, into=_into(node, steps, outputs, how, scalar_in, lines, args, lengths))
    return lowered


def _into(node, steps, outputs, how, scalar_in, shape_lines, args, lengths):
    """The node writing into `${d0}`, an array a scan owns (`${wrong_shape}` runs when it
    does not fit).  The loop is inlined: a step is often a few dozen elements, and a
    call (its reference counting) would cost more.  Larger steps with NumPy's loops call
    the chunked loop nest writing into `${d0}` (`_rows_kernel`, no objmode)."""
    check = ' or '.join(f'{n} != ${{d0}}.shape[{k}]' for k, n in enumerate(lengths))
    names = {**{f'a{j}': a for j, a in enumerate(args)}, **{f'n{k}': n for k, n in enumerate(lengths)},
             'o0': '${d0}'}
    # Every other name of the kernel body (x0, b0_1, t_v2...) gets the node's prefix.
    rename = lambda m: names.get(m.group(0), '${t}_' + m.group(0))  # noqa: E731
    loop = [re.sub(r'\b(?:[axon]\d+|b\d+_\d+|t_v\d+)\b', rename, line)
            for line in _body(node, steps, outputs, how, scalar_in, chunks=False)]
    kernels = ()
    if _chunked(node, steps):
        into = f'${{k0}}({", ".join(lengths + args)}, ${{d0}})'
        loop = if_else(f'{_work(lengths, steps)} >= {INTO_CHUNKED_MIN_WORK}', [into], loop)
        kernels = (_rows_kernel(node, steps, outputs, how, scalar_in),)
    lines = shape_lines + [f'if {check}:', '    ${wrong_shape}'] + loop + ['${o0} = ${d0}']
    return Lowered('\n'.join(lines), kernels=kernels)


def _scalar_constant(v):
    """A constant of one element (a padded Python number) as a literal, else None."""
    if isinstance(v, Constant) and np.size(v.data) == 1:
        return literal(np.asarray(v.data).reshape(()), v.dtype)
    return None


def _shape_lines(node, scalar_in):
    """Compute the output length of each axis and check the inputs broadcast.

    Returns the lines and, per (input, axis), how the loop indexes it: 'i' (the
    loop index), '0' (a broadcast axis) or 'b' (decided at run time).
    """
    lines, how = [], {}
    message = error_message(node, 'input shapes do not broadcast')
    arrays = [j for j, v in enumerate(node.inputs) if scalar_in[j] is None and v.ndim]
    for axis in range(node.outputs[0].ndim):
        dynamic = [j for j in arrays if node.inputs[j].type.shape[axis] is None]
        known = [node.inputs[j].type.shape[axis] for j in arrays
                 if node.inputs[j].type.shape[axis] not in (None, 1)]
        for j in arrays:
            how[j, axis] = '0' if node.inputs[j].type.shape[axis] == 1 else 'i'
        n = f'${{t}}_n{axis}'
        if len(dynamic) == 1 and not known:
            # The one input of unknown length defines the axis: nothing to check.
            lines.append(f'{n} = ${{i{dynamic[0]}}}.shape[{axis}]')
            continue
        if not dynamic:
            lines.append(f'{n} = {known[0] if known else 1}')
            continue
        lengths = [str(known[0])] if known else []
        lengths += [f'${{i{j}}}.shape[{axis}]' for j in dynamic]
        lines.append(f'{n} = broadcast_length({", ".join(lengths)})')
        lines.append(f'if {n} < 0:')
        lines.append(f'    raise ValueError({message!r})')
        for j in dynamic:
            how[j, axis] = 'b'
    return lines, how


def _kernel(node, steps, outputs, how, scalar_in):
    """The kernel: `kernel(n0.., a0..)` returns the outputs, computed by one loop nest."""
    ndim = node.outputs[0].ndim
    lengths = [f'n{k}' for k in range(ndim)]
    inplace = dict(node.op.inplace)
    shape = ', '.join(lengths) + (',' if ndim == 1 else '')
    allocate = [f'o{j} = a{inplace[j]}' if j in inplace else
                f'o{j} = nb_huge_pages(np.empty(({shape}), dtype={np_type(out.dtype)}))'
                for j, out in enumerate(node.outputs)]
    returns = [f'return {", ".join(f"o{j}" for j in range(len(node.outputs)))},']
    loop = _body(node, steps, outputs, how, scalar_in)
    imports = chunked.IMPORT if _chunked(node, steps) else ''
    return kernel(lengths + params(node), allocate + loop + returns, imports)


def _blocked_kernel(node, steps, outputs, rows=None):
    """`kernel(n0.., a0..)` computing the outputs in NumPy's SIMD ufuncs on threads
    (tracegraph.kernels.blocked), the steps passed as data; NumPy also allocates the
    outputs there (it asks the kernel for huge pages, NRT does not).  The objmode block
    is the whole function: Numba mis-compiles one in a branch of a larger function, and
    in a function holding one LLVM neither inlines the vector math nor vectorizes.  With
    `rows` (`_rows_kernel`): `kernel(short_rows, n0.., a0..)`, running it (threaded.py)."""
    lengths = [f'n{k}' for k in range(node.outputs[0].ndim)]
    types = ', '.join(f'o{j}="{objmode_type(o)}"' for j, o in enumerate(node.outputs))
    outs = ', '.join(f'o{j}' for j in range(len(node.outputs)))
    call, first, preamble = 'blocked_evaluate(SPEC, ', [], _spec(node, steps, outputs)
    if rows is not None:
        call, first = 'large_elemwise(SPEC, ROWS, INPLACE, short_rows, ', ['short_rows']
        preamble += (f'\nfrom tracegraph_numba.threaded import large_elemwise\nROWS = {rows!r}\n'
                     f'INPLACE = {dict(node.op.inplace)!r}')
    body = [f'with objmode({types}):',
            f'    {outs}, = {call}({", ".join(lengths)},), {", ".join(params(node))})',
            f'return {outs},']
    return kernel(first + lengths + params(node), body, preamble)


def _spec(node, steps, outputs):
    """`SPEC = ...`: the Composite as data, as the blocked evaluator takes it."""
    spec = (tuple(v.dtype for v in node.inputs),
            tuple((op.name, getattr(op, 'dtype', None), tuple(args), dtype) for op, args, dtype in steps),
            tuple(outputs))
    return f'SPEC = {spec!r}'


def _rows_kernel(node, steps, outputs, how, scalar_in):
    """`kernel(n0.., a0.., o0..)`: the loop nest writing into given outputs: a scan's row
    (`_into`), or row ranges that threaded.py runs on every core (no GIL: `nogil`)."""
    lengths = [f'n{k}' for k in range(node.outputs[0].ndim)]
    outs = [f'o{j}' for j in range(len(node.outputs))]
    return kernel(lengths + params(node) + outs, _body(node, steps, outputs, how, scalar_in),
                  chunked.IMPORT, jit=JIT.replace(')', ', nogil=True)'))


def _body(node, steps, outputs, how, scalar_in, chunks=True):
    """The loop nest over n0.., reading a0.., writing o0.. (already allocated); with
    `chunks`, a node with steps NumPy has SIMD loops for runs them (chunked.py)."""
    dynamic = [key for key, kind in how.items() if kind == 'b']
    flags = [f'b{j}_{axis} = 1 if a{j}.shape[{axis}] != 1 else 0' for j, axis in dynamic]
    loops = chunks and _chunked(node, steps)
    loop = chunked.Writer(node, steps, outputs, how, scalar_in, loops).lines()
    if dynamic:
        # Inputs of unknown length usually all have the output's: then a loop with plain
        # indices, which LLVM vectorizes; the general one multiplies by 0 or 1.
        plain_how = {k: 'i' if v == 'b' else v for k, v in how.items()}
        plain = chunked.Writer(node, steps, outputs, plain_how, scalar_in, loops).lines()
        same = ' and '.join(f'b{j}_{axis} == 1' for j, axis in dynamic)
        loop = if_else(same, plain, loop)
    return flags + loop


def _row_length(how, scalar_in, lengths):
    """The rows a chunked kernel steps through: its innermost axis, or the trailing axes
    it joins where the inputs' strides chain (chunked.py; it may join more)."""
    ndim, arrays = len(lengths), [j for j, s in enumerate(scalar_in) if s is None]
    first = chunked.first_joined_axis(how, arrays, ndim)
    chain = chunked.strides_chain([f'${{i{j}}}' for j in arrays if how[j, ndim - 1] == 'i'], first, ndim)
    return f'({" * ".join(lengths[first:])} if {chain} else {lengths[-1]})' if chain else lengths[-1]


def _chunked(node, steps):
    return not node.op.inplace and chunked.routes(steps, [v.dtype for v in node.inputs])


def _work(lengths, steps):
    """The run-time expression counting the node's transcendental evaluations."""
    count = len(_numpy_steps(steps))
    return ' * '.join(lengths + ([str(count)] if count > 1 else []))


def _numpy_steps(steps):
    """The steps NumPy's ufuncs compute faster than the compiled loop would."""
    costly = [s for s in steps if expensive(s[0], compiled_loop=True)]
    faster = [s for s in costly if numpy_is_faster(s[0].name, s[2])]
    return faster if len(costly) - len(faster) <= MAX_VECTOR_MATH_STEPS else costly


def _blocked(node, steps):
    return (bool(_numpy_steps(steps)) and not node.op.inplace
            and all(np.dtype(o.dtype).kind in 'fb' for o in node.outputs))
