"""tg.function: from symbolic inputs and outputs to a callable that runs on a backend.

The steps: normalize inputs, outputs, updates and givens; collect the shared
variables the graph reads; build a FunctionGraph; rewrite it; let the backend
link it; wrap the result in a Function whose call checks inputs, runs, and
applies every update together after the run succeeded.
"""
from __future__ import annotations

import itertools
import time
import warnings
from collections import OrderedDict

import numpy as np

from .. import backends, config
from ..ir import Constant, FunctionGraph, Variable, ancestors, graph_inputs
from ..ir.traversal import clone_graph
from ..tensor.basic import as_tensor_variable
from ..tensor.math import identity
from ..tensor.shared import SharedVariable, checked_update
from . import background
from .collector import fewer_collections
from .errors import explain
from .io import In, Out
from .locking import bind, hold, ordered_locks
from .profile import ProfileStats
from .source import exec_with_source, generated_parts

_fn_ids = itertools.count()
_MODES = {'FAST_RUN': 'default', 'FAST_COMPILE': 'fast_compile', 'Mode': 'default',
          'NanGuardMode': 'default', 'DebugMode': None, 'DEBUG_MODE': None,
          'ProfileMode': 'default', 'NUMBA': 'default', 'JAX': 'default', 'CVM': 'default',
          'c|py': 'default', 'py': 'default', 'c': 'default'}
# Theano/PyTensor mode names that name a backend: mode='NUMBA' compiles with Numba
# (PyTensor's meaning) instead of silently running the default backend.
_MODE_BACKENDS = {'NUMBA': 'numba', 'JAX': 'jax'}


class UnusedInputError(ValueError):
    pass


def function(inputs, outputs=None, updates=None, givens=None, no_default_updates=False,
             allow_input_downcast=None, on_unused_input=None, backend=None, name=None,
             mode=None, rewrites=None, profile=False, accept_inplace=False, rebuild_strict=True,
             backend_options=None):
    """Compile `outputs` as a function of `inputs`.  See API.md, "Compiled functions"."""
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f'inputs must be a list of variables (even for one input: [x]), got {inputs!r}')
    ins = [_as_in(i, allow_input_downcast) for i in inputs]
    out_vars, single, borrows = _normalize_outputs(outputs)
    update_pairs = _normalize_updates(updates)
    update_pairs += _default_updates(out_vars, update_pairs, no_default_updates)
    replace = _normalize_givens(givens)
    backend = _mode_backend(mode, backend)
    rewrite_set = _rewrite_set(mode, rewrites)

    all_outputs = out_vars + [u for _, u in update_pairs]
    explicit = [i.variable for i in ins]
    _check_explicit(explicit)
    clone_in, clone_out, memo = clone_graph(explicit, all_outputs, replace=replace)
    # Updates added by default updates may read more shared variables: find all.
    shared_vars = [v for v in graph_inputs(clone_out) if isinstance(v, SharedVariable)]
    _check_unused(ins, clone_out, on_unused_input)
    clone_out = _copy_aliased_outputs(clone_out, set(clone_in) | set(shared_vars))
    fgraph = FunctionGraph(clone_in + shared_vars, clone_out, clone=False)
    fgraph.update_targets = [s for s, _ in update_pairs]

    stats = ProfileStats(name or 'function') if profile else None
    with fewer_collections():
        chosen = _choose_backend(backend)
        from ..rewrite import rewrite_graph
        extra = backends.extra_rewrites(chosen.name)
        rewrite_graph(fgraph, rewrite_set, extra=extra, n_outputs=len(out_vars))
        link_options = {'name': name, 'borrow': borrows, 'backend_options': backend_options or {}}
        later = background.BackgroundLink(chosen, fgraph, dict(link_options, profile=stats)) \
            if background.wanted(chosen) else None
        first = backends.get('numpy') if later is not None else chosen
        executable = first.link(fgraph, dict(link_options, profile=stats))
    if stats is not None and executable.profile is None:
        executable.profile = stats
    fn = Function(ins, fgraph, executable, chosen.name, shared_vars, update_pairs,
                  n_outputs=len(out_vars), single=single, name=name, outputs=out_vars,
                  link_options=link_options)
    if later is not None:
        fn.background_link = later
        later.start(fn)
    return fn


