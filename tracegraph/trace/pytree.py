"""Containers of arrays ("pytrees"): flattening arguments and results with optree.

Tuples, lists, dicts, named tuples and `None` are optree's built-in nodes.  Plain
dataclasses are not, so the first time one is seen its class is registered here, in
tracegraph's own optree namespace (other libraries' registrations are untouched): its
`init` fields become the children, so `unflatten` can rebuild it with its constructor.
"""
from __future__ import annotations

import dataclasses

import optree

NAMESPACE = 'tracegraph'


def flatten(tree):
    """(leaves, treedef) of `tree`; dataclass instances are containers, not leaves."""
    while True:
        leaves, treedef = optree.tree_flatten(tree, namespace=NAMESPACE)
        new = {type(leaf) for leaf in leaves if _is_dataclass_instance(leaf)}
        if not new:
            return leaves, treedef
        for cls in new:
            _register_dataclass(cls)


def flatten_with_accessors(tree):
    """(accessors, leaves, treedef); an accessor is the tuple of path entries of a leaf,
    each with `.entry` (an index or key) and `.codify('')` (code such as `['w']`)."""
    flatten(tree)  # registers any dataclass on the way
    return optree.tree_flatten_with_accessor(tree, namespace=NAMESPACE)


def unflatten(treedef, leaves):
    return optree.tree_unflatten(treedef, leaves)


def _is_dataclass_instance(value):
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _register_dataclass(cls):
    names = tuple(f.name for f in dataclasses.fields(cls) if f.init)

    def flatten_one(obj):
        return [getattr(obj, n) for n in names], names, names

    def unflatten_one(field_names, children):
        return cls(**dict(zip(field_names, children)))

    try:
        optree.register_pytree_node(cls, flatten_one, unflatten_one,
                                    path_entry_type=optree.GetAttrEntry, namespace=NAMESPACE)
    except ValueError:
        pass  # another thread registered it first
