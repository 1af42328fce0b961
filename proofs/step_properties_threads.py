"""Step properties of threads within a process (PROC-THREAD, spec/tasks.py).

Three claims, stated over one transition and read from the states alone:

- *siblings run on*: a step of one thread never changes the status of
  another thread of its task, except to wake a sibling whose receive ends
  through the shared table (its capability dropped, moved or revoked:
  ``Woken``) or by a hand-off, and the kill of the task; a thread that
  blocks never blocks its siblings;
- *one table per task*: every thread reads its task's tables: no record but
  a task's first holds a handle, mapping or socket, and every thread's task
  is alive;
- *kill ends every thread*: a successful ``Kill`` removes every thread of
  the target's task and no other.
"""

from __future__ import annotations

from veridian_ipc.spec.state import Running, Waiting, Woken
from veridian_ipc.spec.tasks import task_of, threads_of
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Pid

from .step_properties_base import Transition, ok


def siblings_run_on(t: Transition) -> str | None:
    """PROC-STATUS: one thread's step does not block another of its task."""
    if t.op.environment or t.pid not in t.pre.processes:
        return None
    task = task_of(t.pre, t.pid)
    for other in threads_of(t.pre, task):
        if other == t.pid or other not in t.post.processes:
            continue
        before = t.pre.processes[other].status
        after = t.post.processes[other].status
        if isinstance(before, Running) and not isinstance(after, Running):
            return f"thread {t.pid}'s step blocked its sibling {other}"
        if isinstance(before, Waiting) and not isinstance(after, Waiting | Woken):
            return f"thread {t.pid}'s step resumed its sibling {other}"
    return None


def one_table_per_task(t: Transition) -> str | None:
    """PROC-THREAD: the tables live on the task's first record only, and a
    new thread joins the task of the thread it was spawned in."""
    if isinstance(t.op, sc.SpawnThread) and ok(t):
        new = t.result.value  # type: ignore[union-attr]
        assert isinstance(new, int)
        want = task_of(t.pre, Pid(t.op.process))
        if task_of(t.post, Pid(new)) != want:
            return f"thread {new} did not join task {want}"
    for pid, p in t.post.processes.items():
        if p.task is None:
            continue
        first = t.post.processes.get(p.task)
        if first is None or first.task is not None:
            return f"thread {pid}'s task {p.task} is not a live task"
        if p.handles or p.mappings or p.fds:
            return f"thread {pid} holds a table of its own"
    return None


def kill_ends_every_thread(t: Transition) -> str | None:
    """PROC-KILL: a kill removes exactly the target's task's threads."""
    if not (isinstance(t.op, sc.Kill) and ok(t)):
        return None
    doomed = set(threads_of(t.pre, task_of(t.pre, Pid(t.op.target))))
    gone = set(t.pre.processes.keys()) - set(t.post.processes.keys())
    if gone != doomed:
        return f"Kill removed threads {sorted(gone)}, not {sorted(doomed)}"
    return None


__all__ = ["kill_ends_every_thread", "one_table_per_task", "siblings_run_on"]
