"""Processes (group "caps"): creation, death, and what a blocked process may do.

A process is the unit that holds capabilities (its handle table), mappings and
file descriptors. Processes are created and ended by the environment (``Spawn``,
``Kill``), not by one another: the seed has no process-management calls, and
the spec needs only enough of them to model processes coming and going.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.vocabulary._registry import rule
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.results import Ok
from veridian_ipc.vocabulary.syscalls import Kill, Operation, Resume, Spawn

from .blocking import withdraw
from .caps import destroy
from .ports import give_back
from .sockets import close_socket
from .state import RUNNING, KernelState, Process, Running, Waiting
from .store import Step, fail, port, proc, put_obj, put_proc


@rule(RuleId.PROC_SPAWN)
def spawn(s: KernelState, op: Spawn) -> Step:
    """A new running process with empty tables; pids are never reused.

    An environment operation. ``may_bind`` and ``may_lookup`` are the new
    process's namespace authority (NS-BIND, NS-LOOKUP): whoever creates a
    process decides whether it may publish names and resolve them. Result: the
    new pid.
    """
    pid = Pid(s.next_pid)
    new = Process(may_bind=op.may_bind, may_lookup=op.may_lookup)
    s = replace(s, processes=s.processes.set(pid, new), next_pid=pid + 1)
    return s, Ok(pid)


@rule(RuleId.PROC_KILL)
def kill(s: KernelState, op: Kill) -> Step:
    """A process ends; everything it held is released, nothing else is lost.

    An environment operation (a process may be killed while blocked). Its
    sockets are closed (POSIX-CLOSE), every capability in its handle table is
    destroyed (CAP-DROP: descendants held elsewhere move up to the parent and stay
    valid), its mappings go, and if it was waiting it leaves the waiter queue.
    Ports it created stay open while another process can receive from them
    (closing is a MANAGE act, PORT-CLOSE); a port whose every usable RECEIVE
    it held is closed, its queue destroyed (PORT-CLOSE, spec/orphans.py): its
    senders get ``PortClosed`` and its bindings go. A binding it made for a
    port another process still receives from stays: the service lives on.
    Messages it sent stay queued; a send it was blocked in is withdrawn
    (PORT-SEND-BLOCK: that message was never queued, and the capabilities it
    carried are destroyed with its handle table). A message handed off to it and not yet
    collected goes back to its port first, as the port's oldest message, to
    the next waiter or the queue head (PORT-HANDOFF: it kept its slot, so the
    queue stays within capacity); the sender got ``Ok`` and nothing is lost.
    Result: ``None``.

    Errors, in precedence order:

    - ``NoSuchProcess``: ``target`` is not a live process.
    """
    target = Pid(op.target)
    if target not in s.processes:
        return fail(s, IpcError.NoSuchProcess)
    s = give_back(s, target)
    s = withdraw(s, target)
    status = proc(s, target).status
    if isinstance(status, Waiting):
        pt = port(s, status.port)
        waiters = tuple(w for w in pt.waiters if w != target)
        s = put_obj(s, status.port, replace(pt, waiters=waiters))
        s = put_proc(s, target, replace(proc(s, target), status=RUNNING))
    for fd in sorted(proc(s, target).fds):
        s, _ = close_socket(s, target, fd)
    for cap_id in list(proc(s, target).handles.values()):
        s = destroy(s, cap_id)
    return replace(s, processes=s.processes.delete(target)), Ok(None)


@rule(RuleId.PROC_STATUS)
def check_issuer(s: KernelState, pid: object, op: Operation) -> IpcError | None:
    """Only a live, running process issues operations; a blocked one only resumes.

    Checked by ``step`` before anything else for every process operation. A
    process blocked in a receive, or woken and not yet resumed, can issue only
    ``Resume`` (PORT-RESUME): like a thread blocked in a system call, it cannot
    do anything else until the call returns.

    Errors, in precedence order:

    - ``NoSuchProcess``: ``pid`` is not a live process (or not an ``int`` at
      all: a ``bool``, a float or an unhashable value names no process).
    - ``ProcessBlocked``: the process is not running and ``op`` is not
      ``Resume``.
    """
    p = s.processes.get(Pid(pid)) if type(pid) is int else None
    if p is None:
        return IpcError.NoSuchProcess
    if not isinstance(p.status, Running) and not isinstance(op, Resume):
        return IpcError.ProcessBlocked
    return None
