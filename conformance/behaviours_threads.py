"""Behaviours of threads within a process (PROC-THREAD, PROC-STATUS, PROC-KILL).

Part of the catalogue (``behaviours_catalogue``); see ``behaviours_base`` for
what a behaviour and its predicate are. A thread's task is read through
``spec.tasks``: the tables are the task's, the status the thread's.
"""

from __future__ import annotations

from veridian_ipc.spec.state import KernelState, Waiting
from veridian_ipc.spec.tasks import task_of, threads_of
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.results import BLOCKED, Result
from veridian_ipc.vocabulary.syscalls import (
    Derive,
    Drop,
    Inspect,
    Kill,
    Operation,
    Receive,
    Revoke,
    Send,
    SpawnThread,
)

from .behaviours_base import History, behaviour, cap_at, failed_with, ok

R = RuleId
S = KernelState
H = History


def _siblings(s: S, pid: int) -> tuple[Pid, ...]:
    """The other live threads of ``pid``'s task (none if ``pid`` is dead)."""
    if type(pid) is not int or Pid(pid) not in s.processes:
        return ()
    return tuple(t for t in threads_of(s, task_of(s, Pid(pid))) if t != pid)


@behaviour(
    "B-PROC-THREADS-BOTH-WAIT",
    (R.PROC_THREAD, R.PORT_RECEIVE),
    "a thread blocks in a receive on a port where a sibling thread of its"
    " process already waits (two waiters of one task)",
    Receive,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    if not (ok(r) and r.value == BLOCKED):  # type: ignore[union-attr]
        return False
    c = cap_at(pre, pid, getattr(op, "handle", None))
    return c is not None and any(
        isinstance(st := pre.processes[t].status, Waiting) and st.port == c.obj
        for t in _siblings(pre, pid)
    )


@behaviour(
    "B-PROC-THREAD-ACTS-WHILE-SIBLING-WAITS",
    (R.PROC_THREAD, R.PROC_STATUS),
    "a running thread sends, derives, drops or inspects on its process's"
    " table while a sibling thread is blocked in a receive",
    Send,
    Derive,
    Drop,
    Inspect,
    Revoke,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return ok(r) and any(
        isinstance(pre.processes[t].status, Waiting) for t in _siblings(pre, pid)
    )


@behaviour(
    "B-PROC-KILL-ALL-THREADS",
    (R.PROC_KILL, R.PROC_THREAD),
    "a process with two or more threads is killed (every thread ends)",
    Kill,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    target = getattr(op, "target", None)
    return ok(r) and len(_siblings(pre, target)) >= 1  # type: ignore[arg-type]


@behaviour(
    "B-PROC-THREAD-SHARED-HANDLE",
    (R.PROC_THREAD, R.CAP_HANDLE),
    "a thread other than its process's first uses a handle of the shared"
    " table successfully",
    Send,
    Receive,
    Derive,
    Drop,
    Inspect,
    Revoke,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    p = pre.processes.get(Pid(pid)) if type(pid) is int else None
    return (
        ok(r)
        and p is not None
        and p.task is not None
        and cap_at(pre, pid, getattr(op, "handle", None)) is not None
    )


@behaviour(
    "B-PROC-THREAD-NO-PROCESS",
    (R.PROC_THREAD,),
    "a thread is spawned in a process that is not alive (NoSuchProcess)",
    SpawnThread,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return failed_with(r, "NoSuchProcess")