# -- normalization ---------------------------------------------------------------------
def _as_in(item, allow_input_downcast):
    if isinstance(item, In):
        spec = item
    elif isinstance(item, Variable):
        spec = In(item)
    else:
        raise TypeError(f'function inputs must be variables or In(...), got {item!r}')
    if spec.allow_downcast is None:
        spec.allow_downcast = allow_input_downcast
    if spec.has_default and not isinstance(spec.value, Variable):
        spec.value = spec.variable.type.filter(spec.value, allow_downcast=True,
                                               what=f'default of input {spec.name}')
    return spec


def _normalize_outputs(outputs):
    if outputs is None:
        return [], False, []
    single = not isinstance(outputs, (list, tuple))
    items = [outputs] if single else list(outputs)
    variables, borrows = [], []
    for item in items:
        borrow = False
        if isinstance(item, Out):
            item, borrow = item.variable, item.borrow
        variables.append(as_tensor_variable(item) if not isinstance(item, Variable) else item)
        borrows.append(borrow)
    return variables, single, borrows


def _normalize_updates(updates):
    if updates is None:
        return []
    if isinstance(updates, dict):
        if not isinstance(updates, OrderedDict) and len(updates) > 1 and type(updates) is not dict:
            warnings.warn('updates given as an unordered mapping; order is not guaranteed')
        pairs = list(updates.items())
    else:
        pairs = list(updates)
    seen, out = set(), []
    for pair in pairs:
        if len(pair) != 2:
            raise TypeError(f'each update must be a (shared_variable, expression) pair, got {pair!r}')
        target, expr = pair
        if not isinstance(target, SharedVariable):
            raise TypeError(f'update target {target} is not a shared variable; only shared '
                            'variables can be updated')
        if target in seen:
            raise ValueError(f'shared variable {target} is updated twice in one function')
        seen.add(target)
        out.append((target, checked_update(target, expr)))
    return out


def _default_updates(outputs, pairs, no_default_updates):
    if no_default_updates is True:
        return []
    skip = set(no_default_updates or ()) | {t for t, _ in pairs}
    found, frontier = [], list(outputs) + [u for _, u in pairs]
    while frontier:
        new = []
        for v in graph_inputs(frontier):
            if isinstance(v, SharedVariable) and v.default_update is not None and v not in skip:
                skip.add(v)
                found.append((v, checked_update(v, v.default_update)))
                new.append(v.default_update)
        frontier = new
    return found


def _normalize_givens(givens):
    if not givens:
        return {}
    pairs = givens.items() if isinstance(givens, dict) else givens
    out = {}
    for old, new in pairs:
        if not isinstance(old, Variable):
            raise TypeError(f'givens keys must be variables, got {old!r}')
        new = as_tensor_variable(new) if not isinstance(new, Variable) else new
        if getattr(new.type, 'ndim', None) != getattr(old.type, 'ndim', None):
            raise TypeError(f'givens: {old} has {old.type.ndim} dimension(s), its replacement '
                            f'{new} has {new.type.ndim}')
        if new.type.dtype != old.type.dtype:
            if getattr(new, 'weak', None) is not None or np.can_cast(new.type.dtype, old.type.dtype, 'safe'):
                from ..tensor.math import cast
                new = cast(new, old.type.dtype)
            else:
                raise TypeError(f'givens: {old} is {old.type.dtype}, its replacement {new} is '
                                f'{new.type.dtype}; cast the replacement')
        out[old] = new
    return out


