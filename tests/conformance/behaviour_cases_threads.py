"""Scenarios of the thread behaviours (``behaviours_threads``), for
``test_behaviours``: behaviour -> (a scenario whose last step reaches it, a
close one that never does). Three processes; pid 4 is process 1's second
thread once ``SpawnThread(1)`` ran."""

from __future__ import annotations

from veridian_ipc.vocabulary.syscalls import (
    Bind,
    CreatePort,
    Derive,
    Inspect,
    Kill,
    Lookup,
    Operation,
    Receive,
    SpawnThread,
)

Steps = list[tuple[int, Operation]]

#: process 1 holds a port (its h1) and has a second thread, pid 4
THREAD: Steps = [(1, CreatePort(2)), (0, SpawnThread(1))]
#: process 2 holds a SEND copy of it (its h1)
SHARED: Steps = [*THREAD, (1, Bind(1, "a", 0, 15)), (2, Lookup("a"))]

THREAD_CASES: dict[str, tuple[Steps, Steps]] = {
    "B-PROC-THREADS-BOTH-WAIT": (
        [*THREAD, (1, Receive(1, None)), (4, Receive(1, None))],
        [*SHARED, (2, Receive(1, None)), (1, Receive(1, None))],
    ),
    "B-PROC-THREAD-ACTS-WHILE-SIBLING-WAITS": (
        [*THREAD, (1, Receive(1, None)), (4, Derive(1, 1))],
        [*SHARED, (2, Receive(1, None)), (1, Derive(1, 1))],
    ),
    "B-PROC-KILL-ALL-THREADS": (
        [*THREAD, (0, Kill(4))],
        [(1, CreatePort(2)), (0, Kill(1))],
    ),
    "B-PROC-THREAD-SHARED-HANDLE": (
        [*THREAD, (4, Inspect(1))],
        [*THREAD, (1, Inspect(1))],
    ),
    "B-PROC-THREAD-NO-PROCESS": (
        [(0, Kill(1)), (0, SpawnThread(1))],
        [(0, SpawnThread(1)), (0, SpawnThread(4))],
    ),
}
