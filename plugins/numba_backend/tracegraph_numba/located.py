"""The user's lines in a graph module: numbered in the file, written back when shown or raised.

Written as file and line, they would change the module's text (its disk-cache key)
whenever the user edits their file above the graph, and compile it again.  So
lowerings write a marker (`lowered.location_marker`), the module holds `#0`, `#1`...,
`f.source` shows the lines, and the call wrapper puts the line back into messages.
"""
from __future__ import annotations

import re

MARKER = re.compile(r'<tg-node (\d+)>')
NUMBERED = re.compile(r' \(built at #(\d+)\)')


def numbered(text, nodes_by_id):
    """`text` with each marker as `#k`, numbered in order of first appearance (what the
    module file holds), and the user's line (node.source) of each number."""
    numbers = {}    # id(node) -> number, in the order numbered

    def number(match):
        key = int(match.group(1))
        return f'#{numbers.setdefault(key, len(numbers))}'
    text = MARKER.sub(number, text)
    return text, [nodes_by_id[key].source for key in numbers]


def shown(text, nodes_by_id):
    """`text` with each marker as the user's line: what `f.source` shows."""
    return MARKER.sub(lambda m: str(nodes_by_id[int(m.group(1))].source), text)


def with_location(exc, sources):
    """`exc` again with `(built at #k)` in its message written as the user's line,
    or None when its message has no such mark (or its type takes no message)."""
    if len(exc.args) != 1 or not isinstance(exc.args[0], str):
        return None
    message = exc.args[0]
    located = NUMBERED.sub(lambda m: f' (built at {sources[int(m.group(1))]})', message)
    if located == message:
        return None
    try:
        return type(exc)(located)
    except Exception:
        return None
