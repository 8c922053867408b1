"""How the CuPy backend runs each op, as data: which call a node becomes.

A lowering is one of these frozen records, so tests check it without CuPy:

* `Kernel(spec, inplace)`: a generated elementwise kernel (`elemwise_kernel.py`);
* `Call(function, kwargs)`: `function(*inputs, **kwargs)`, where `function` is a
  dotted name: `cupy.sum`, `cupy.dot` (cuBLAS), ..., or `runtime.alloc` for the few
  helpers in `runtime.py` (those receive the array module first);
* `Template(text)`: a Python expression over `{0}`, `{1}`... (views: slicing,
  transposes, reshapes), which may name `cupy.` and `numpy.` functions, or `{xp}.`
  for the module of the side it runs on (`output_on=SAME`: its first input's side);
* `Lazy(n_outs)`: an ifelse, written as `if`/`else` blocks.

Every record also says which inputs it reads on the *host* (`host_inputs`: shapes,
integer indices, conditions; everything else is read on the device) and where its
output lives (`output_on`).  The linker moves values between the two only where a
record asks, so shape arithmetic never touches the GPU and arrays never leave it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracegraph.backends import LoweringError, LoweringTable, warn_python_perform
from tracegraph.ifelse import IfElse
from tracegraph.tensor.dot import Dot
from tracegraph.tensor.elemwise import DimShuffle, Elemwise
from tracegraph.tensor.reduce import ArgReduce, CAReduce
from tracegraph.tensor.shape_ops import (Alloc, ARange, CumOp, Eye, Join, MakeVector,
                                        Reshape, Shape)
from tracegraph.tensor.index_check import node_label
from tracegraph.tensor.subtensor import IN, IncSubtensor, Subtensor

from .cxx_scalar import ScalarLoweringError
from .elemwise_kernel import elementwise_spec

DEVICE, HOST = 'device', 'host'
SAME = 'same'   # output_on: where the first input lives (a view runs on either side)


@dataclass(frozen=True)
class Kernel:
    """A generated elementwise kernel; `inplace` is the input whose buffer it writes."""

    spec: object
    inplace: int | None = None
    host_inputs: tuple = ()
    output_on: str = DEVICE


@dataclass(frozen=True)
class Call:
    """`function(*inputs, **dict(kwargs))`; `function` is a dotted name.  A node with
    several outputs may place each: `output_on=(HOST, DEVICE)`."""

    function: str
    kwargs: tuple = ()
    host_inputs: tuple = ()
    output_on: str = DEVICE


@dataclass(frozen=True)
class Template:
    """A Python expression with `{0}`, `{1}`... standing for the node's inputs."""

    text: str
    host_inputs: tuple = ()
    output_on: str = DEVICE


@dataclass(frozen=True)
class Lazy:
    """`ifelse`: the linker writes an `if cond:` block per branch (`blocks.py`), so only
    the branch taken runs; the condition is read on the host."""

    n_outs: int
    host_inputs: tuple = (0,)
    output_on: str = DEVICE


def _perform(node):
    """A Theano-style op with its own `perform`: it runs on the host."""
    warn_python_perform('cupy', node.op)
    every = tuple(range(len(node.inputs)))
    return Call('runtime.perform', (('node', node),), host_inputs=every, output_on=HOST)


LOWERINGS = LoweringTable(perform=_perform)
lowers = LOWERINGS.register
lower_node = LOWERINGS.lower


@lowers(Elemwise)
def _elemwise(node):
    try:
        spec = elementwise_spec(node.op.scalar_op, [i.dtype for i in node.inputs],
                                [o.dtype for o in node.outputs])
    except ScalarLoweringError as exc:
        where = f' (built at {node.source})' if node.source else ''
        raise LoweringError(f'backend cupy cannot run {node.op}: {exc}{where}') from None
    inplace = None
    if node.op.inplace:
        (_, inplace), = node.op.inplace[:1]
    return Kernel(spec, inplace)


@lowers(DimShuffle)
def _dimshuffle(node):
    op = node.op
    kept = [a for a in op.new_order if a != 'x']
    remaining = [a for a in range(op.input_ndim) if a not in op.drop]
    perm = tuple(remaining.index(a) for a in kept)
    expand = tuple(i for i, a in enumerate(op.new_order) if a == 'x')
    text = '{0}'
    if op.drop:
        text = f'{text}.reshape({_shape_without(op.drop, op.input_ndim)})'
    if perm != tuple(range(len(perm))):
        text = f'{text}.transpose({perm})'
    if expand:
        text = f'{{xp}}.expand_dims({text}, {expand})'
    return Template(text, output_on=SAME)


def _shape_without(drop, ndim):
    parts = [f'{{0}}.shape[{a}]' for a in range(ndim) if a not in drop]
    return '(' + ', '.join(parts) + (',)' if len(parts) == 1 else ')')


