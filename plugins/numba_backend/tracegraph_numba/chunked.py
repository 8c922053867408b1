"""An elementwise loop nest whose transcendental steps run NumPy's SIMD loops in chunks.

Numba's tanh/exp/log in a fused loop are libm calls or 4-wide vector math, 2-10x
slower per element than NumPy's AVX-512 loops.  Here the innermost axis goes in chunks
of `CHUNK`: arithmetic stays fused in small loops over the chunk, and each step NumPy
has a loop for (ufunc_loops.py) runs it over the chunk, in chunk buffers or the node's
own arrays.  Steps are grouped by how many loops lie on their path from the inputs, so
independent loops share a pass; buffers are reused once dead.  A 10-link tanh chain on
10^3 float64: 165 -> 15 µs; a sigmoid on 10^5 float32: 63 µs, the NumPy backend's 83.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scalar_source import literal, np_type, scalar_expr
from .ufunc_loops import UFUNCS, symbol

# Elements of the innermost axis per chunk: a few float64 buffers of it stay in L1.
CHUNK = 1024

# sigmoid = 1 / (1 + exp(-x)) in NumPy's loops but the add, as the NumPy backend computes it
# (bit-identical; an overflowing exp gives the right 0): this many levels of loops.
SIGMOID_LOOPS = 3

# Each level of loops adds an arithmetic pass and ~0.1 s of compile (a 10-link tanh chain:
# 1.8 s fused, 3.0 s chunked; 1,000 links minutes): deeper nodes keep the fused loop.
MAX_LEVELS = 12

IMPORT = 'from tracegraph_numba.ufunc_loops import ufunc_loop1, ufunc_loop2  # noqa: F401'


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
    if op.name not in UFUNCS or len(arg_dtypes) != UFUNCS[op.name].nin:
        return None
    if any(np.dtype(d) != np.dtype(dtype) for d in arg_dtypes):
        return None
    return symbol(op.name, dtype)


def routes(steps, in_dtypes):
    """Whether the node runs chunked: some step has NumPy's loop, and at most
    MAX_LEVELS of them lie on one path (each level is one more pass)."""
    dtypes, levels = list(in_dtypes), [0] * len(in_dtypes)
    for op, args, dtype in steps:
        routed = _routed(op, [dtypes[a] for a in args], dtype)
        levels.append(max((levels[a] for a in args), default=0) + routed)
        dtypes.append(dtype)
    return 0 < max(levels) <= MAX_LEVELS


def _routed(op, arg_dtypes, dtype):
    if op.name == 'sigmoid':
        found = all(symbol(name, dtype) for name in ('negative', 'exp', 'reciprocal'))
        return SIGMOID_LOOPS if found and np.dtype(arg_dtypes[0]) == np.dtype(dtype) else 0
    return int(loop_symbol(op, arg_dtypes, dtype) is not None)


def _items(steps, in_dtypes, viewable):
    """The steps as Items (sigmoid as four steps, see SIGMOID_LOOPS); returns
    (items, value id of each composite value).  Ids below len(in_dtypes) are inputs."""
    items, ids, dtypes = [], list(range(len(in_dtypes))), list(in_dtypes)

    def add(item):
        items.append(item)
        dtypes.append(item.dtype)
        return len(dtypes) - 1

    def loop_arg(v):
        # A loop reads an input in place only if it is a strided row of it.
        return v if v >= len(in_dtypes) or viewable(v) else add(Item((v,), dtypes[v], template='{0}'))

    for op, args, dtype in steps:
        args = tuple(ids[a] for a in args)
        arg_dtypes = [dtypes[a] for a in args]
        if not _routed(op, arg_dtypes, dtype):
            ids.append(add(Item(args, dtype, op=op)))
        elif op.name == 'sigmoid':
            negative = add(Item((loop_arg(args[0]),), dtype, loop=symbol('negative', dtype)))
            e = add(Item((negative,), dtype, loop=symbol('exp', dtype)))
            one_plus = add(Item((e,), dtype, template='({one} + {0})'))
            ids.append(add(Item((one_plus,), dtype, loop=symbol('reciprocal', dtype))))
        else:
            ids.append(add(Item(tuple(loop_arg(a) for a in args), dtype,
                                loop=loop_symbol(op, arg_dtypes, dtype))))
    return items, ids


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
    """Where each value outlives its pass: ('out', q) for a loop writing output q,
    ('slot', dtype, row) for a row of the chunk buffer of that dtype; and the number
    of rows per dtype.  A row is reused once its value's last reader has run (a loop
    may write over its own argument; a pass reads its rows before it writes any)."""
    last_use = {}
    for k, item in enumerate(items):
        for a in item.args:
            last_use[a] = max(last_use.get(a, (-1, 0)), position[n_in + k])
    home = {}
    for q, v in enumerate(outputs):
        if v >= n_in and items[v - n_in].loop:
            home.setdefault(v, ('out', q))
    rows, free, live = {}, {}, []
    for v in sorted(range(n_in, n_in + len(items)), key=lambda v: (position[v], v)):
        item = items[v - n_in]
        if v in home or not (item.loop or last_use.get(v, (-1, 0)) > position[v]):
            continue
        for u in [u for u in live if last_use.get(u, (-1, 0)) <= position[v]]:
            live.remove(u)
            free.setdefault(home[u][1], []).append(home[u][2])
        pool = free.setdefault(item.dtype, [])
        row = pool.pop() if pool else rows.get(item.dtype, 0)
        rows[item.dtype] = max(rows.get(item.dtype, 0), row + 1)
        home[v] = ('slot', item.dtype, row)
        live.append(v)
    return home, rows


class Writer:
    """Writes the chunked nest of one node: `lines()`."""

    def __init__(self, node, steps, outputs, how, scalar_in, index):
        self.node, self.how, self.scalar_in, self.index = node, how, scalar_in, index
        self.ndim = node.outputs[0].ndim
        in_dtypes = [v.dtype for v in node.inputs]
        self.n_in = len(in_dtypes)
        self.items, ids = _items(steps, in_dtypes, self._viewable)
        self.outputs = [ids[o] for o in outputs]
        self.dtypes = in_dtypes + [item.dtype for item in self.items]
        self.position = _positions(self.items, self.n_in)
        self.home, self.rows = _homes(self.items, self.n_in, self.outputs, self.position)

    def _viewable(self, j):
        inner = self.ndim - 1
        return (self.scalar_in[j] is None and self.node.inputs[j].ndim == self.ndim
                and self.how[j, inner] == 'i')

    def lines(self):
        inner = self.ndim - 1
        n = f'n{inner}'
        passes = {p for p, _ in self.position.values()} | {0}
        passes = sorted(passes | {self._last_pass(v) for _, v in self._copies()})
        # Without buffers or arithmetic the loops can take the whole row at once.
        whole = not self.rows and passes == [0, 1] and not self._pass_lines(0)
        out = [f'tmp_{d} = np.empty(({r}, min({CHUNK}, {n})), dtype={np_type(d)})'
               for d, r in self.rows.items()]
        out += ['    ' * k + f'for i{k} in range(n{k}):' for k in range(inner)]
        body = [f'cn = min({CHUNK}, {n} - ck)'] if not whole else [f'cn = {n}']
        for p in passes:
            body += self._pass_lines(p) if p % 2 == 0 else self._loop_lines(p)
        head = f'for ck in range(0, {n}, {CHUNK}):' if not whole else 'ck = 0'
        nest = [head] + (['    ' + line for line in body] if not whole else body)
        return out + ['    ' * inner + line for line in nest]

    def _name(self, v):
        return f'x{v}' if v < self.n_in else f't_v{v}'

    def _row(self, v):
        """Value v's chunk as `array, (index of its first element)` (a buffer row, or a
        row of an input or output array)."""
        outer = [self._outer(v, k) if v < self.n_in else f'i{k}' for k in range(self.ndim - 1)]
        if v < self.n_in:
            return f'a{v}, ({", ".join(outer + ["ck"])},)'
        place = self.home[v]
        if place[0] == 'out':
            return f'o{place[1]}, ({", ".join(outer + ["ck"])},)'
        return f'tmp_{place[1]}, ({place[2]}, 0)'

    def _outer(self, j, axis):
        kind = self.how[j, axis]
        return '0' if kind == '0' else f'i{axis}' if kind == 'i' else f'i{axis} * b{j}_{axis}'

    def _loop_lines(self, p):
        lines = []
        for k, item in enumerate(self.items):
            if self.position[self.n_in + k][0] == p:
                rows = ', '.join(self._row(v) for v in item.args + (self.n_in + k,))
                lines.append(f'ufunc_loop{len(item.args)}({item.loop!r}, cn, {rows})')
        return lines

    def _pass_lines(self, p):
        """Pass p: one loop over the chunk computing the arithmetic of its level."""
        mine = [self.n_in + k for k, item in enumerate(self.items)
                if not item.loop and self.position[self.n_in + k][0] == p]
        needed = {a for v in mine for a in self.items[v - self.n_in].args}
        writes = [(q, v) for q, v in self._copies() if p == self._last_pass(v)]
        needed |= {v for _, v in writes}
        if not mine and not writes:
            return []
        index = ', '.join(f'i{k}' for k in range(self.ndim))
        body = [f'i{self.ndim - 1} = ck + cj']
        for v in sorted(needed - set(mine)):
            body.append(f'{self._name(v)} = {self._read(v)}')
        for v in mine:
            body.append(f'{self._name(v)} = {self._expr(v)}')
            place = self.home.get(v)
            if place and place[0] == 'slot':
                body.append(f'tmp_{place[1]}[{place[2]}, cj] = {self._name(v)}')
        body += [f'o{q}[{index}] = {self._name(v)}' for q, v in writes]
        return ['for cj in range(cn):'] + ['    ' + line for line in body]

    def _copies(self):
        """(q, v): output q is value v, written by an arithmetic pass (not by v's loop)."""
        return [(q, v) for q, v in enumerate(self.outputs) if self.home.get(v) != ('out', q)]

    def _last_pass(self, v):
        """The arithmetic pass that writes output value v: the first after it exists."""
        p = self.position[v][0] if v >= self.n_in else 0
        return p + 1 if p % 2 else p

    def _read(self, v):
        if v < self.n_in:
            return self.scalar_in[v] if self.scalar_in[v] is not None else (
                f'a{v}' if self.node.inputs[v].ndim == 0 else self.index(v))
        place = self.home[v]
        if place[0] == 'out':
            return f'o{place[1]}[{", ".join(f"i{k}" for k in range(self.ndim))}]'
        return f'tmp_{place[1]}[{place[2]}, cj]'

    def _expr(self, v):
        item = self.items[v - self.n_in]
        args = [self._name(a) for a in item.args]
        if item.op is not None:
            return scalar_expr(item.op, args, [self.dtypes[a] for a in item.args], item.dtype)
        one = literal(1.0, item.dtype)
        return f'{np_type(item.dtype)}({item.template.format(*args, one=one)})'
