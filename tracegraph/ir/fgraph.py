"""FunctionGraph: a graph with named inputs and outputs, ready to rewrite and compile.

It owns a private copy of the user's graph, tracks who reads each variable
(`clients`), and supports the one basic rewrite: `replace(old, new)`.
"""
from __future__ import annotations

from .readers import Readers
from .traversal import clone_graph, toposort
from .variable import Constant


class FunctionGraph:
    def __init__(self, inputs, outputs, clone=True, replace=None):
        if clone:
            inputs, outputs, _ = clone_graph(inputs, outputs, replace=replace)
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.rewrites_applied = []
        self._rebuild_clients()
        self._check_inputs()

    def _rebuild_clients(self):
        self.clients = {v: Readers() for v in self.inputs}
        self.apply_nodes = set()
        for node in toposort(self.outputs, blockers=self.inputs):
            self._add_node(node)
        for i, out in enumerate(self.outputs):
            self.clients.setdefault(out, Readers()).append(('output', i))

    def _add_node(self, node):
        self.apply_nodes.add(node)
        for i, inp in enumerate(node.inputs):
            self.clients.setdefault(inp, Readers()).append((node, i))
        for out in node.outputs:
            self.clients.setdefault(out, Readers())

    def _import(self, variable):
        """Register the nodes behind `variable` that the graph does not know yet."""
        stack = [variable]
        while stack:
            v = stack.pop()
            self.clients.setdefault(v, Readers())
            if v.owner is not None and v.owner not in self.apply_nodes and v not in self.inputs:
                self._add_node(v.owner)
                stack.extend(v.owner.inputs)

    def _prune(self, variable):
        """Drop the nodes that nothing reads any more, starting from `variable`'s owner."""
        stack = [variable.owner] if variable.owner is not None else []
        while stack:
            node = stack.pop()
            if node not in self.apply_nodes or any(self.clients.get(o) for o in node.outputs):
                continue
            self.apply_nodes.discard(node)
            for o in node.outputs:
                self.clients.pop(o, None)
            for i, inp in enumerate(node.inputs):
                readers = self.clients.get(inp, ())
                if (node, i) in readers:
                    readers.remove((node, i))
                if not readers and inp.owner is not None:
                    stack.append(inp.owner)

    def _check_inputs(self):
        inputs = set(self.inputs)
        for node in self.apply_nodes:
            for inp in node.inputs:
                if inp.owner is None and inp not in inputs and not isinstance(inp, Constant):
                    raise MissingInputError(inp, node)

    def toposort(self):
        return toposort(self.outputs, blockers=self.inputs)

    def __getstate__(self):
        # Pickled as its inputs and outputs; who reads what is rebuilt when loaded.
        state = dict(self.__dict__)
        state.pop('clients', None)
        state.pop('apply_nodes', None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._rebuild_clients()

    def variables(self):
        return list(self.clients)

    def replace(self, old, new, reason=None):
        """Make every reader of `old` read `new` instead, and drop what is left unread."""
        if old is new:
            return
        if old.type != new.type:
            raise TypeError(f'replace {old} ({old.type}) by {new} ({new.type}): types differ'
                            + (f' (rewrite {reason})' if reason else ''))
        if new not in self.clients:
            self._import(new)
        readers = self.clients.get(old, ())
        self.clients[old] = Readers()
        for client, i in readers:
            if client == 'output':
                self.outputs[i] = new
            else:
                client.inputs[i] = new
            self.clients[new].append((client, i))
        self._prune(old)
        if reason:
            self.rewrites_applied.append(reason)

    def replace_all(self, pairs, reason=None):
        for old, new in pairs:
            self.replace(old, new, reason)

    def __str__(self):
        return f'FunctionGraph({", ".join(map(str, self.outputs))})'


class MissingInputError(ValueError):
    def __init__(self, variable, node):
        where = f' (built at {node.source})' if node.source else ''
        super().__init__(
            f'{node.op} reads {variable}, which is neither an input of the function, '
            f'a shared variable nor a constant{where}. Add it to the inputs, or use givens.')
        self.variable = variable
