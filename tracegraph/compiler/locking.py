"""Which locks a compiled function's call takes, and in what order.

A call reads the values of its shared variables, runs, then writes the updated
values back.  Two threads calling functions that update the same shared variable
would interleave those steps and lose updates (or draw the same random numbers
twice), so such a call holds the lock of every container it reads or writes from
its first read to its last write.  A function without updates only takes the locks
while it reads its shared values (one consistent snapshot: never half of another
call's updates), and runs outside them, so many readers still run in parallel.
A function that reads one shared variable (one atomic read) or none takes no lock.

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


def hold(lock_count, body):
    """Lines running `body` (lines) with locks `lock0..lock<n-1>` held, taken in that
    order.  Bound `acquire`/`release` methods (`acquire<k>`, `release<k>` in the
    generated code's namespace) cost half of a `with` statement's protocol."""
    take = '; '.join(f'acquire{k}()' for k in range(lock_count))
    give = '; '.join(f'release{k}()' for k in reversed(range(lock_count)))
    return [take, 'try:'] + ['    ' + line for line in body] + ['finally:', '    ' + give]


def bind(env, locks):
    """Put each lock's bound acquire and release in the generated code's namespace."""
    for k, lock in enumerate(locks):
        env[f'acquire{k}'], env[f'release{k}'] = lock.acquire, lock.release
