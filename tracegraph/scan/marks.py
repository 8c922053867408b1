"""The marks a Scan op's `checkpoint` field holds (see checkpoint.py for what they do)."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

_LOOPS = itertools.count()


@dataclass(frozen=True)
class Checkpoint:
    """On a user's loop: store every `every`-th window ('auto': about sqrt(steps);
    'nested': two levels, see checkpoint.py)."""

    every: object
    loop: int  # which scan() call: ties the loop to the segmented copy its gradient runs

    def __str__(self):
        return f'checkpoint={self.every}'


@dataclass(frozen=True)
class Segments:
    """On the loops of the gradient of checkpointed loop number `loop`: its forward pass
    over segments (`part` 'segments'), over the last steps ('last'), a long loop advancing
    a segment ('advance'), or its backward pass ('backward': over segments, and within one)."""

    loop: int
    part: str = 'segments'

    def __str__(self):
        return self.part if self.part == 'segments' else f'segments {self.part}'


def checkpoint_option(value, name):
    """scan()'s `checkpoint` argument as the op's field (None stays None)."""
    if value is None:
        return None
    whole = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    named = isinstance(value, str) and value in ('auto', 'nested')
    if not named and not (whole and value >= 1):
        raise ValueError(f'scan{f" {name!r}" if name else ""}: checkpoint must be None, '
                         f"'auto', 'nested' or an int >= 1 (store every K-th state), got {value!r}")
    return Checkpoint(value if named else int(value), next(_LOOPS))