_REDUCE = {'add': 'cupy.sum', 'mul': 'cupy.prod', 'maximum': 'cupy.max', 'minimum': 'cupy.min',
           'and_': 'cupy.all', 'or_': 'cupy.any'}


@lowers(CAReduce)
def _careduce(node):
    op = node.op
    kwargs = (('axis', tuple(op.axes)),)
    if op.reducer in ('add', 'mul'):
        kwargs += (('dtype', np.dtype(op.dtype).name),)
    return Call(_REDUCE[op.reducer], kwargs)


@lowers(ArgReduce)
def _argreduce(node):
    return Call(f'cupy.{node.op.kind}', (('axis', node.op.axis),))


@lowers(Dot)
def _dot(node):
    return Call('cupy.dot')


def _index_text(entries, first):
    """`[...]` text of an index; symbolic ints and slice bounds are read as host ints."""
    position = iter(range(first, first + 99))
    host, parts = [], []
    for e in entries:
        if e[0] == 'newaxis':
            parts.append('None')
        elif e[0] == 'array':
            parts.append('{%d}' % next(position))
        elif e[0] == 'int':
            parts.append(_host_int(e[1], position, host))
        else:
            bounds = [_host_int(p, position, host) if p is not None else 'None' for p in e[1:]]
            parts.append(f'slice({", ".join(bounds)})')
    return ', '.join(parts) + (',' if len(parts) == 1 else ''), tuple(host)


def _host_int(part, position, host):
    if part != IN:
        return str(part)
    k = next(position)
    host.append(k)
    return 'int({%d})' % k


@lowers(Subtensor)
def _subtensor(node):
    text, host = _index_text(node.op.entries, 1)
    if any(e[0] == 'array' for e in node.op.entries):
        # CuPy wraps an out-of-bounds index array around: checked first (runtime.py).
        kwargs = (('entries', node.op.entries), ('label', node_label(node)))
        return Call('runtime.subtensor', kwargs, host_inputs=host)
    return Template('{0}[%s]' % text, host_inputs=host)


@lowers(IncSubtensor)
def _incsubtensor(node):
    op = node.op
    _, host = _index_text(op.entries, 2)
    kwargs = (('entries', op.entries), ('set_instead_of_inc', op.set_instead_of_inc),
              ('inplace', op.inplace), ('label', node_label(node)))
    return Call('runtime.inc_subtensor', kwargs, host_inputs=host)


@lowers(Shape)
def _shape(node):
    return Template('numpy.array({0}.shape, dtype=numpy.int64)', output_on=HOST)


@lowers(MakeVector)
def _make_vector(node):
    every = tuple(range(len(node.inputs)))
    return Call('runtime.make_vector', (('dtype', np.dtype(node.op.dtype).name),),
                host_inputs=every, output_on=HOST)


@lowers(Reshape)
def _reshape(node):
    return Template('{0}.reshape(tuple({1}.tolist()))', host_inputs=(1,))


@lowers(Alloc)
def _alloc(node):
    shape = tuple(range(1, len(node.inputs)))
    return Call('runtime.alloc', (('dtype', np.dtype(node.outputs[0].dtype).name),), host_inputs=shape)


@lowers(Join)
def _join(node):
    args = ', '.join('{%d}' % k for k in range(len(node.inputs)))
    return Template(f'cupy.concatenate(({args},), axis={node.op.axis})')


@lowers(Eye)
def _eye(node):
    dtype = np.dtype(node.op.dtype).name
    return Template(f"cupy.eye(int({{0}}), int({{1}}), int({{2}}), dtype='{dtype}')", host_inputs=(0, 1, 2))


@lowers(ARange)
def _arange(node):
    dtype = np.dtype(node.op.dtype).name
    return Template(f"cupy.arange({{0}}.item(), {{1}}.item(), {{2}}.item(), dtype='{dtype}')",
                    host_inputs=(0, 1, 2))


@lowers(CumOp)
def _cumop(node):
    function = 'cupy.cumsum' if node.op.mode == 'add' else 'cupy.cumprod'
    return Call(function, (('axis', node.op.axis), ('dtype', np.dtype(node.outputs[0].dtype).name)))


@lowers(IfElse)
def _ifelse(node):
    return Lazy(node.op.n_outs)


from tracegraph.tensor.linalg import LinalgOp as _LinalgOp  # noqa: E402
from .linalg import lower_linalg as _lower_linalg  # noqa: E402  (the linear-algebra family)
lowers(_LinalgOp)(_lower_linalg)
from . import conv as _conv_lowerings  # noqa: E402,F401  (registers the convolution ops)
from . import pool as _pool_lowerings  # noqa: E402,F401  (registers the pooling ops)
