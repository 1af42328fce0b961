"""Processes: spawn, kill, and who may issue an operation (PROC-*)."""

from __future__ import annotations

from veridian_ipc.vocabulary.results import Ok, Result
from veridian_ipc.vocabulary.syscalls import Kill, Spawn, SpawnThread

from .blocking import Sender, wake_sender, withdraw
from .caps import destroy
from .ports import give_back
from .sockets import close_socket
from .state import RUNNING, WAITING, Port, Process, State, Waiter
from .store import (
    E_NO_SUCH_PROCESS,
    OK_NONE,
    finish,
    unwait,
)


def spawn(st: State, op: Spawn) -> Result:
    """PROC-SPAWN: a new running process, with the namespace authority
    ``op`` gives it (NS-BIND, NS-LOOKUP); pids are never reused."""
    pid = st.next_pid
    st.next_pid = pid + 1
    st.processes[pid] = Process(pid, op.may_bind, op.may_lookup)
    return Ok(pid)


def spawn_thread(st: State, op: SpawnThread) -> Result:
    """PROC-THREAD: a new running thread in the task of thread ``process``,
    sharing its tables; pids are never reused.

    Errors, in precedence order: ``NoSuchProcess``.
    """
    p = st.processes.get(op.process)
    if p is None:
        return E_NO_SUCH_PROCESS
    pid = st.next_pid
    st.next_pid = pid + 1
    st.processes[pid] = p.new_thread(pid)
    return Ok(pid)


def kill(st: State, op: Kill) -> Result:
    """PROC-KILL: the process ends, every thread of its task; every waiting
    thread leaves its waiter queue, every thread blocked in a send leaves its
    object's blocked senders (PORT-SEND-BLOCK: nothing was queued), the
    hand-offs its threads have not collected go back to their ports
    (PORT-HANDOFF; from the highest pid down), its sockets close, its
    capabilities are destroyed (children move up), its mappings go.

    Receives and sends parked by the threaded facade for this process end
    with ``NoSuchProcess`` so that no thread is left waiting.

    Errors, in precedence order: ``NoSuchProcess``.
    """
    target = st.processes.get(op.target)
    if target is None:
        return E_NO_SUCH_PROCESS
    p = target.task
    threads = sorted(p.threads, key=lambda t: t.pid)
    for t in threads:
        withdraw(st, t)  # a blocked send: nothing was queued (PORT-SEND-BLOCK)
        if t.waiter is not None and t.status == WAITING:
            unwait(st, t.waiter)
            t.waiter = None
            t.status = RUNNING
    for t in reversed(threads):
        give_back(st, t)
        if t.waiter is not None:
            unwait(st, t.waiter)
        t.waiter = None
        t.status = RUNNING
    for w in facade_waiters(p):
        unwait(st, w)
        finish(st, w, E_NO_SUCH_PROCESS)
    for s in facade_senders(p):
        wake_sender(st, s, E_NO_SUCH_PROCESS)
    for entry in list(p.fds.values()):
        if entry.fd in p.fds:
            close_socket(st, entry)
    for cap in list(p.handles.values()):
        destroy(st, cap)
    for t in threads:
        t.alive = False
        del st.processes[t.pid]
    return OK_NONE


def facade_senders(p: Process) -> list[Sender]:
    """The sends the threaded facade parked for ``p`` (model/parking.py): the
    blocked senders through one of ``p``'s handles once its threads' own
    blocked sends are withdrawn."""
    found: list[Sender] = []
    for cap in p.handles.values():
        senders = cap.obj.senders
        if senders:
            found.extend(w for w in senders if w.cap is cap and isinstance(w, Sender))
    return found


def facade_waiters(p: Process) -> list[Waiter]:
    """The receives the threaded facade parked for ``p``: every waiter is on
    the queue of the port it waits on, through one of ``p``'s handles (a
    waiter whose capability leaves the table is woken then)."""
    found: list[Waiter] = []
    for cap in p.handles.values():
        port = cap.obj
        if type(port) is Port and port.waiters:
            found.extend(w for w in port.waiters if w.cap is cap)
    return found
