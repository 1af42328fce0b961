"""Mutants of threads within a process (PROC-THREAD, PROC-STATUS, PROC-KILL):
a kill that leaves the target's sibling threads alive, a new thread with a
handle table of its own, and a thread blocked by its sibling's wait.

Each runs the spec's step and bends it exactly where threads matter, so it
agrees with the spec on every run that spawns no thread.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.spec import RuleId as R
from veridian_ipc.spec.state import Process, Running
from veridian_ipc.spec.tasks import task_of, threads_of
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.results import Err, Ok, Result
from veridian_ipc.vocabulary.syscalls import Kill, Operation, Resume, SpawnThread

from .mutants_base import Mutant


class KillLeavesSiblings(Mutant):
    """A kill ends the task's tables and the thread named, but the task's other
    threads live on (as empty processes of their own)."""

    rules = (R.PROC_KILL, R.PROC_THREAD)

    def apply(self, pid: int, op: Operation) -> Result:
        if not isinstance(op, Kill) or type(op.target) is not int:
            return self.spec_apply(pid, op)
        target = Pid(op.target)
        if target not in self.state.processes:
            return self.spec_apply(pid, op)
        spared = [
            t
            for t in threads_of(self.state, task_of(self.state, target))
            if t != target
        ]
        r = self.spec_apply(pid, op)
        if isinstance(r, Ok):
            procs = self.state.processes
            for t in spared:
                procs = procs.set(t, Process())
            self.state = replace(self.state, processes=procs)
        return r


class PerThreadTables(Mutant):
    """A new thread gets a handle table (and mappings, sockets) of its own
    instead of sharing its process's."""

    rules = (R.PROC_THREAD, R.CAP_HANDLE)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, SpawnThread) and isinstance(r, Ok):
            new = Pid(r.value)  # type: ignore[arg-type]
            task = self.state.processes[task_of(self.state, Pid(op.process))]
            own = Process(may_bind=task.may_bind, may_lookup=task.may_lookup)
            self.state = replace(
                self.state, processes=self.state.processes.set(new, own)
            )
        return r


class SiblingBlocks(Mutant):
    """A thread whose sibling is blocked in a receive is blocked too: it gets
    ``ProcessBlocked`` for anything but ``Resume`` (one thread per process)."""

    rules = (R.PROC_STATUS, R.PROC_THREAD)

    def apply(self, pid: int, op: Operation) -> Result:
        s = self.state
        if (
            type(pid) is int
            and Pid(pid) in s.processes
            and isinstance(op, Operation)
            and not op.environment
            and not isinstance(op, Resume)
            and any(
                not isinstance(s.processes[t].status, Running)
                for t in threads_of(s, task_of(s, Pid(pid)))
            )
        ):
            return Err(IpcError.ProcessBlocked)
        return self.spec_apply(pid, op)


__all__ = ["KillLeavesSiblings", "PerThreadTables", "SiblingBlocks"]
