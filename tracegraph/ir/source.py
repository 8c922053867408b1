"""Where in the user's code a node was built.

Every Apply node records the first stack frame outside tracegraph, so that errors
raised while building or running a graph can name the user's own line.
"""
from __future__ import annotations

import linecache
import os
import sys
from dataclasses import dataclass

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_INTERNAL_PREFIXES = [_PACKAGE_DIR + os.sep]
# The conformance suite ships inside the package but is user code: it builds the graphs.
_USER_PREFIXES = [os.path.join(_PACKAGE_DIR, 'testing') + os.sep]


def register_internal_path(path: str) -> None:
    """Mark a directory as library code: frames there are skipped (used by backends)."""
    _INTERNAL_PREFIXES.append(os.path.abspath(path) + os.sep)


@dataclass(frozen=True)
class SourceLocation:
    filename: str
    lineno: int

    @property
    def line(self) -> str:
        return linecache.getline(self.filename, self.lineno).strip()

    def __str__(self) -> str:
        text = self.line
        return f'{self.filename}:{self.lineno}' + (f': {text}' if text else '')


def _is_internal(filename: str) -> bool:
    if any(filename.startswith(p) for p in _USER_PREFIXES):
        return False
    return filename.startswith('<') or any(filename.startswith(p) for p in _INTERNAL_PREFIXES)


def user_location() -> SourceLocation | None:
    """The innermost frame that belongs to the user's code, not to tracegraph."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not _is_internal(filename) or filename.startswith('<stdin') or filename.startswith('<ipython'):
            return SourceLocation(filename, frame.f_lineno)
        frame = frame.f_back
    return None
