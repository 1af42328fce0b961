"""Tasks and threads (group "caps"): who holds the tables, who blocks.

The actor ``pid`` of ``step(state, pid, op)`` is a **thread**. Threads are
grouped in **tasks**: a task holds the process's authority, that is its handle
table, its buffer mappings, its sockets (file descriptors), its quota counts
and its namespace authority (``may_bind``, ``may_lookup``); each thread has its
own status (running, waiting in a receive, woken: PROC-STATUS) and blocks on
its own. A task is named by the pid of its first thread, which ``Spawn``
creates (PROC-SPAWN); ``SpawnThread`` adds a thread to an existing task
(PROC-THREAD); ``Kill`` ends a whole task (PROC-KILL). "Process" in the other
chapters means the task when it speaks of tables and authority, and the
thread when it speaks of blocking.

Precedent: Mach's task / thread split (a task holds the port-right namespace,
its threads block independently in ``mach_msg``), Zircon's process / thread
(handles belong to the process; each thread waits on its own, and
``zx_task_kill`` on a process kills every thread of it), and seL4, where
several TCBs may share one CSpace root. The seed's ports keep a queue of
"waiting threads": with this split that queue is a queue of thread pids, and
a port's waiters, hand-offs and deadlines need no other change.

Representation (``spec/state.py``): every thread is a ``Process`` record in
``KernelState.processes``. A task's first thread has ``task`` None and holds
the task's tables; every other thread has ``task`` set to that first pid and
empty tables of its own, never read. Every access to a table goes through
``table_of`` / ``put_table`` below (never ``processes[pid].handles``), so a
thread reads and writes its task's tables. A capability held in a table, or a
socket's capability, records the task's pid (``AtHandle.pid``,
``InSocket.pid``). A message, though, is stamped with its sending
*thread's* pid (MSG-SENDER; spec/processes.py says so too): the receiver
learns which thread sent it, as L4's IPC names the sending thread and QNX's
``MsgReceive`` info gives the thread beside the process, and finds its task
with ``task_of``. This departs from POSIX's ``SO_PEERCRED`` and Mach's audit
trailer, which name only the process or task.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.vocabulary.names import Pid

from .state import KernelState, Process


def task_of(s: KernelState, pid: Pid) -> Pid:
    """The task of thread ``pid`` (a live thread): its first thread's pid."""
    t = s.processes[pid].task
    return pid if t is None else t


def table_of(s: KernelState, pid: Pid) -> Process:
    """The record holding the tables of thread ``pid``'s task (its first
    thread's record): handles, mappings, fds, namespace authority."""
    t = s.processes[pid].task
    return s.processes[pid if t is None else t]


def put_table(s: KernelState, pid: Pid, p: Process) -> KernelState:
    """``s`` with the tables of thread ``pid``'s task replaced by ``p``'s (``p``
    is the task's record as ``table_of`` gave it, tables changed)."""
    return replace(s, processes=s.processes.set(task_of(s, pid), p))


def threads_of(s: KernelState, task: Pid) -> tuple[Pid, ...]:
    """Every live thread of task ``task``, in pid order (the first first)."""
    return tuple(
        sorted(pid for pid, p in s.processes.items() if pid == task or p.task == task)
    )


def is_task(p: Process) -> bool:
    """Whether record ``p`` is a task's first thread (it holds the tables)."""
    return p.task is None


__all__ = ["is_task", "put_table", "table_of", "task_of", "threads_of"]