def _rewrite_set(mode, rewrites):
    if rewrites is not None:
        return rewrites
    if mode is None:
        return config.rewrites
    mode_name = mode if isinstance(mode, str) else getattr(mode, 'name', type(mode).__name__)
    if mode_name not in _MODES:
        raise ValueError(f'mode {mode_name!r} is not known; use FAST_RUN or FAST_COMPILE '
                         '(or rewrites="default"/"fast_compile"/"none")')
    chosen = _MODES[mode_name]
    if chosen is None:
        raise ValueError(f'mode {mode_name!r} (Theano\'s self-checking mode) is not provided: '
                         'every backend is checked against the NumPy backend by the conformance '
                         'suite instead. Use mode="FAST_RUN" or rewrites="none" to debug.')
    return chosen


def _mode_backend(mode, backend):
    """The backend a mode names (mode='NUMBA' -> 'numba'), else `backend` unchanged."""
    mode_name = mode if isinstance(mode, str) else getattr(mode, 'name', None)
    wanted = _MODE_BACKENDS.get(mode_name)
    if wanted is None:
        return backend
    if backend is not None and backend != wanted:
        raise ValueError(f'mode {mode_name!r} compiles with backend {wanted!r}, but backend='
                         f'{backend!r} was passed too; pass one of them')
    return wanted


def _check_explicit(explicit):
    seen = set()
    for v in explicit:
        if isinstance(v, SharedVariable):
            raise TypeError(f'{v} is a shared variable; it cannot be an explicit input '
                            '(functions read shared variables by themselves)')
        if isinstance(v, Constant):
            raise TypeError(f'{v} is a constant; it cannot be an input')
        if v in seen:
            raise ValueError(f'input {v} is listed twice')
        seen.add(v)


def _check_unused(ins, outputs, on_unused_input):
    policy = on_unused_input or 'raise'
    if policy == 'ignore':
        return
    used = set(ancestors(outputs))
    for pos, spec in enumerate(ins):
        if spec.variable not in used:
            msg = (f'input {pos} ({spec.variable}) is not used to compute any output. '
                   'Pass on_unused_input="warn" or "ignore" to allow this.')
            if policy == 'raise':
                raise UnusedInputError(msg)
            warnings.warn(msg)


def _copy_aliased_outputs(outputs, inputs):
    """An output that is an input or a constant is copied, so results never alias them."""
    return [identity(o) if (o in inputs or isinstance(o, Constant)) and hasattr(o.type, 'dtype') else o
            for o in outputs]


def _choose_backend(name):
    if name is None and str(config.device).startswith(('cuda', 'gpu')):
        if backends.availability('cupy'):
            name = 'cupy'
    return backends.get(name)


