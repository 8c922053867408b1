"""The loop nest of an elementwise node, its transcendental steps on NumPy's SIMD loops.

Numba's tanh/exp/log in a fused loop are libm calls or 4-wide vector math, 2-10x
slower per element than NumPy's AVX-512 loops.  So each step NumPy has a loop for
(ufunc_loops.py) runs it over chunks of `CHUNK` elements: of the innermost axis, or
as many of its rows (in C order) as fit when they are short, since one call a row of
12 elements (LeNet's 500x20x12x12 tanh) took 3.5x the NumPy backend's time.  And
the arithmetic between such steps stays fused in small loops over the chunk.  Steps
are grouped by how many loops lie on their path from the inputs, so independent
loops share a pass; values that outlive their pass take rows of a chunk buffer,
reused once dead.  Without loops the nest is one fused pass.  A 10-link tanh chain
on 10^3 float64: 165 -> 15 µs; a sigmoid on 10^5 float32: 63 µs, the NumPy backend's 83.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from tracegraph.kernels.blocked import reuse_buffers
from tracegraph.tensor.scalar import SCALAR_OPS

from .lowered import if_else, indent, loop_nest
from .scalar_source import literal, np_type, scalar_expr
from .ufunc_loops import symbol

# Elements of the innermost axis per chunk: a few float64 buffers of it stay in L1.
CHUNK = 1024

# Each level of loops adds an arithmetic pass and ~0.1 s of compile (a 10-link tanh chain:
# 1.8 s fused, 3.0 s chunked; 1,000 links minutes): deeper nodes keep the fused loop.
MAX_LEVELS = 12

IMPORT = 'from tracegraph_numba.ufunc_loops import ufunc_loop  # noqa: F401'


@dataclass(frozen=True)
class Item:
    """One value of the nest: a scalar op, an expression template, or NumPy's loop."""
    args: tuple
    dtype: str
    op: object = None
    template: str = ''
    loop: str = ''


def loop_symbol(op, arg_dtypes, dtype):
    """NumPy's loop for this step, when it computes the step exactly as declared."""
    if any(np.dtype(d) != np.dtype(dtype) for d in arg_dtypes):
        return None
    return symbol(op.name, dtype)


