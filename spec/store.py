"""Small update helpers shared by the chapters: no rules here, only bookkeeping.

Each helper takes a state and returns a new one (or a value read from it). Rule
functions call them after all their checks have passed, so an operation that
fails never reaches them and leaves the state unchanged (ERR-ATOMIC).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import CapId, ObjId, Pid
from veridian_ipc.vocabulary.results import Err, Result

from .state import (
    Buffer,
    Cap,
    Channel,
    KernelObject,
    KernelState,
    Port,
    Process,
    Sending,
    Waiting,
    Woken,
)

Step = tuple[KernelState, Result]


def fail(s: KernelState, error: IpcError) -> Step:
    """The outcome of a failed operation: the state, unchanged, and the error."""
    return s, Err(error)


def handoffs(s: KernelState) -> Iterator[Woken]:
    """Every hand-off not yet collected (PORT-HANDOFF), in pid order: the
    status of each woken receiver still holding the message handed to it.
    Its ``handed`` names the port the message keeps a slot in until
    ``Resume`` collects it, and its ``result`` is the ``Ok`` of the
    ``Delivered``. The port's capacity (``handed``: spec/ports.py, and the
    room blocked senders wait for: spec/blocking.py) and the sender's queued
    bytes (spec/quotas.py's ``kept``) count these."""
    for p in s.processes.values():
        status = p.status
        if isinstance(status, Woken) and status.handed is not None:
            yield status


def handed(s: KernelState, obj: ObjId) -> int:
    """The messages handed off from port ``obj`` and not yet collected: each
    keeps its slot in the port's capacity (PORT-HANDOFF)."""
    return sum(1 for w in handoffs(s) if w.handed == obj)


def proc(s: KernelState, pid: Pid) -> Process:
    """The process ``pid`` (which the caller knows to exist)."""
    return s.processes[pid]


def put_proc(s: KernelState, pid: Pid, p: Process) -> KernelState:
    """``s`` with process ``pid`` replaced by ``p``."""
    return replace(s, processes=s.processes.set(pid, p))


def put_obj(s: KernelState, obj: ObjId, o: KernelObject) -> KernelState:
    """``s`` with object ``obj`` replaced by ``o``."""
    return replace(s, objects=s.objects.set(obj, o))


def put_cap(s: KernelState, cap_id: CapId, c: Cap) -> KernelState:
    """``s`` with capability node ``cap_id`` replaced by ``c``."""
    return replace(s, caps=s.caps.set(cap_id, c))


def port(s: KernelState, obj: ObjId) -> Port:
    """The port ``obj`` (which the caller knows to be a port)."""
    o = s.objects[obj]
    assert isinstance(o, Port)
    return o


def channel(s: KernelState, obj: ObjId) -> Channel:
    """The channel ``obj`` (which the caller knows to be a channel)."""
    o = s.objects[obj]
    assert isinstance(o, Channel)
    return o


def buffer(s: KernelState, obj: ObjId) -> Buffer:
    """The buffer ``obj`` (which the caller knows to be a buffer)."""
    o = s.objects[obj]
    assert isinstance(o, Buffer)
    return o


def new_object(s: KernelState, o: KernelObject) -> tuple[KernelState, ObjId]:
    """Add a new object under a fresh id."""
    obj = ObjId(s.next_obj)
    return replace(s, objects=s.objects.set(obj, o), next_obj=s.next_obj + 1), obj


def wake(s: KernelState, pid: Pid, result: Result) -> KernelState:
    """Wake the waiting process ``pid`` with ``result`` and take it off its
    port's waiter queue, or its port's or channel's blocked senders
    (TIME-DEADLINE, PORT-HANDOFF, PORT-CLOSE, PORT-SEND-BLOCK)."""
    p = proc(s, pid)
    if isinstance(p.status, Sending):
        s = unblock_sender(s, pid, p.status.obj)
        return put_proc(s, pid, replace(p, status=Woken(result)))
    assert isinstance(p.status, Waiting), "only a waiting process is woken"
    pt = port(s, p.status.port)
    s = put_obj(
        s, p.status.port, replace(pt, waiters=tuple(w for w in pt.waiters if w != pid))
    )
    return put_proc(s, pid, replace(p, status=Woken(result)))


def unblock_sender(s: KernelState, pid: Pid, obj: ObjId) -> KernelState:
    """Take ``pid`` off the blocked senders of port or channel ``obj``."""
    o = s.objects[obj]
    assert isinstance(o, Port | Channel)
    return put_obj(s, obj, replace(o, senders=tuple(q for q in o.senders if q != pid)))
