"""Readers: who reads one variable of a FunctionGraph, as an insertion-ordered set.

A list made pruning quadratic: a constant shared by every link of a 10,000-link
chain has 20,000 readers, and dropping each one searched the list.  Readers keep
a list's face (append, iteration in order, `readers[0]`, `readers[:] = ...`,
comparison with a list) with O(1) membership and removal.
"""
from __future__ import annotations


class Readers:
    __slots__ = ('_entries',)

    def __init__(self, entries=()):
        self._entries = dict.fromkeys(entries)

    def append(self, entry):
        self._entries[entry] = None

    def remove(self, entry):
        del self._entries[entry]

    def __contains__(self, entry):
        return entry in self._entries

    def __iter__(self):
        return iter(self._entries)

    def __len__(self):
        return len(self._entries)

    def __getitem__(self, k):
        if k == 0 and self._entries:
            return next(iter(self._entries))
        return list(self._entries)[k]

    def __setitem__(self, k, entries):
        if k != slice(None):
            raise TypeError('Readers can only be replaced whole: readers[:] = entries')
        self._entries = dict.fromkeys(entries)

    def __eq__(self, other):
        return list(self._entries) == list(other)

    __hash__ = None

    def __repr__(self):
        return f'Readers({list(self._entries)!r})'
