"""Showing graphs: `pp` (Theano's infix form), `debugprint` (one node a line) and
`pydotprint` (a picture through Graphviz)."""
from __future__ import annotations

import os
import shutil
import sys

from .ir import Constant, Variable
from .ir.traversal import toposort
from .tensor.elemwise import DimShuffle, Elemwise
from .tensor.scalar import ScalarOp
from .tensor.print_op import Print  # noqa: F401  (Theano's printing.Print)

_PRECEDENCE = {'**': 4, '*': 3, '/': 3, '//': 3, '%': 3, '+': 2, '-': 2,
               '==': 1, '!=': 1, '<': 1, '<=': 1, '>': 1, '>=': 1, '&': 0, '|': 0, '^': 0}
_PP_NAMES = {'second': 'fill', 'abs': 'abs', 'true_div': 'true_div'}


def pp(var):
    """Theano's pretty form: `pp(x + y) == '(x + y)'`; gradient seeds show as `fill(...)`.

    Each node's text is kept as a template (literal pieces and references to its
    inputs) and the whole text is written once at the end, so memory grows with the
    graph and the answer, not with the sum of every subexpression's length (a chain
    of n nodes would otherwise hold n strings of length up to n).
    """
    if hasattr(var, 'fgraph') and hasattr(var, 'executable'):  # a compiled Function
        return '\n'.join(pp(o) for o in var.fgraph.outputs)
    if isinstance(var, (list, tuple)):
        return '\n'.join(pp(v) for v in var)
    templates = {}
    for node in toposort([var]):
        for out in node.outputs:
            templates[out] = _pp_node(node, out)
    return _render(var, templates)


def _shown_as_template(v, templates):
    return v in templates and (v.name is None or v.owner is not None)


def _leaf_text(v):
    if v.name is not None:
        return v.name
    return str(v)


def _render(var, templates):
    """Write out `var`'s template, expanding input references with an explicit stack."""
    pieces, stack = [], [var]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            pieces.append(item)
        elif _shown_as_template(item, templates):
            stack.extend(reversed(templates[item]))
        else:
            pieces.append(_leaf_text(item))
    return ''.join(pieces)


def _joined(args, sep=', '):
    """[a, sep, b, sep, c]: the template of a comma-separated argument list."""
    out = []
    for k, a in enumerate(args):
        if k:
            out.append(sep)
        out.append(a)
    return out


def _pp_node(node, out):
    op = node.op
    args = list(node.inputs)
    if isinstance(op, DimShuffle) and all(a == 'x' or a == k for k, a in
                                          enumerate([a for a in op.new_order if a != 'x'])) \
            and not op.drop:
        return [args[0]]  # broadcasting padding is noise in the infix form
    if isinstance(op, Elemwise) and isinstance(op.scalar_op, ScalarOp):
        scalar = op.scalar_op
        if scalar.infix and len(args) == 2:
            return ['(', args[0], f' {scalar.infix} ', args[1], ')']
        if scalar.infix and len(args) == 1:
            return [scalar.infix, args[0]]
        name = _PP_NAMES.get(scalar.name, str(scalar))
        return [f'{name}('] + _joined(args) + [')']
    label = str(op)
    if len(node.outputs) > 1:
        label += f'[{out.index}]'
    return [f'{label}('] + _joined(args) + [')']


# -- debugprint ------------------------------------------------------------------------
def debugprint(obj, file=None, print_type=False, ids='CHAR', depth=-1, done=None,
               print_source=True):
    """Print the node tree, one Apply node a line (Theano's format).

    Accepts a variable, a list of variables, a compiled function or a FunctionGraph.
    Returns the text when `file='str'`, else prints it (to stdout by default).
    """
    outputs = _outputs_of(obj)
    lines, labels, seen = [], {}, set()

    def label(v):
        if v not in labels:
            labels[v] = _id_label(len(labels))
        return labels[v]

    for out in outputs:
        stack = [(out, 0)]
        while stack:
            v, level = stack.pop()
            prefix = ' |' * level
            node = v.owner
            typ = f' <{v.type}>' if print_type else ''
            if node is None:
                name = str(v)
                lines.append(f'{prefix}{name} [id {label(v)}]{typ}')
                continue
            idx = f'.{v.index}' if len(node.outputs) > 1 else ''
            named = f" '{v.name}'" if v.name else " ''"
            head = f'{prefix}{node.op}{idx} [id {label(v)}]{named}{typ}'
            if print_source and node.source is not None and level == 0:
                head += f'   # {os.path.basename(node.source.filename)}:{node.source.lineno}'
            if v in seen:
                lines.append(head)
                continue
            seen.add(v)
            lines.append(head)
            if depth != -1 and level + 1 > depth:
                continue
            for inp in reversed(node.inputs):
                stack.append((inp, level + 1))
    for inner_name, inner in _inner_graphs(outputs):
        lines.append(f'\nInner graph of {inner_name}:')
        lines.append(debugprint(inner.outputs, file='str', print_type=print_type))
    text = '\n'.join(lines)
    if file == 'str':
        return text
    print(text, file=file or sys.stdout)
    return file


