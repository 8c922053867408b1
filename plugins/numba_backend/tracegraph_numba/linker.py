"""The Numba backend's code generator: the whole graph as one `@njit` function.

Each node's `Lowered` template is filled with readable names (`compiler.program.plan`)
and indented into one function, so a call crosses into machine code once.  Array
constants are arguments (the source, and the disk-cache key, do not depend on their
contents); nodes only one branch of an `ifelse` needs go inside it.  `link` writes the
module to the disk cache, imports it and compiles it for C-contiguous arguments, so
`function()` pays the compile time and a second process loads machine code from disk.
"""
from __future__ import annotations

import re
import string

import numpy as np

from numba import typeof
from numba.core import types
from numba.np.numpy_support import from_dtype

from tracegraph import backends
from tracegraph.backends import Executable
from tracegraph.compiler.branches import Branches, homes, nest
from tracegraph.compiler.program import op_hint, plan
from tracegraph.compiler.source import exec_with_source
from tracegraph.kernels.elemwise import elemwise_kernel
from tracegraph.rewrite.destroy import outputs_to_copy, schedule

from . import cache, helpers, random, small_dot, vector_math
from .located import numbered, shown, with_location
from .elemwise import lone_numpy_loop
from .kernel_call import DISPATCHERS, caller
from .lowered import JIT, Lowered, header, location_marker
from .scalar_source import literal

BACKEND = 'numba'
HELPER_NAMES = tuple(name for module in (helpers, small_dot, vector_math) for name in vars(module) if not name.startswith('_'))
# Names the templates use for themselves: never given to a graph value.
RESERVED = {'np', 'math', 'njit', 'objmode', 'blocked_evaluate', 'call_host', 'call_numpy', 'call_numpy_indexing',
            'call_perform', 'call_random', 'run', 'i', 'j', 'k', *HELPER_NAMES, *(f'i{k}' for k in range(64))}


