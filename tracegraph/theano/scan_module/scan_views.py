"""Theano's scan views: map, reduce, foldl and foldr, each one call of `scan`.

Each returns `(outputs, updates)` as Theano's did; reduce and the folds return the
last step of each output (scan keeps only that step in memory when nothing else is
used).
"""
from __future__ import annotations

from ...scan import scan


def map(fn, sequences, non_sequences=None, truncate_gradient=-1, go_backwards=False,  # noqa: A001
        mode=None, name=None):
    """fn applied to each step of the sequences: `map(lambda x: x ** 2, [v])`."""
    return scan(fn, sequences=sequences, outputs_info=None, non_sequences=non_sequences,
                truncate_gradient=truncate_gradient, go_backwards=go_backwards, name=name)


def reduce(fn, sequences, outputs_info, non_sequences=None, go_backwards=False, mode=None,  # noqa: A001
           name=None):
    """fn folded over the sequences from `outputs_info`; returns the final values."""
    outputs, updates = scan(fn, sequences=sequences, outputs_info=outputs_info,
                            non_sequences=non_sequences, go_backwards=go_backwards, name=name)
    if isinstance(outputs, (list, tuple)):
        return [o[-1] for o in outputs], updates
    return outputs[-1], updates


def foldl(fn, sequences, outputs_info, non_sequences=None, mode=None, name=None):
    """reduce from the first step to the last."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=False, name=name)


def foldr(fn, sequences, outputs_info, non_sequences=None, mode=None, name=None):
    """reduce from the last step to the first."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=True, name=name)
