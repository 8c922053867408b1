"""Which locks a compiled function's call takes, and in what order.

A call reads the values of its shared variables, runs, then writes the updated
values back.  Two threads calling functions that update the same shared variable
would interleave those steps and lose updates (or draw the same random numbers
twice), so such a call holds the lock of every container it reads or writes from
its first read to its last write.  A function without updates only takes the locks
while it reads its shared values (one consistent snapshot: never half of another
call's updates), and runs outside them, so many readers still run in parallel.
A function that touches no shared variable takes no lock at all.

Locks are always taken in the order of the containers' `uid` (fixed when the
container is made), so two calls needing overlapping sets of locks cannot
deadlock.  They are re-entrant: a Python op that calls another compiled function
on the same shared variable, from inside a call, does not hang.
"""
from __future__ import annotations


def ordered_locks(read_containers, written_containers):
    """The locks of all containers, each once, in the global (uid) order."""
    boxes = {box.uid: box for box in list(read_containers) + list(written_containers)}
    return [boxes[uid].lock for uid in sorted(boxes)]


def lock_statement(names):
    """The `with` header that holds the named locks (in the given order)."""
    return f'with {", ".join(names)}:'
