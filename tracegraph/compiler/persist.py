"""Copying and pickling compiled functions.

A Function is its rewritten graph, its input specs, its updates and the backend
that linked it; the executable is only a product of those.  So both a copy and an
unpickled function link the same rewritten graph again (no rewriting: on Numba the
generated module is then found in the disk cache).

Pickling follows Theano's `_pickle_Function`: the shared variables are pickled
with the function, by reference.  Objects pickled together in one `pickle.dumps`
stay together after `pickle.loads`: pickling `(f, W)` gives back a function that
reads and updates the `W` it came with, and two functions pickled together keep
sharing their shared variables.  A function pickled alone comes back with its own
copies of its shared variables (their values as they were when pickled), so
training a loaded model never changes the process that saved it.
"""
from __future__ import annotations

import copy as _copy

from .. import backends
from ..ir import FunctionGraph

# Bumped when the pickled layout changes, so an old pickle fails with a clear message.
# Format 2 holds the function's class, so this module needs no import of function.py.
_FORMAT = 2


def reduce_function(fn):
    """`Function.__reduce__`: rebuild from (graph, inputs, updates, backend, options)."""
    state = {
        'format': _FORMAT,
        'class': type(fn),
        'ins': fn.ins,
        'fgraph': fn.fgraph,
        'backend': fn.backend,
        'shared_variables': fn.shared_variables,
        'update_targets': [target for target, _ in fn.updates],
        'n_outputs': fn.n_outputs,
        'single': fn.single,
        'name': fn.name,
        'link_options': fn.link_options,
    }
    return restore_function, (state,)


def restore_function(state):
    """Link the pickled graph again on its backend and wrap it as a Function."""
    if state.get('format') != _FORMAT:
        raise ValueError(f'this pickled tracegraph function has format {state.get("format")}; '
                         f'this version of tracegraph reads format {_FORMAT}: compile it again')
    fgraph = state['fgraph']
    n = state['n_outputs']
    updates = list(zip(state['update_targets'], fgraph.outputs[n:]))
    return _link(state['class'], state['ins'], fgraph, state['backend'], state['shared_variables'], updates,
                 n, state['single'], state['name'], state['link_options'])


def copy_function(fn, share_memory=True, swap=None, delete_updates=False, name=None,
                  profile=None):
    """Function.copy (see its docstring)."""
    replace = {}
    for old, new in (swap or {}).items():
        if old not in fn.shared_variables and old not in {t for t, _ in fn.updates}:
            raise ValueError(f'copy(swap=...): {old} is not a shared variable of {fn.name}')
        if getattr(new, 'container', None) is None:
            raise TypeError(f'copy(swap=...): {new!r} (for {old}) is not a shared variable')
        if new.type != old.type:
            raise TypeError(f'copy(swap=...): {old} is {old.type} but {new} is {new.type}')
        replace[old] = new
    if not share_memory:
        for target, _ in fn.updates:
            if target not in replace:
                replace[target] = _copy.deepcopy(target)  # a new container, a copied value
    inputs = list(fn.fgraph.inputs)
    outputs = list(fn.fgraph.outputs)
    targets = [t for t, _ in fn.updates]
    if delete_updates:
        outputs, targets = outputs[:fn.n_outputs], []
    fgraph = FunctionGraph(inputs, outputs, clone=True, replace=replace)
    fgraph.update_targets = [replace.get(t, t) for t in targets]
    shared_vars = [replace.get(v, v) for v in fn.shared_variables]
    updates = list(zip(fgraph.update_targets, fgraph.outputs[fn.n_outputs:]))
    options = dict(fn.link_options)
    if name is not None:
        options['name'] = name
    stats = None
    if profile:
        from .profile import ProfileStats
        stats = profile if isinstance(profile, ProfileStats) else ProfileStats(
            profile if isinstance(profile, str) else (name or fn.name))
    ins = [_copy.copy(spec) for spec in fn.ins]
    # The same graph over other shared containers runs the same code: the executable
    # takes every value as an argument, so it is reused (it keeps no state between
    # calls).  Dropping updates changes the graph, and a profile is per executable.
    # One still compiling in the background is waited for: the copy must not keep the
    # NumPy backend's code that runs the calls meanwhile (unless the compile failed).
    if fn.background_link is not None:
        fn.background_link.done.wait()
    same_code = None if delete_updates or stats is not None else fn.executable
    return _link(type(fn), ins, fgraph, fn.backend, shared_vars, updates, fn.n_outputs, fn.single,
                 name or fn.name, options, stats, same_code)


def _link(function_class, ins, fgraph, backend, shared_vars, updates, n_outputs, single, name,
          options, stats=None, executable=None):
    if executable is None:
        executable = backends.get(backend).link(fgraph, dict(options, profile=stats))
    if stats is not None and executable.profile is None:
        executable.profile = stats
    outputs = list(fgraph.outputs[:n_outputs])
    return function_class(ins, fgraph, executable, backend, shared_vars, updates,
                          n_outputs=n_outputs, single=single, name=name, outputs=outputs,
                          link_options=options)
