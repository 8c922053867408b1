"""The per-call fast path: a generated function that checks a call against one cached
signature in a few attribute tests and runs its compiled function directly.

Binding the arguments, flattening them and hashing a signature costs several
microseconds; for a function of two scalars that is more than the run itself.  So
each cache entry writes the checks its signature implies as straight-line code:

    def call(self, a0=MISSING, a1=MISSING, /, *rest, **kw):
        if not rest and not kw and a0.__class__ is ndarray and a0.dtype is dtype0 and \\
                a0.ndim == 0 and a1.__class__ is ndarray and ...:
            return run(a0, a1)
        return slow(self, (a0, a1), rest, kw)

Any call that fails a check takes the slow path, which finds (or traces) the right
entry.  The checks are specialized to the Python classes of the last call's leaves
(an ndarray, a Python float, np.float32), so each entry keeps one such function per
tuple of classes.  The one used last is the decorated object's `__call__`;
`type(step).__call__.source` shows its code.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import optree

from ..compiler.source import exec_with_source
from .pytree import NAMESPACE, unflatten

MISSING = object()

# Python numbers that become their placeholder's dtype exactly (an int might overflow
# int64; those go through tg.function's checked conversion instead).
_CONVERT_HERE = (float, bool, complex)


def leaf_check(var, cls, spec, k, env):
    """The conditions under which leaf value `var` (of class `cls`) fits `spec`."""
    env[f'cls{k}'] = cls
    if issubclass(cls, np.generic) or not hasattr(cls, 'ndim'):
        return [f'{var}.__class__ is cls{k}']  # a Python number or NumPy scalar: its class says all
    env[f'dtype{k}'] = np.dtype(spec.dtype)
    # ndarray dtypes of the native byte order are singletons, so `is` is exact for them.
    same_dtype = 'is' if cls is np.ndarray else '=='
    conds = [f'{var}.__class__ is cls{k}', f'{var}.dtype {same_dtype} dtype{k}',
             f'{var}.ndim == {spec.ndim}']
    conds += [f'{var}.shape[{ax}] {"==" if p == 1 else "!="} 1' for ax, p in enumerate(spec.pattern)]
    return conds


def generate(entry, classes, binder, run, out_tree, slow):
    """The fast call of one cache entry for leaves of the given classes, or None when
    the signature has keyword arguments (those calls always bind first)."""
    sig = entry.signature
    if sig.keywords:
        return None
    env = {'MISSING': MISSING, 'run': run, 'array': np.array, 'slow': slow,
           'tree_flatten': optree.tree_flatten, 'unflatten': unflatten, 'out_tree': out_tree,
           'treedef': sig.treedef}
    params = [f'a{k}' for k in range(sig.n_positional)]
    call_checks = ['not rest', 'not kw'] + _static_checks(sig, env)
    dynamic = [f'a{k}' for k in binder.dynamic_positions(sig.n_positional)]
    # Containers are checked and taken apart by generated code (`a0['w'][1]`) when their
    # kinds allow it; other kinds are flattened by optree and compared as a whole.
    structure = _structure(sig.treedef.children()[0], dynamic, env)
    flatten_first = structure is None
    if flatten_first:
        structure = (['tdef == treedef'], [f'leaves[{k}]' for k in range(len(sig.leaves))])
    leaf_checks, leaves = structure
    run_args = []
    for k, (var, cls, spec) in enumerate(zip(leaves, classes, sig.leaves)):
        leaf_checks = leaf_checks + leaf_check(var, cls, spec, k, env)
        run_args.append(_converted(var, cls, spec, k, env))
    result = f'run({", ".join(run_args)})'
    if not (out_tree.num_leaves == 1 and out_tree.num_nodes == 1):
        result = f'unflatten(out_tree, {result})'

    head = ', '.join(f'{p}=MISSING' for p in params) + (', /, ' if params else '') + '*rest, **kw'
    lines = [f'def call(self, {head}):']
    if flatten_first:
        lines += [f'    if {" and ".join(call_checks)}:',
                  # a dataclass type not yet registered stays a leaf: the structures differ
                  f'        leaves, tdef = tree_flatten((({"".join(d + ", " for d in dynamic)}), '
                  f'{{}}), namespace={NAMESPACE!r})',
                  f'        if {" and ".join(leaf_checks)}:',
                  f'            return {result}']
    else:
        lines += [f'    if {" and ".join(call_checks + leaf_checks)}:',
                  f'        return {result}']
    lines.append(f'    return slow(self, ({"".join(p + ", " for p in params)}), rest, kw)')
    return _define(lines, env, entry.traced.name)


def _structure(spec, expressions, env):
    """(checks, leaf expressions) for the children of tuple `spec` passed as `expressions`,
    or None when some container kind has no generated form."""
    checks, leaves = [], []
    for expr, child in zip(expressions, spec.children()):
        if not _visit(expr, child, env, checks, leaves):
            return None
    return checks, leaves


def _visit(expr, spec, env, checks, leaves):
    """Append the checks of node `spec` at `expr`, parents before children (so `and`
    never indexes a container it has not checked), and its leaves in optree's order."""
    kind = spec.kind
    if kind == optree.PyTreeKind.LEAF:
        leaves.append(expr)
        return True
    if kind == optree.PyTreeKind.NONE:
        checks.append(f'{expr} is None')
        return True
    k = len(env)
    env[f'node{k}'] = spec.type
    if kind in (optree.PyTreeKind.TUPLE, optree.PyTreeKind.LIST):
        checks.append(f'{expr}.__class__ is node{k} and len({expr}) == {spec.num_children}')
        children = [f'{expr}[{i}]' for i in range(spec.num_children)]
    elif kind == optree.PyTreeKind.NAMEDTUPLE:
        checks.append(f'{expr}.__class__ is node{k}')
        children = [f'{expr}[{i}]' for i in range(spec.num_children)]
    elif kind == optree.PyTreeKind.DICT:
        env[f'keys{k}'] = frozenset(spec.entries())
        checks.append(f'{expr}.__class__ is node{k} and {expr}.keys() == keys{k}')
        children = []
        for i, key in enumerate(spec.entries()):
            env[f'key{k}_{i}'] = key
            children.append(f'{expr}[key{k}_{i}]')
    elif _is_dataclass_node(spec):
        checks.append(f'{expr}.__class__ is node{k}')
        children = [f'{expr}.{name}' for name in spec.entries()]
    else:
        return False
    return all(_visit(c, s, env, checks, leaves) for c, s in zip(children, spec.children()))


def _is_dataclass_node(spec):
    return (spec.kind == optree.PyTreeKind.CUSTOM and dataclasses.is_dataclass(spec.type)
            and all(isinstance(name, str) and name.isidentifier() for name in spec.entries()))


def _static_checks(sig, env):
    """A static argument matches by class and value (so 1 and True stay apart)."""
    checks = []
    for k, (slot, cls, value) in enumerate(sig.statics):
        env[f'static_cls{k}'], env[f'static{k}'] = cls, value
        checks.append(f'a{slot}.__class__ is static_cls{k} and a{slot} == static{k}')
    return checks


def _converted(var, cls, spec, k, env):
    """The code passing leaf `var` to the run: Python floats become arrays here, which is
    cheaper than tg.function's general conversion."""
    if cls not in _CONVERT_HERE:
        return var
    env[f'dtype{k}'] = np.dtype(spec.dtype)
    return f'array({var}, dtype{k})'


def _define(lines, env, name):
    source = '\n'.join(lines) + '\n'
    exec_with_source(source, f'fast-call {name}', env)
    call = env['call']
    call.source = source
    return call