# -- the compiled function -----------------------------------------------------------
class Function:
    """A compiled function.  Call it with values for its inputs (by position or name)."""

    background_link = None   # the BackgroundLink of a function compiled in the background
    replaced = None          # the executable that ran the calls before (errors name its lines)

    def __init__(self, ins, fgraph, executable, backend, shared_vars, update_pairs,
                 n_outputs, single, name, outputs, link_options=None):
        self.ins = ins
        self.fgraph = fgraph
        self.graph = fgraph
        self.executable = executable
        self.backend = backend
        self.name = name or f'function_{next(_fn_ids)}'
        self.shared_variables = shared_vars
        self.updates = update_pairs
        self.maker = self
        self.n_outputs = n_outputs
        self.single = single
        self.outputs = outputs
        self._defaults = {k: s.value for k, s in enumerate(ins) if s.has_default}
        self._names = {s.name: k for k, s in enumerate(ins) if s.name}
        self.profile = executable.profile
        # How the backend linked `fgraph` (profile aside): copy() and unpickling relink.
        self.link_options = link_options or {'name': name}
        self._fast = _generate_call(self)

    @property
    def source(self):
        """Everything that runs for a call, as Python source: the per-call wrapper (input
        checks, the run, the update swap), the backend's graph function, and each
        generated kernel it calls (see `sources()`, `source_of(name)`)."""
        return '\n'.join(f'# --- {name} ---\n{text}' for name, text in self.sources().items())

    def sources(self):
        """{name: source} of the generated code a call runs: 'call' (the wrapper),
        'run' (the backend's graph function), its kernels by their names there, and
        'graph' for a backend's source that is not one of those (Numba's module)."""
        parts = generated_parts(self._fast, 'call')
        graph = self.executable.source
        if graph and graph not in parts.values():
            parts['graph'] = graph  # a backend whose graph is not Python (Numba's module)
        return parts

    def source_of(self, name):
        """The source of one part of `sources()`, e.g. `f.source_of('k_fused.plain')`."""
        parts = self.sources()
        if name not in parts:
            raise KeyError(f'{self.name} runs no generated code named {name!r}; '
                           f'it has {", ".join(parts)}')
        return parts[name]

    @property
    def input_storage(self):
        return [s.variable for s in self.ins]

    def __call__(self, *args, **kwargs):
        if not kwargs and len(args) == len(self.ins):
            return self._fast(*args)
        return self._fast(*self._resolve(args, kwargs))

    def _resolve(self, args, kwargs):
        if len(args) > len(self.ins):
            raise TypeError(f'{self.name}() takes {len(self.ins)} input(s), got {len(args)}')
        values = dict(enumerate(args))
        for key, value in kwargs.items():
            if key not in self._names:
                known = ', '.join(repr(n) for n in self._names) or 'none'
                raise TypeError(f'{self.name}() got an unknown keyword {key!r}; inputs with names: {known}')
            pos = self._names[key]
            if pos in values:
                raise TypeError(f'{self.name}() got input {key!r} twice')
            values[pos] = value
        out = []
        for pos, spec in enumerate(self.ins):
            if pos in values:
                out.append(values[pos])
            elif pos in self._defaults:
                out.append(self._defaults[pos])
            else:
                label = f'{spec.name!r}' if spec.name else f'{pos}'
                raise TypeError(f'{self.name}() is missing input {label} ({spec.variable.type})')
        return out

    def copy(self, share_memory=True, swap=None, delete_updates=False, name=None, profile=None):
        """A new function computing the same thing (Theano's `Function.copy`).

        `share_memory=True`: the copy reads and updates the same shared variables.
        `share_memory=False`: each shared variable the function updates is replaced
        by a new one holding a copy of its value, so calls of the copy never change
        the original's state (shared variables only read stay shared, as in Theano).
        `swap={old: new}` makes the copy use shared variable `new` wherever this
        function uses `old`; `delete_updates=True` drops every update.
        """
        from .persist import copy_function
        return copy_function(self, share_memory, swap, delete_updates, name, profile)

    def __reduce__(self):
        from .persist import reduce_function
        return reduce_function(self)

    def free(self):
        pass

    def finish_compile(self, timeout=None):
        """Wait until the calls run on the backend's own code (with
        `config.compile_in_background` they run on the NumPy backend's until its compile
        finished): True once they do, False if `timeout` seconds passed first.  Raises
        the error the backend's compile raised."""
        return True if self.background_link is None else self.background_link.wait(timeout)

    def switch_to(self, executable):
        """Run the next calls on `executable` (a link of the same graph)."""
        self.replaced, self.executable = self.executable, executable
        self._fast = _generate_call(self)

    def _explain(self, exc):
        for executable in (self.executable, self.replaced):
            found = None if executable is None else explain(exc, executable, self.name)
            if found is not None:
                return found
        return None

    def __repr__(self):
        return f'<tracegraph.Function {self.name} on {self.backend}>'


