"""Seeded spec bugs in blocked senders (PORT-SEND-BLOCK, CHAN-SEND-BLOCK).

Entries of ``spec_mutants.MUTANTS``: blocked senders proceed in FIFO order
when room frees, and every wait ends by room, its deadline, a close, a revoke
or a kill. Each function here breaks one of those; the exhaustive check must
catch each (STEP-SENDERS-FIFO, STEP-SEND-BLOCKS, STEP-SEND-WAIT-ENDS,
INV-WAITERS) in the
``blocking`` and ``blocking-ring`` scopes.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.spec import blocking
from veridian_ipc.spec.namespace import unbind_port
from veridian_ipc.spec.state import Channel, KernelState, Port, Sending, Waiting
from veridian_ipc.spec.store import Step, fail, port, proc, put_obj, put_proc, wake
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import CapId, ObjId, Pid
from veridian_ipc.vocabulary.results import BLOCKED, Err, Ok
from veridian_ipc.vocabulary.syscalls import ChannelSend, Send


def serve_newest(s: KernelState) -> tuple[KernelState, bool]:
    """PORT-SEND-BLOCK serving the sender that blocked last (LIFO)."""
    served = False
    for obj in sorted(s.objects):
        o = s.objects.get(obj)
        while isinstance(o, Port | Channel) and o.senders and blocking.has_room(s, obj):
            last = o.senders[-1]
            status = proc(s, last).status
            assert isinstance(status, Sending)
            s, result = blocking.attempt(s, last, status.op)
            s = wake(s, last, result)
            served = True
            o = s.objects.get(obj)
    return s, served


def expire_receivers_only(s: KernelState) -> KernelState:
    """TIME-DEADLINE that forgets blocked senders' deadlines."""
    for pid, p in sorted(s.processes.items()):
        st = p.status
        if (
            isinstance(st, Waiting)
            and st.deadline is not None
            and st.deadline <= s.clock
        ):
            s = wake(s, pid, Err(IpcError.Timeout))
    return s


def close_leaves_senders(s: KernelState, obj: ObjId) -> Step:
    """PORT-CLOSE that wakes its blocked receivers but not its senders."""
    pt = port(s, obj)
    if pt.closed:
        return fail(s, IpcError.PortClosed)
    for waiter in pt.waiters:
        s = wake(s, waiter, Err(IpcError.PortClosed))
    s = unbind_port(s, obj)
    pt = port(s, obj)
    return put_obj(s, obj, replace(pt, closed=True)), Ok(len(pt.queue))


def block_deadline_late(
    s: KernelState, pid: Pid, obj: ObjId, cap: CapId, op: Send | ChannelSend
) -> Step:
    """PORT-SEND-BLOCK giving the blocked sender one tick more than asked."""
    deadline = None if op.timeout is None else s.clock + op.timeout + 1
    o = s.objects[obj]
    assert isinstance(o, Port | Channel)
    s = put_obj(s, obj, replace(o, senders=(*o.senders, pid)))
    status = Sending(obj, cap, op, deadline)
    return put_proc(s, pid, replace(proc(s, pid), status=status)), Ok(BLOCKED)


__all__ = [
    "block_deadline_late",
    "close_leaves_senders",
    "expire_receivers_only",
    "serve_newest",
]
