"""Seeded spec bugs in threads within a process (PROC-THREAD, PROC-KILL).

Two mistakes the exhaustive check must catch (scope ``threads``): a kill that
ends only the thread it names, leaving its siblings alive without a task
(INV-TASKS, STEP-KILL-ALL-THREADS), and a new thread that gets a task of its
own instead of joining its process's (STEP-THREADS-ONE-TABLE: it would not
share the handle table). ``spec_mutants.MUTANTS`` lists them.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.spec.state import KernelState, Process
from veridian_ipc.spec.store import Step, fail
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.results import Ok


def kill_named_thread_only(s: KernelState, task: Pid) -> tuple[Pid, ...]:
    """A task's threads forgotten: PROC-KILL ends its first thread only."""
    return (task,)


def thread_own_task(s: KernelState, op: sc.SpawnThread) -> Step:
    """PROC-THREAD giving the new thread a task, and a table, of its own."""
    if Pid(op.process) not in s.processes:
        return fail(s, IpcError.NoSuchProcess)
    pid = Pid(s.next_pid)
    s = replace(s, processes=s.processes.set(pid, Process()), next_pid=pid + 1)
    return s, Ok(pid)


__all__ = ["kill_named_thread_only", "thread_own_task"]