def _generate_call(fn):
    """Source for the per-call path: cheap type checks, the run, then all updates at once."""
    env = {'ndarray': np.ndarray, 'NUMBERS': NUMBERS, 'run': fn.executable.run, 'explain': fn._explain}
    args, lines = [], []
    # A backend may take its own arrays as inputs unconverted (e.g. Dask arrays).
    native = getattr(backends.registered().get(fn.backend), 'native_input', None)
    for pos, spec in enumerate(fn.ins):
        arg = f'a{pos}'
        args.append(arg)
        ttype = spec.variable.type
        env[f'filter{pos}'] = _filter_for(spec, pos, native)
        if hasattr(ttype, 'dtype') and hasattr(ttype, 'shape'):
            env[f'dtype{pos}'] = np.dtype(ttype.dtype)
            cond = [f'{arg}.__class__ is not ndarray', f'{arg}.dtype is not dtype{pos}',
                    f'{arg}.ndim != {ttype.ndim}']
            cond += [f'{arg}.shape[{ax}] != {n}' for ax, n in enumerate(ttype.shape) if n is not None]
            if ttype.ndim == 0 and not spec.strict:
                env[f'number{pos}'] = _number_filter(env[f'dtype{pos}'], env[f'filter{pos}'])
                lines.append(f'    if {arg}.__class__ in NUMBERS: {arg} = number{pos}({arg})')
                lines.append(f'    elif {" or ".join(cond)}: {arg} = filter{pos}({arg})')
            else:
                lines.append(f'    if {" or ".join(cond)}: {arg} = filter{pos}({arg})')
        else:
            lines.append(f'    {arg} = filter{pos}({arg})')
    lines += _run_lines(fn, env, args)
    if fn.single:
        lines.append('    return r[0]')
    elif fn.n_outputs == 0:
        lines.append('    return []')
    else:
        lines.append(f'    return [{", ".join(f"r[{i}]" for i in range(fn.n_outputs))}]')
    source = f'def call({", ".join(args)}):\n' + '\n'.join(lines) + '\n'
    exec_with_source(source, f'call {fn.name}', env)
    return env['call']


def _run_lines(fn, env, args):
    """Read the shared values, run, write the updates: under the shared containers'
    locks when the function touches any (see locking.py for why and which)."""
    reads = [var.container for var in fn.shared_variables]
    writes = [target.container for target, _ in fn.updates]
    # Reading one value is atomic already: a reader of one shared variable takes no lock.
    locks = ordered_locks(reads, writes) if writes or len(reads) > 1 else []
    bind(env, locks)
    shared_args = []
    for k, box in enumerate(reads):
        env[f'box{k}'] = box
        shared_args.append(f'box{k}.value')
    snapshot = []
    if locks and not writes:
        # A reader: one consistent snapshot under the locks, then run without them.
        snapshot = hold(len(locks), [f's{k} = {arg}' for k, arg in enumerate(shared_args)])
        shared_args = [f's{k}' for k in range(len(shared_args))]
    run = []
    if fn.profile is not None:
        env['clock'], env['stats'] = time.perf_counter, fn.profile
        run.append('started = clock()')
    run += ['try:',
            f'    r = run({", ".join(args + shared_args)})',
            'except Exception as exc:',
            '    new = explain(exc)',
            '    if new is None: raise',
            '    raise new from exc']
    if fn.profile is not None:
        run.append('stats.add_call(clock() - started)')
    for j, box in enumerate(writes):
        env[f'target{j}'] = box  # updated, though perhaps never read
        run.append(f'target{j}.value = r[{fn.n_outputs + j}]')
    if writes:
        run = hold(len(locks), run)
    return ['    ' + line for line in snapshot + run]


NUMBERS = frozenset({int, float, bool})


def _number_filter(dtype, full_filter):
    """A Python number for a 0-d input: made an array directly when that is exact.

    `TensorType.filter` answers every case (precision, floatX, errors) with several
    NumPy calls, a few µs that dominate a scalar function's call.  A number that
    survives the trip to `dtype` unchanged is accepted there too, so only the
    others need it.
    """
    def convert(value):
        try:
            data = np.array(value, dtype=dtype)
        except (OverflowError, ValueError):
            return full_filter(value)
        return data if data.item() == value else full_filter(value)
    return convert


def _filter_for(spec, pos, native=None):
    ttype = spec.variable.type
    label = f'input {spec.name!r}' if spec.name else f'input {pos}'

    def filter_value(value):
        if native is not None:
            found = native(ttype, value, spec.allow_downcast, label)
            if found is not None:
                return found
        return ttype.filter(value, strict=spec.strict, allow_downcast=spec.allow_downcast, what=label)
    return filter_value