def routes(steps, in_dtypes):
    """Whether the node runs NumPy's loops: some step has one, and at most MAX_LEVELS
    of them lie on one path (each level is one more pass)."""
    items, _ = _items(steps, in_dtypes, (), viewable=lambda v: True)
    levels = max(((p + 1) // 2 for p, _ in _positions(items, len(in_dtypes)).values()), default=0)
    return 0 < levels <= MAX_LEVELS


def _items(steps, in_dtypes, outputs, viewable):
    """The steps as Items, with NumPy's loops unless `viewable` (which inputs a loop may
    read in place) is None; returns (items, the value written to each output).  Values
    below len(in_dtypes) are the inputs; no two outputs are written from one value."""
    n_in = len(in_dtypes)
    items, ids, dtypes = [], list(range(n_in)), list(in_dtypes)

    def add(item):
        items.append(item)
        dtypes.append(item.dtype)
        return len(dtypes) - 1

    def copy(v):
        return add(Item((v,), dtypes[v], op=SCALAR_OPS['identity']))

    def loop_args(args):
        # A loop reads an input in place only if it is a strided row of it.
        return tuple(a if a >= n_in or viewable(a) else copy(a) for a in args)

    for op, args, dtype in steps:
        args = tuple(ids[a] for a in args)
        loop = viewable and loop_symbol(op, [dtypes[a] for a in args], dtype)
        if (viewable and op.name == 'sigmoid' and np.dtype(dtypes[args[0]]) == np.dtype(dtype)
                and all(symbol(name, dtype) for name in ('negative', 'exp', 'reciprocal'))):
            # 1 / (1 + exp(-x)) in NumPy's loops but the add, as the NumPy backend computes
            # it (bit-identical; an overflowing exp gives the right 0).  Numba's own negate
            # and divide took 0.58 ns a float32 element, NumPy's loops 0.2.
            negative = add(Item(loop_args(args), dtype, loop=symbol('negative', dtype)))
            e = add(Item((negative,), dtype, loop=symbol('exp', dtype)))
            one_plus = add(Item((e,), dtype, template='({one} + {0})'))
            ids.append(add(Item((one_plus,), dtype, loop=symbol('reciprocal', dtype))))
        elif loop:
            ids.append(add(Item(loop_args(args), dtype, loop=loop)))
        else:
            ids.append(add(Item(args, dtype, op=op)))
    written = []
    for o in outputs:
        written.append(copy(ids[o]) if ids[o] < n_in or ids[o] in written else ids[o])
    return items, written


def _positions(items, n_in):
    """When each value is computed: (pass, order).  Arithmetic of level L (L loops on
    its longest path from the inputs) runs in pass 2L; the loops of level L one by
    one in pass 2L - 1."""
    position = {v: (0, 0) for v in range(n_in)}
    for k, item in enumerate(items):
        level = max(((position[a][0] + 1) // 2 for a in item.args), default=0)
        position[n_in + k] = (2 * level + 1, k) if item.loop else (2 * level, 0)
    return position


def _homes(items, n_in, outputs, position):
    """Where values live beyond their own line: ('out', q) for the value written to
    output q, ('tmp', dtype, row) for a loop's value or one read in a later pass (a row
    of the chunk buffer of its dtype); and the number of rows per dtype."""
    last_read = {}
    for k, item in enumerate(items):
        for a in item.args:
            last_read[a] = max(last_read.get(a, (-1, 0)), position[n_in + k])
    home = {v: ('out', q) for q, v in enumerate(outputs)}
    rows = sorted((position[v], v) for v in range(n_in, n_in + len(items)) if v not in home
                  and (items[v - n_in].loop or last_read.get(v, (-1, 0)) > position[v]))
    place, counts = reuse_buffers(rows, last_read, lambda v: items[v - n_in].dtype)
    home.update({v: ('tmp', dtype, row) for v, (dtype, row) in place.items()})
    return home, counts


def first_joined_axis(how, arrays, ndim):
    """The first of the trailing axes every array input reads alike (all 'i' or all '0')."""
    last, first = [how[j, ndim - 1] for j in arrays], ndim - 1
    while first > 0 and 'b' not in last and [how[j, first - 1] for j in arrays] == last:
        first -= 1
    return first


def strides_chain(arrays, first, ndim):
    """The run-time test that each of `arrays` steps through axes first.. as through one."""
    return ' and '.join(f'{a}.strides[{k}] == {a}.shape[{k + 1}] * {a}.strides[{k + 1}]'
                        for a in arrays for k in range(first, ndim - 1))


class Writer:
    """Writes the nest of one node over n0.., reading a0.., writing o0.. (`lines()`);
    `how[j, axis]` says how input j is indexed ('i', '0' or 'b', elemwise.py), and
    `loops` whether steps NumPy has loops for run them."""

    def __init__(self, node, steps, outputs, how, scalar_in, loops, ndim=None):
        self.node, self.steps, self.outputs, self.how, self.scalar_in = node, steps, outputs, how, scalar_in
        self.ndim = node.outputs[0].ndim if ndim is None else ndim
        in_dtypes = [v.dtype for v in node.inputs]
        self.n_in = len(in_dtypes)
        # Elemwise pads every input to the node's ndim: the rest are scalars.
        self.arrays = [j for j in range(self.n_in) if scalar_in[j] is None and node.inputs[j].ndim]
        self.items, written = _items(steps, in_dtypes, outputs, self._viewable if loops else None)
        self.dtypes = in_dtypes + [item.dtype for item in self.items]
        self.position = _positions(self.items, self.n_in)
        self.home, self.rows = _homes(self.items, self.n_in, written, self.position)
        self.passes = sorted({self.position[v][0] for v in range(self.n_in, len(self.dtypes))})
        # Without NumPy's loops one pass runs over whole rows.
        self.chunked = any(item.loop for item in self.items)

    def _viewable(self, j):
        return j in self.arrays and self.how[j, self.ndim - 1] == 'i'

    def lines(self):
        inner = self.ndim - 1
        if not self.chunked:
            return loop_nest([(f'i{k}', f'n{k}') for k in range(inner)], self._passes())
        first = first_joined_axis(self.how, self.arrays, self.ndim)
        return self._chunks() if first == inner else self._joined(first)

    def _joined(self, first):
        """The nest over axes `first`.. joined into one where the inputs' strides chain: tanh(x
        + b) on 8x20x12x12 float32, rows of 12: 1.5x the NumPy backend's time; of 144: 0.9x."""
        nd, views = self.ndim, [f'a{j}' for j in self.arrays] + [f'o{q}' for q in range(len(self.node.outputs))]
        # Axes first.. read alike, so the joined axis is indexed as axis `first` is.
        writer = Writer(self.node, self.steps, self.outputs, self.how, self.scalar_in, True, ndim=first + 1)
        rename = {**{a: f'{a}_joined' for a in views}, f'n{first}': 'n_joined'}
        lines = [f'n_joined = {" * ".join(f"n{k}" for k in range(first, nd))}']
        lines += [f'{a}_joined = joined_view({a}, {first})' for a in views]
        lines += [re.sub(r'\b[aon]\d+\b', lambda m: rename.get(m[0], m[0]), line) for line in writer._chunks()]
        chain = strides_chain([f'a{j}' for j in self.arrays if self.how[j, nd - 1] == 'i'], first, nd)
        return if_else(chain, lines, self._chunks()) if chain else lines

    def _chunks(self):
        inner = self.ndim - 1
        # Rows of the innermost axis, `rows` at a time: (j0, j1..) is a chunk's first row,
        # from which each pass steps (i0, i1..) row by row.
        out = [f'n_rows = {" * ".join(f"n{k}" for k in range(inner)) or 1}']
        out += [f'tmp_{d} = np.empty(({r}, min({CHUNK}, n_rows * n{inner})), dtype={np_type(d)})'
                for d, r in self.rows.items()]
        out += [f'rows = {self._rows_per_chunk()}', 'for r0 in range(0, n_rows, rows):',
                '    rn = min(rows, n_rows - r0)'] + ['    q = r0'] * (inner > 0)
        for k in range(inner - 1, -1, -1):
            out += [f'    j{k} = q % n{k}', f'    q //= n{k}'] if k else ['    j0 = q']
        chunk = [f'for ck in range(0, n{inner}, {CHUNK}):', f'    cn = min({CHUNK}, n{inner} - ck)',
                 *indent(self._passes())]
        return out + indent(chunk)

    def _passes(self):
        return [line for p in self.passes
                for line in (self._pass_lines(p) if p % 2 == 0 else self._loop_lines(p))]

    def _rows_per_chunk(self):
        """As many rows as fit in CHUNK elements when each array NumPy's loop reads in
        place runs on from one row to the next (fresh outputs and chunk buffers do)."""
        inner = self.ndim - 1
        read = sorted({j for item in self.items if item.loop for j in item.args if j < self.n_in})
        if any(self.how[j, k] != 'i' for j in read for k in range(inner)):
            return '1'
        rows = f'max(1, {CHUNK} // max(1, n{inner}))'
        joined = strides_chain([f'a{j}' for j in read], 0, self.ndim)
        return f'{rows} if {joined} else 1' if joined else rows

    def _next_row(self):
        """Step (i0, i1..) to the next row of the innermost axis, in C order."""
        lines = []
        for depth, k in enumerate(range(self.ndim - 2, -1, -1)):
            pad = '    ' * depth
            lines += [f'{pad}i{k} += 1'] + ([f'{pad}if i{k} == n{k}:', f'{pad}    i{k} = 0'] if k else [])
        return lines

    def _loop_lines(self, p):
        lines = []
        for k, item in enumerate(self.items):
            if self.position[self.n_in + k][0] == p:
                rows = ', '.join(self._row(v) for v in item.args + (self.n_in + k,))
                lines.append(f'ufunc_loop({item.loop!r}, rn * cn, {rows})')
        return lines

    def _pass_lines(self, p):
        """Pass p: one loop over the chunk (or row) computing the arithmetic of its level."""
        mine = [self.n_in + k for k, item in enumerate(self.items)
                if not item.loop and self.position[self.n_in + k][0] == p]
        needed = {a for v in mine for a in self.items[v - self.n_in].args} - set(mine)
        body = [f'{self._name(v)} = {self._read(v)}' for v in sorted(needed)]
        for v in mine:
            body.append(f'{self._name(v)} = {self._expr(v)}')
            if v in self.home:
                body.append(f'{self._element(v)} = {self._name(v)}')
        inner = self.ndim - 1
        if not self.chunked:
            return loop_nest([(f'i{inner}', f'n{inner}')], body)
        # Unsigned: Numba wraps a signed index that may be negative, and LLVM does not
        # vectorize a loop whose index it cannot prove is not (x + 1 on a chunk: 6x slower).
        row = loop_nest([('cj', 'cn')], [f'i{inner} = np.uint64(ck + cj)', *body]) + self._next_row()
        return [f'i{k} = j{k}' for k in range(inner)] + loop_nest([('cr', 'rn')], row)

    def _name(self, v):
        return f'x{v}' if v < self.n_in else f't_v{v}'

    def _place(self, v, first=False):
        """(array, index) of value v's element in a pass, or with `first` of the first
        element of its chunk: in an input, an output or a chunk buffer."""
        if v < self.n_in:
            array, index = f'a{v}', self._indices(v)
        elif self.home[v][0] == 'out':
            array, index = f'o{self.home[v][1]}', [f'i{k}' for k in range(self.ndim)]
        else:
            _, dtype, row = self.home[v]
            return f'tmp_{dtype}', [str(row), '0' if first else 'np.uint64(cr * cn + cj)']
        # A chunk's first element: the axes before the innermost at its first row (j0..).
        return array, [e.replace('i', 'j', 1) for e in index[:-1]] + ['ck'] if first else index

    def _indices(self, j):
        """Input j's index on each of its axes inside the nest."""
        kinds = [self.how[j, axis] for axis in range(self.ndim)]
        last = self.ndim - 1 if self.chunked else -1    # chunks index it unsigned (_pass_lines)
        return ['0' if kind == '0' else f'i{axis}' if kind == 'i' else
                f'i{axis} * np.uint64(b{j}_{axis})' if axis == last else f'i{axis} * b{j}_{axis}'
                for axis, kind in enumerate(kinds)]

    def _row(self, v):
        array, index = self._place(v, first=True)
        return f'{array}, ({", ".join(index)},)'

    def _element(self, v):
        array, index = self._place(v)
        return f'{array}[{", ".join(index)}]'

    def _read(self, v):
        # A scalar input (a constant's value comes as an argument: kernels do not depend on it)
        if v < self.n_in and (self.scalar_in[v] is not None or not self.node.inputs[v].ndim):
            return f'a{v}'
        return self._element(v)

    def _expr(self, v):
        item = self.items[v - self.n_in]
        args = [self._name(a) for a in item.args]
        if item.op is not None:
            return scalar_expr(item.op, args, [self.dtypes[a] for a in item.args], item.dtype)
        one = literal(1.0, item.dtype)
        return f'{np_type(item.dtype)}({item.template.format(*args, one=one)})'