class Generator:
    """Writes the module source for one graph (and collects the kernels it calls); a
    Scan's inner graph gets a child (`nested`) sharing lines, kernels, constants, names."""

    def __init__(self, fgraph, lowerings, parent=None):
        self.fgraph = fgraph
        self.lowerings = lowerings
        root = parent.root if parent is not None else self
        self.root = root
        if parent is None:
            self.names_used = set(RESERVED)
            self.kernels = {}       # name in the graph module -> kernel source
            self.lines = []         # (text, the node it runs or None)
            self.constants = {}     # name -> Constant, from this graph and its inner graphs
            self.nodes_by_id = {}   # for the location markers (located.py)
        root.nodes_by_id.update((id(node), node) for node in lowerings)
        # In-place writes last (destroy.py).
        self.program = plan(fgraph, reserved=root.names_used, order=schedule(fgraph.toposort()))
        root.names_used |= set(self.program.names.values())
        root.constants.update(self.program.constants)
        self.tree = nest(fgraph, self.program.steps)
        self.in_branches = {n for n, home in homes(fgraph, self.program.steps).items() if home}
        # node -> {'d0': array name, 'wrong_shape': statement, maybe 'o0'}: nodes that
        # write their output into an array a Scan loop gives (scan.py), not a new one.
        self.into = {}

    def nested(self, fgraph, lowerings):
        return Generator(fgraph, lowerings, parent=self)

    def temp(self, hint):
        """A fresh name for the generated code's own use (graph names never start with _)."""
        k = 0
        while f'_{hint}{k}' in self.root.names_used:
            k += 1
        self.root.names_used.add(f'_{hint}{k}')
        return f'_{hint}{k}'

    def emit(self, line, node=None):
        self.root.lines.append((line, node))

    def source(self):
        """The module file's text; `self.shown` is the same with the user's lines, and
        `self.line_nodes` maps a line number of the file to the node it runs."""
        program = self.program
        self.emit_block(self.tree, 1)
        body = '\n'.join(line for line, _ in self.lines)
        used = set(re.findall(r'[A-Za-z_][A-Za-z0-9_]*', body))
        args, head = list(program.inputs), []
        self.array_constants = []
        for cname, const in self.constants.items():
            if cname not in used and cname not in program.outputs:
                continue
            if np.ndim(const.data) == 0:
                head.append(f'{cname} = {literal(const.data, const.type.dtype)}')
            else:
                self.array_constants.append(const)
                args.append(cname)
        lines = [('    ' + line, None) for line in head] + self.lines + [(line, None) for line in self._returns()]
        kernel_names = ''.join(f'# {name}: see the kernels below\n' for name in sorted(self.kernels))
        text = header(body) + '\n' + kernel_names + '\n\n' + JIT + f'\ndef run({", ".join(args)}):\n'
        first_line = text.count('\n') + 1
        self.line_nodes = {first_line + k: node for k, (_, node) in enumerate(lines) if node is not None}
        text += ''.join(line + '\n' for line, _ in lines)
        self.shown = shown(text, self.nodes_by_id)
        text, self.sources = numbered(text, self.nodes_by_id)
        return text

    def _returns(self):
        copies = {v for v in outputs_to_copy(self.fgraph) if getattr(v.type, 'ndim', 0) > 0}
        returned = [f'nb_copy({name})' if var in copies else name
                    for name, var in zip(self.program.outputs, self.fgraph.outputs)]
        return [f'    return ({", ".join(returned)}{"," if returned else ""})']

    def emit_block(self, items, depth):
        """Write a tree of steps (`branches.nest`): an `if` for each ifelse."""
        for item in items:
            if isinstance(item, Branches):
                self._emit_ifelse(item, depth)
            else:
                self._emit_step(item, depth)

    def _emit_step(self, step, depth):
        lowered = self.lowerings[step.node]
        if not isinstance(lowered, Lowered):
            raise TypeError(f'the numba lowering of {step.node.op} must be a Lowered template, '
                            f'got {type(lowered).__name__}')
        indent = '    ' * depth
        self.emit(f'{indent}# {step.node.op}' + _where(step.node))
        if lowered.emit is not None:
            lowered.emit(self, step, depth)
            return
        mapping = {'t': self.temp('t')}
        mapping.update({f'i{k}': name for k, name in enumerate(step.inputs)})
        mapping.update({f'o{k}': name for k, name in enumerate(step.outputs)})
        if step.node in self.into:
            lowered = lowered.into
            mapping.update(self.into[step.node])
        for k, source in enumerate(lowered.kernels):
            name = f'k_{op_hint(step.node)}_{cache.key_of(source)[:10]}'
            self.root.kernels[name] = source
            mapping[f'k{k}'] = name
        for line in string.Template(lowered.template).substitute(mapping).splitlines():
            target, _, value = line.partition(' = ')
            if target != value:     # `x = x`, left when an output is its destination
                self.emit(indent + line, step.node)

    def _emit_ifelse(self, branches, depth):
        step = branches.step
        n = step.node.op.n_outs
        indent = '    ' * depth
        cond, values = step.inputs[0], step.inputs[1:]
        self.emit(f'{indent}# {step.node.op}' + _where(step.node))
        # Each branch: its own nodes, then the outputs taking the values it chose.
        for head, block, chosen in ((f'if {cond}:', branches.then, values[:n]),
                                    ('else:', branches.orelse, values[n:])):
            self.emit(indent + head)
            self.emit_block(block, depth + 1)
            for o, v in zip(step.outputs, chosen):
                self.emit(f'{indent}    {o} = {v}')


def _where(node):
    return f'  ({location_marker(node)})' if node.source else ''


def _is_scalar(var):
    return hasattr(var.type, 'dtype') and var.type.ndim == 0


def _signature(fgraph, constants):
    """Numba types of the arguments as the call wrapper passes them: C-contiguous arrays,
    scalars for 0-d values, a random stream's state as its words."""
    sig = []
    for var in fgraph.inputs:
        dtype = 'uint64' if random.is_state(var) else getattr(var.type, 'dtype', None)
        if dtype is None:
            return None     # a non-array input: let Numba type it on the first call
        scalar = from_dtype(np.dtype(dtype))
        ndim = 1 if random.is_state(var) else var.type.ndim      # to_words: three words
        sig.append(scalar if ndim == 0 else types.Array(scalar, ndim, 'C'))
    sig += [typeof(c) for c in constants]
    return tuple(sig)


def compile_module(source, kernels, signature):
    """Write, import and compile the graph module; rebuild once if its cached code is unreadable."""
    try:
        return _compile_module(source, kernels, signature)
    except Exception:
        # A corrupted or stale cache entry: forget its machine code (and the kernels'),
        # then build everything again.
        for text in (source, *kernels.values()):
            cache.forget_compiled(cache.path_of(cache.key_of(text)))
            DISPATCHERS.pop(cache.key_of(text), None)
        return _compile_module(source, kernels, signature)


