"""Running generated Python source so that tracebacks, `inspect` and `f.source` see it.

Every piece of code tracegraph or a backend generates (the per-call wrapper of a
Function, a backend's graph function, fused kernel bodies, scan loops) goes through
`exec_with_source`: the source gets a unique `<tracegraph-...>` filename registered
in linecache, so a traceback through it prints the generated line, and
`generated_source(fn)` finds the text again from the function alone.

`generated_parts(fn)` walks from one generated function to the generated code it
calls (its globals, closures, bound methods' objects), which is how `f.source`
shows everything that runs for a call.
"""
from __future__ import annotations

import itertools
import linecache
import types

_ids = itertools.count()
PREFIX = '<tracegraph-'


def exec_with_source(source, filename_hint, namespace):
    """Execute `source` in `namespace` (a dict, filled in place) under a fresh filename
    `<tracegraph-{filename_hint} #n>` registered with linecache; returns the filename.

    linecache keeps entries whose mtime is None through `checkcache`, so the lines
    stay readable for as long as the process runs (as for torch.fx's generated code).
    """
    filename = f'{PREFIX}{str(filename_hint)[:160]} #{next(_ids)}>'
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, 'exec'), namespace)
    return filename


def generated_source(obj):
    """The source text `obj` (a function, or an object with `__tracegraph_source__`)
    was generated from, or None when it is ordinary code."""
    code = getattr(obj, '__code__', None)
    if isinstance(code, types.CodeType):
        filename = code.co_filename
        if filename.startswith(PREFIX) and filename in linecache.cache:
            return ''.join(linecache.cache[filename][2])
        return None
    own = getattr(type(obj), '__tracegraph_source__', None)
    return obj.__tracegraph_source__ if own is not None else None


def _neighbours(obj):
    """(name, value) pairs of what `obj` may call: a generated function's globals, any
    function's closure cells, a bound method's object, an object's own kernels."""
    if isinstance(obj, types.MethodType):
        return [('', obj.__self__)]
    out = []
    code = getattr(obj, '__code__', None)
    if isinstance(code, types.CodeType):
        if code.co_filename.startswith(PREFIX):
            out += [(name, value) for name, value in obj.__globals__.items()
                    if name in code.co_names and not name.startswith('__')]
        cells = getattr(obj, '__closure__', None) or ()
        for name, cell in zip(code.co_freevars, cells):
            try:
                out.append((name, cell.cell_contents))
            except ValueError:  # an empty cell
                pass
    parts = getattr(type(obj), '__tracegraph_parts__', None)
    if parts is not None:
        out += list(obj.__tracegraph_parts__())
    return out


def generated_parts(root, name='call', depth=4):
    """{name: source} of `root` and of the generated code reachable from it, in the
    order met; nested names are dotted (`k_fused.plain`)."""
    found, seen = {}, set()

    def visit(obj, label, left):
        if id(obj) in seen or left < 0:
            return
        seen.add(id(obj))
        text = generated_source(obj)
        if text is not None and text not in found.values():
            found[label] = text
        module = text is not None and isinstance(getattr(obj, '__code__', None), types.CodeType)
        for sub, value in _neighbours(obj):
            if callable(value) or hasattr(type(value), '__tracegraph_source__'):
                # A generated module's global is named as it is; what a kernel holds
                # (a closure cell, a method's object, a part) is named under the kernel.
                child = sub if module else (f'{label}.{sub}' if sub else label)
                visit(value, child, left - 1)
    visit(root, name, depth)
    return found
