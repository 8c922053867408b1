"""tracegraph's layers import downward only, and no module imports itself in a cycle.

Every import in tracegraph/ (at module level and inside functions, read with `ast`)
is an edge between two modules.  Each module belongs to the layer of its longest
prefix in LAYERS; an edge into a higher layer fails, naming the import, and so does
any cycle of modules, whatever their layers.  This table is the one place the order
is written down:

    config  <-  ir  <-  tensor  <-  autodiff, scan, random, ifelse, kernels.ufuncs, kernels.reference  <-  rewrite
            <-  compiler, backends, kernels  <-  trace  <-  printing  <-  theano, tools, testing, tracegraph (the package's __init__)
"""
import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / 'tracegraph'

LAYERS = {
    'tracegraph.config': 0,
    'tracegraph.ir': 1,
    'tracegraph.tensor': 2,
    'tracegraph.autodiff': 3, 'tracegraph.scan': 3, 'tracegraph.random': 3, 'tracegraph.ifelse': 3,
    'tracegraph.kernels.ufuncs': 3,   # NumPy's spelling of each scalar op: a reference evaluator
    'tracegraph.kernels.reference': 3,  # each op in NumPy, for constant folding (no plugin)
    'tracegraph.rewrite': 4,
    'tracegraph.hookspecs': 5, 'tracegraph.backends': 5, 'tracegraph.compiler': 5,
    'tracegraph.kernels': 5,          # array kernels the backends share (generated block loops)
    'tracegraph.trace': 6,
    'tracegraph.printing': 7,
    # Theano's paths, the tools built on everything, and the package's own __init__.
    'tracegraph.theano': 8, 'tracegraph.gradient': 8, 'tracegraph.sandbox': 8,
    'tracegraph.tensor.shared_randomstreams': 8,
    'tracegraph.coverage': 8, 'tracegraph.cli': 8, 'tracegraph.demo': 8, 'tracegraph.__main__': 8,
    'tracegraph.testing': 8, 'tracegraph': 8,
}


# Exceptions, named edge by edge with their reason: none (issue 18), so every import
# goes downward and no import closes a cycle.  A listed edge that no longer exists
# fails too (delete its line), so these sets stay exactly what is true.
REMAINING_UPWARD = set()
REMAINING_CYCLE_EDGES = set()


def modules():
    """{module name: (path, is_package)} for every .py file of tracegraph/."""
    found = {}
    for path in PACKAGE.rglob('*.py'):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix('').parts)
        is_package = parts[-1] == '__init__'
        found['.'.join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def imported(name, is_package, node, known):
    """The tracegraph modules an Import/ImportFrom node of module `name` reads."""
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        base = node.module or ''
        if node.level:
            here = name.split('.') if is_package else name.split('.')[:-1]
            here = here[:len(here) - node.level + 1]
            base = '.'.join(here + ([node.module] if node.module else []))
        targets = [f'{base}.{alias.name}' if f'{base}.{alias.name}' in known else base for alias in node.names]
    found = []
    for target in targets:
        while target and target not in known:
            target = target.rpartition('.')[0]
        if target and target != name:
            found.append(target)
    return found


def import_edges():
    """[(importer, imported, line)] over every import statement in tracegraph/."""
    known = modules()
    edges = []
    for name, (path, is_package) in sorted(known.items()):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges += [(name, target, node.lineno) for target in imported(name, is_package, node, known)]
    return edges


def layer(module):
    prefix = module
    while prefix not in LAYERS:
        if '.' not in prefix:
            raise KeyError(f'{module} is in no layer: add it to LAYERS in {__file__}')
        prefix = prefix.rpartition('.')[0]
    return LAYERS[prefix]


def cycles(edges):
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    graph = {}
    for a, b, _ in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            w = next(children, None)
            if w is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    component = []
                    while True:
                        u = stack.pop()
                        on_stack.discard(u)
                        component.append(u)
                        if u == v:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif w not in index:
                index[w] = low[w] = len(index)
                stack.append(w)
                on_stack.add(w)
                work.append((w, iter(sorted(graph[w]))))
            elif w in on_stack:
                low[v] = min(low[v], index[w])
    return found


def test_every_module_has_a_layer():
    for name in modules():
        layer(name)


def test_imports_go_downward():
    edges = import_edges()
    found = {(a, b) for a, b, _ in edges if layer(b) > layer(a)}
    new = [f'{a}:{line} imports {b} (layer {layer(a)} -> {layer(b)})'
           for a, b, line in edges if (a, b) in found - REMAINING_UPWARD]
    assert new == [], 'imports into a higher layer'
    assert REMAINING_UPWARD - found == set(), 'fixed: delete these from REMAINING_UPWARD'


def test_no_import_cycle():
    edges = import_edges()
    pairs = {(a, b) for a, b, _ in edges}
    assert REMAINING_CYCLE_EDGES - pairs == set(), 'fixed: delete these from REMAINING_CYCLE_EDGES'
    kept = [e for e in edges if e[:2] not in REMAINING_UPWARD | REMAINING_CYCLE_EDGES]
    described = []
    for component in cycles(kept):
        inside = set(component)
        described.append(' '.join(f'{a}:{line}->{b}' for a, b, line in kept if a in inside and b in inside))
    assert described == [], 'import cycles'
