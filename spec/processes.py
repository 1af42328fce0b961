"""Processes (group "caps"): creation, threads, death, what a blocked thread may do.

A process is a task and its threads (spec/tasks.py): the task holds
capabilities (its handle table), mappings and file descriptors; each thread
issues operations and blocks on its own. Processes and threads are created
and ended by the environment (``Spawn``, ``SpawnThread``, ``Kill``), not by
one another: the seed has no process-management calls, and the spec needs
only enough of them to model processes and threads coming and going.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.vocabulary._registry import rule
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.results import Ok
from veridian_ipc.vocabulary.syscalls import (
    Kill,
    Operation,
    Resume,
    Spawn,
    SpawnThread,
)

from .blocking import withdraw
from .caps import destroy
from .ports import give_back
from .sockets import close_socket
from .state import RUNNING, KernelState, Process, Running, Waiting
from .store import Step, fail, port, proc, put_obj, put_proc
from .tasks import table_of, task_of, threads_of


@rule(RuleId.PROC_SPAWN)
def spawn(s: KernelState, op: Spawn) -> Step:
    """A new running process with empty tables; pids are never reused.

    An environment operation. ``may_bind`` and ``may_lookup`` are the new
    process's namespace authority (NS-BIND, NS-LOOKUP): whoever creates a
    process decides whether it may publish names and resolve them. Result: the
    new pid, which is the new process's first thread and names its task
    (spec/tasks.py).
    """
    pid = Pid(s.next_pid)
    new = Process(may_bind=op.may_bind, may_lookup=op.may_lookup)
    s = replace(s, processes=s.processes.set(pid, new), next_pid=pid + 1)
    return s, Ok(pid)


@rule(RuleId.PROC_THREAD)
def spawn_thread(s: KernelState, op: SpawnThread) -> Step:
    """A new running thread in the task of thread ``process``; pids are never
    reused.

    An environment operation (a thread is created by the world, like a
    process: the seed has no thread calls). The new thread shares its task's
    handle table, mappings, sockets, quota counts and namespace authority
    (spec/tasks.py): a handle installed through one thread is usable by every
    other, and a drop, revoke or move through one is seen by all. Each thread
    has its own status and blocks on its own (PROC-STATUS): while one waits
    in a receive, its siblings keep issuing operations on the shared table,
    and several threads of one task may wait on one port (the seed's
    "waiting threads"; hand-offs serve them FIFO, whatever their task, as
    any other waiters: PORT-HANDOFF). A receive waiting through a capability
    that leaves the table ends, whichever thread removed it (CAP-DROP,
    RIGHTS-REVOKE, MSG-TRANSFER). ``process`` may name any thread of the
    task. Result: the new thread's pid.

    Precedent: Mach's ``thread_create`` in a task, Zircon's
    ``zx_thread_create`` in a process (handles are the process's, each thread
    waits on its own) and seL4 TCBs sharing one CSpace root. Followed in part:
    there is no thread exit on its own (Zircon's ``zx_thread_exit``): a
    thread ends with its whole task (PROC-KILL); and a message's sender is
    the sending thread's pid (MSG-SENDER), not its task's.

    Errors, in precedence order:

    - ``NoSuchProcess``: ``process`` is not a live thread.
    """
    target = Pid(op.process)
    if target not in s.processes:
        return fail(s, IpcError.NoSuchProcess)
    pid = Pid(s.next_pid)
    new = Process(task=task_of(s, target))
    s = replace(s, processes=s.processes.set(pid, new), next_pid=pid + 1)
    return s, Ok(pid)


@rule(RuleId.PROC_KILL)
def kill(s: KernelState, op: Kill) -> Step:
    """A process ends, every thread of it; everything it held is released,
    nothing else is lost.

    An environment operation (a process may be killed while blocked).
    ``target`` may name any thread of the process: the whole task dies, all
    its threads (Zircon's ``zx_task_kill`` on a process; peer death is about
    the task, which holds the capabilities, spec/tasks.py). Every thread
    waiting in a receive leaves its waiter queue first, and every thread
    blocked in a send its object's blocked senders. Its
    sockets are closed (POSIX-CLOSE), every capability in its handle table is
    destroyed (CAP-DROP: descendants held elsewhere move up to the parent and stay
    valid), its mappings go, and if it was waiting it leaves the waiter queue.
    Ports it created stay open while another process can receive from them
    (closing is a MANAGE act, PORT-CLOSE); a port whose every usable RECEIVE
    it held is closed, its queue destroyed (PORT-CLOSE, spec/orphans.py): its
    senders get ``PortClosed`` and its bindings go. A binding it made for a
    port another process still receives from stays: the service lives on.
    Messages it sent stay queued; a send one of its threads was blocked in
    is withdrawn (PORT-SEND-BLOCK: that message was never queued, and the
    capabilities it carried are destroyed with the task's handle table). A
    message handed off to one of its threads and not yet collected goes back
    to its port, as the port's oldest message, to the next waiter or the
    queue head (PORT-HANDOFF: it kept its slot, so the queue stays within
    capacity); the sender got ``Ok`` and nothing is lost. The threads'
    hand-offs go back from the highest pid down, so of two on one port the
    lower pid's ends oldest.
    Result: ``None``.

    Errors, in precedence order:

    - ``NoSuchProcess``: ``target`` is not a live thread.
    """
    target = Pid(op.target)
    if target not in s.processes:
        return fail(s, IpcError.NoSuchProcess)
    task = task_of(s, target)
    threads = threads_of(s, task)
    for thread in threads:
        s = withdraw(s, thread)
        status = proc(s, thread).status
        if isinstance(status, Waiting):
            pt = port(s, status.port)
            waiters = tuple(w for w in pt.waiters if w != thread)
            s = put_obj(s, status.port, replace(pt, waiters=waiters))
            s = put_proc(s, thread, replace(proc(s, thread), status=RUNNING))
    for thread in reversed(threads):
        s = give_back(s, thread)
    for fd in sorted(table_of(s, task).fds):
        s, _ = close_socket(s, task, fd)
    for cap_id in list(table_of(s, task).handles.values()):
        s = destroy(s, cap_id)
    processes = s.processes
    for thread in threads:
        processes = processes.delete(thread)
    return replace(s, processes=processes), Ok(None)


@rule(RuleId.PROC_STATUS)
def check_issuer(s: KernelState, pid: object, op: Operation) -> IpcError | None:
    """Only a live, running thread issues operations; a blocked one only resumes.

    Checked by ``step`` before anything else for every process operation;
    ``pid`` names a thread (spec/tasks.py, PROC-THREAD). A thread blocked in a
    receive or a send (PORT-SEND-BLOCK), or woken and not yet resumed, can
    issue only ``Resume``
    (PORT-RESUME): like a thread blocked in a system call, it cannot do
    anything else until the call returns. The status is the thread's own: a
    sibling thread of its task keeps running and may act on the shared table
    (send, drop, derive ... even through the capability the blocked thread
    waits on), as in Mach, Zircon and seL4, where a blocked thread does not
    block its task.

    Errors, in precedence order:

    - ``NoSuchProcess``: ``pid`` is not a live thread (or not an ``int`` at
      all: a ``bool``, a float or an unhashable value names no process).
    - ``ProcessBlocked``: this thread is not running and ``op`` is not
      ``Resume``.
    """
    p = s.processes.get(Pid(pid)) if type(pid) is int else None
    if p is None:
        return IpcError.NoSuchProcess
    if not isinstance(p.status, Running) and not isinstance(op, Resume):
        return IpcError.ProcessBlocked
    return None
