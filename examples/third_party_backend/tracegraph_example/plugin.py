"""The `example` backend: everything lowered as the NumPy backend lowers it.

It registers a backend (`tracegraph_backends`) and answers `tracegraph_lower_op`
for backend 'example' by asking the plugins how the 'numpy' backend runs the node.
Its linker is the NumPy backend's code generator, run with this backend's lowerings.
"""
from __future__ import annotations

from tracegraph import backends
from tracegraph.backends import Backend
from tracegraph.hookspecs import backend_hookimpl, hookimpl

NAME = 'example'


class ExampleBackend(Backend):
    name = NAME
    version = '0.1.0'
    description = 'NumPy backend with exp lowered by a plugin override (a worked example)'

    def link(self, fgraph, options):
        from tracegraph_numpy import linker
        lowerings = backends.lower_graph(NAME, fgraph)
        source, env, line_nodes = linker.generate(fgraph, lowerings)
        run, filename = linker.compile_source(source, env, options.get('name') or 'f')

        def node_at(file, lineno):
            return line_nodes.get(lineno) if file == filename else None
        return backends.Executable(run=run, source=source, node_at=node_at)


@hookimpl
def tracegraph_backends():
    return [ExampleBackend()]


def _delegate(hook, node):
    return getattr(backends.plugin_manager().hook, hook)(backend='numpy', node=node)


@backend_hookimpl(NAME)
def tracegraph_lower_op(backend, node):
    return _delegate('tracegraph_lower_op', node)


@backend_hookimpl(NAME)
def tracegraph_lower_scan(backend, node):
    return _delegate('tracegraph_lower_scan', node)


@backend_hookimpl(NAME)
def tracegraph_lower_random(backend, node):
    return _delegate('tracegraph_lower_random', node)
