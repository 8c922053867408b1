"""Elementwise fusion: a tree of Elemwise nodes becomes one Elemwise over a Composite.

Starting from the last node of the graph, a cluster grows toward the inputs
through Elemwise nodes read only by the cluster; the cluster becomes one
`Elemwise(Composite(...))` whose inputs are the variables the cluster reads.  A
backend then runs the whole chain in one pass over memory.
"""
from __future__ import annotations

from ...ir.rewrite_table import register
from ...ir.traversal import toposort
from ...tensor.elemwise import Elemwise
from ...tensor.scalar import Composite
from ..patterns import single_reader

MAX_STEPS = 512
MAX_INPUTS = 32


def _fusable(node):
    return isinstance(node.op, Elemwise) and not node.op.inplace and len(node.outputs) == 1


def _grow(fgraph, root, taken):
    """The nodes of the cluster under `root`, in topological order."""
    cluster, stack, ndim = {root}, [root], root.outputs[0].ndim
    while stack and len(cluster) < MAX_STEPS:
        node = stack.pop()
        for inp in node.inputs:
            owner = inp.owner
            if owner is None or owner in cluster or owner in taken or not _fusable(owner):
                continue
            if inp.ndim != ndim or not single_reader(fgraph, inp):
                continue
            cluster.add(owner)
            stack.append(owner)
    boundary = [i for node in cluster for i in node.inputs if i.owner not in cluster]
    return toposort(root.outputs, blockers=boundary)


def build_composite(nodes):
    """(Composite, its input variables) computing the last node of `nodes`."""
    inputs, position, steps = [], {}, []

    def slot(v):
        if v not in position:
            position[v] = ('in', len(inputs))
            inputs.append(v)
        return position[v]

    for node in nodes:
        arg_slots = [slot(i) for i in node.inputs]
        scalar = node.op.scalar_op
        if isinstance(scalar, Composite):
            base = len(steps)
            sub = [arg_slots[k] for k in range(scalar.nin)]
            for op, args, dtype in scalar.steps:
                sub.append(('step', len(steps)))
                steps.append((op, tuple(sub[a] for a in args), dtype))
            position[node.outputs[0]] = sub[scalar.outputs[0]]
            del base
        else:
            steps.append((scalar, tuple(arg_slots), node.outputs[0].dtype))
            position[node.outputs[0]] = ('step', len(steps) - 1)
    n_in = len(inputs)

    def index(s):
        return s[1] if s[0] == 'in' else n_in + s[1]
    numbered = tuple((op, tuple(index(a) for a in args), dtype) for op, args, dtype in steps)
    out = index(position[nodes[-1].outputs[0]])
    composite = Composite(tuple(v.dtype for v in inputs), numbered, (out,))
    return composite, inputs


@register('elemwise_fusion', phase='fuse')
def elemwise_fusion(fgraph):
    """Fuse every cluster of two or more elementwise steps."""
    taken, replacements = set(), {}
    for node in reversed(fgraph.toposort()):
        if node in taken or not _fusable(node):
            continue
        cluster = _grow(fgraph, node, taken)
        n_steps = sum(len(n.op.scalar_op.steps) if isinstance(n.op.scalar_op, Composite) else 1
                      for n in cluster)
        if len(cluster) < 2 or n_steps > 4 * MAX_STEPS:
            continue
        composite, inputs = build_composite(cluster)
        if len(inputs) > MAX_INPUTS:
            continue
        taken.update(cluster)
        out = node.outputs[0]
        new = Elemwise(composite)(*inputs)
        if new.type == out.type:
            replacements[out] = new
    return replacements