def _compile_module(source, kernels, signature):
    path = cache.ensure_file(source)
    module = cache.load(path)
    for name, kernel_source in kernels.items():
        cache.ensure_file(kernel_source)
        setattr(module, name, caller(cache.key_of(kernel_source)))
    if signature is not None:
        module.run.compile(signature)
    return module, path


def generate(fgraph):
    """(the generator, the module source, its array constants, the signature to compile)."""
    generator = Generator(fgraph, backends.lower_graph(BACKEND, fgraph))
    source = generator.source()
    constants = [np.array(c.data) for c in generator.array_constants]
    return generator, source, constants, _signature(fgraph, constants)


def link(fgraph, options):
    cache.load_blas_bindings()   # before Numba's lowerings load
    lone = lone_numpy_loop(fgraph)
    if lone is not None:
        return _numpy_call(fgraph, lone)
    generator, source, constants, signature = generate(fgraph)
    module, path = compile_module(source, generator.kernels, signature)
    run = _wrapper(module.run, fgraph, constants, generator.sources)
    cache.release_with(run, module)
    shown = generator.shown + ''.join(f'\n\n# --- {name} ---\n{text}' for name, text in sorted(generator.kernels.items()))

    def node_at(file, lineno):
        return generator.line_nodes.get(lineno) if file == path else None
    return Executable(run=run, source=shown, node_at=node_at,
                      extra={'module_path': path, 'jit': module.run, 'kernels': dict(generator.kernels)})


def compile_job(fgraph):
    """`link`'s compile as a job for a child process (tracegraph/compiler/background.py);
    None when there is nothing to compile, or Numba has the graph's code on disk."""
    if lone_numpy_loop(fgraph) is not None:
        return None
    generator, source, _, signature = generate(fgraph)
    if signature is None or cache.compiled_files(cache.path_of(cache.key_of(source))):
        return None
    return 'tracegraph_numba.linker:compile_module', (source, generator.kernels, signature)


def _numpy_call(fgraph, node):
    """The graph `tanh(x)` as the NumPy backend runs it (`elemwise.lone_numpy_loop`)."""
    env = {'k_fused': elemwise_kernel(node.op.scalar_op, [v.dtype for v in node.inputs], node.outputs[0].dtype)}
    params = [f'a{k}' for k in range(len(fgraph.inputs))]
    args = ', '.join(params[fgraph.inputs.index(v)] for v in node.inputs)
    source = f'def run({", ".join(params)}):\n    return (k_fused({args}),)\n'
    filename = exec_with_source(source, f'numba {node.op}', env)
    return Executable(env['run'], source, lambda file, lineno: node if file == filename else None)


def _wrapper(jit, fgraph, constants, sources):
    """The Python side of a call: pass 0-d inputs as their NumPy scalars, pass constants,
    give 0-d results their NumPy dtype, carry random streams' states across as words
    (random.py), and write the user's line into the message of an error the compiled
    code raises (located.py)."""
    env = {'jit': jit, 'to_words': random.to_words, 'from_words': random.from_words,
           'sources': sources, 'with_location': with_location}
    params = [f'a{k}' for k in range(len(fgraph.inputs))]
    args = []
    for p, var in zip(params, fgraph.inputs):
        if random.is_state(var):
            p = f'to_words({p})'
        elif _is_scalar(var):
            # `x[()]` works on a 0-d array and on a shared value an update left a scalar,
            # so both run one compiled signature; and Numba takes a scalar faster, a Python
            # one faster still (x + y on 0-d float64: 780 -> 690 ns) where it types it alike.
            p = f'{p}.item()' if var.type.dtype in ('float64', 'int64', 'bool', 'complex128') else f'{p}[()]'
        args.append(p)
    for k, c in enumerate(constants):
        env[f'c{k}'] = c
        args.append(f'c{k}')
    outs = []
    for k, var in enumerate(fgraph.outputs):
        if random.is_state(var):
            outs.append(f'from_words(r[{k}])')
        elif _is_scalar(var):
            env[f't{k}'] = np.dtype(var.type.dtype).type
            outs.append(f't{k}(r[{k}])')
        else:
            outs.append(f'r[{k}]')
    source = (f'def run({", ".join(params)}):\n'
              f'    try:\n'
              f'        r = jit({", ".join(args)})\n'
              f'    except Exception as exc:\n'
              f'        located = with_location(exc, sources)\n'
              f'        if located is None:\n'
              f'            raise\n'
              f'        raise located from None\n'
              f'    return ({", ".join(outs)}{"," if outs else ""})\n')
    exec_with_source(source, 'numba call', env)
    return env['run']