def _id_label(k):
    letters = ''
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _outputs_of(obj):
    if hasattr(obj, 'fgraph'):
        return list(obj.fgraph.outputs)
    if hasattr(obj, 'outputs') and hasattr(obj, 'inputs') and hasattr(obj, 'clients'):
        return list(obj.outputs)
    if hasattr(obj, 'graph_outputs'):  # a traced function's lowered graph
        return list(obj.graph_outputs)
    if isinstance(obj, Variable):
        return [obj]
    if hasattr(obj, 'outputs') and hasattr(obj, 'op'):
        return list(obj.outputs)
    return list(obj)


def _inner_graphs(outputs):
    for node in toposort(outputs):
        inner = getattr(node.op, 'inner_graphs', None)
        if inner:
            for k, g in enumerate(inner()):
                yield f'{node.op}', g


# -- pydotprint -----------------------------------------------------------------------
def pydotprint(obj, outfile=None, format=None, compact=True, with_ids=False,
               var_with_name_simple=False, print_output_file=True, return_image=False):
    """Write a picture of the graph (SVG, PNG or any format Graphviz knows) to `outfile`.

    Needs the `pydot` package and Graphviz's `dot` program.
    """
    try:
        import pydot
    except ImportError as exc:
        raise ImportError('pydotprint needs the pydot package: pip install pydot '
                          '(or pip install tracegraph[pictures])') from exc
    if shutil.which('dot') is None:
        raise RuntimeError("pydotprint needs Graphviz's `dot` program, which is not on PATH: "
                           'install it with `apt-get install graphviz` (Debian/Ubuntu), '
                           '`brew install graphviz` (macOS) or `conda install graphviz`.')
    outputs = _outputs_of(obj)
    outfile = outfile or os.path.join(os.getcwd(), 'tracegraph_graph.png')
    fmt = format or os.path.splitext(outfile)[1].lstrip('.') or 'png'
    graph = pydot.Dot(graph_type='digraph', rankdir='TB')
    ids = {}

    def node_id(obj_):
        if obj_ not in ids:
            ids[obj_] = f'n{len(ids)}'
        return ids[obj_]

    def var_node(v):
        vid = node_id(v)
        if isinstance(v, Constant):
            graph.add_node(pydot.Node(vid, label=_quote(str(v)), shape='box', style='filled',
                                      fillcolor='lightgrey'))
        elif v.owner is None:
            graph.add_node(pydot.Node(vid, label=_quote(f'{v.name or "input"} {v.type}'),
                                      shape='box', style='filled', fillcolor='limegreen'))
        return vid

    for node in toposort(outputs):
        nid = node_id(node)
        graph.add_node(pydot.Node(nid, label=_quote(str(node.op)), shape='ellipse'))
        for k, inp in enumerate(node.inputs):
            src = var_node(inp) if inp.owner is None else node_id(inp.owner)
            graph.add_edge(pydot.Edge(src, nid, label=str(k) if len(node.inputs) > 1 else ''))
    for k, out in enumerate(outputs):
        oid = f'out{k}'
        graph.add_node(pydot.Node(oid, label=_quote(f'{out.name or "output"} {out.type}'),
                                  shape='box', style='filled', fillcolor='dodgerblue'))
        src = node_id(out.owner) if out.owner is not None else var_node(out)
        graph.add_edge(pydot.Edge(src, oid))
    if return_image:
        return graph.create(format=fmt)
    graph.write(outfile, format=fmt)
    if print_output_file:
        print(f'The output file is available at {outfile}')
    return outfile


def _quote(text):
    return '"' + text.replace('\\', '\\\\').replace('"', '\\"') + '"'
