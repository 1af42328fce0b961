"""Blocking send (groups "ports" and "channels"): a sender waits for room.

Seed sections "Port System" and "Asynchronous Channels": the seed's channel
``send`` waits on an event until the ring has a free slot, and its port send
has no non-blocking variant. The spec has blocking receives (PORT-RECEIVE,
collected by PORT-RESUME); a send blocks the same way:

- *When.* ``Send`` and ``ChannelSend`` carry a ``timeout`` with the receive's
  meaning and default: 0 never waits (a full port gives ``PortFull``, a full
  ring ``WouldBlock``, as before), ``None`` waits forever, ``n > 0`` waits at
  most ``n`` ticks. A send blocks only when every other check passed and the
  one left is room: the result is ``Ok(BLOCKED)``, the sending thread is
  ``Sending`` and joins the object's FIFO of blocked senders (``senders``),
  and, like a blocked receiver, issues nothing but ``Resume`` (PROC-STATUS).
  The status is the thread's own (spec/tasks.py): its sibling threads keep
  running, and a blocked send blocks no other thread of its task.
- *Where the message is.* Nowhere but in the sender's pending operation: no
  message is queued, no capability moves and no quota is charged while it
  waits. The capabilities it carries stay in its task's handle table; the
  blocked thread cannot drop, move or use them meanwhile (PROC-STATUS), but
  a sibling thread can (they share the table), and another process can
  revoke them. Precedent: seL4's ``seL4_Send`` keeps the blocked
  sender's message in its IPC buffer and looks its capabilities up at the
  rendezvous. Nothing can be lost or duplicated: until the message is queued,
  every capability it names is where it was before the send.
- *Room.* After every step, each port or channel with blocked senders and a
  free slot serves them in FIFO order (Mach's ``mach_msg`` senders blocked on
  a full queue, ``qlimit``, proceed in arrival order): the first one's send
  is **attempted again as it was issued, without waiting**, with every check
  of its rule in precedence order, and its outcome wakes it. ``Ok(None)``: the
  message was queued or handed to a waiting receiver (PORT-HANDOFF). An error
  means the world changed while it waited: a carried capability revoked
  (``InvalidCapability``, MSG-TRANSFER re-checked, as seL4 re-checks at the
  rendezvous), a filter set meanwhile (``Filtered``, ``RateLimited``), a quota
  (``OutOfMemory``). The next blocked sender is then served, while there is
  room. Room frees when a receive takes a message, when a hand-off is
  collected (PORT-HANDOFF keeps its slot until then), or a ring is read.
- *What else ends the wait*, each woken with its outcome for ``Resume``: the
  deadline (``Timeout``, TIME-DEADLINE); a close of the port or channel
  (``PortClosed``, PORT-CLOSE, CHAN-CLOSE), including the implicit close when
  the last process able to receive dies (``PortClosed``, spec/orphans.py); a
  revoke of the capability it sends through (``InvalidCapability``, as for a
  blocked receive, RIGHTS-REVOKE). Precedent followed in part: seL4 cancels
  the IPC of the threads blocked on an endpoint when the endpoint is deleted
  (``cancelAllIPC``); here the wait follows the capability, as the spec's
  blocked receive already does, so revoking the sender's copy ends it, and
  so does a sibling thread's drop or move of that capability from the
  shared table. A kill of the sender's task withdraws each of its blocked
  threads from its FIFO: no message was queued, so nothing is discarded from
  any queue, and the capabilities they meant to carry are destroyed with the
  task's handle table (PROC-KILL).
- *Senders and receivers.* A receiver blocks only on an empty queue and a
  sender only on a full one, so on a port both wait at once only while the
  queue is empty and hand-offs not yet collected hold every slot; the first
  ``Resume`` of such a hand-off frees a slot, and the first blocked sender's
  message goes straight to the first waiting receiver. INV-WAITERS checks
  this. Channels have no blocked receivers.
- *Batches do not block.* ``ChannelSendBatch`` keeps failing with
  ``WouldBlock``: all or nothing (CHAN-SEND-BATCH) would make a waiting batch
  hold every later sender behind it until ``len(items)`` slots are free at
  once, and a batch longer than the ring could never proceed. The seed's batch
  exists to save system calls, not to wait; a caller that must wait sends the
  first item with a timeout, then the rest.

Precedents followed in part: Zircon's ``zx_channel_write`` never blocks
(``ZX_ERR_SHOULD_WAIT``; waiting is ``zx_object_wait_one`` on
``ZX_CHANNEL_WRITABLE``), which is ``timeout`` 0 here; Linux's
``mq_timedsend`` blocks on a full queue until a deadline, which is ``n > 0``.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.vocabulary._registry import DEFINITIONS, rule
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import CapId, Handle, ObjId, Pid
from veridian_ipc.vocabulary.results import BLOCKED, Ok
from veridian_ipc.vocabulary.syscalls import ChannelSend, Send

from .state import (
    RUNNING,
    Channel,
    KernelState,
    Port,
    Sending,
)
from .store import Step, handed, proc, put_obj, put_proc, unblock_sender, wake
from .tasks import table_of


@rule(RuleId.PORT_SEND_BLOCK)
def block(s: KernelState, pid: Pid, obj: ObjId, cap: CapId, op: Send) -> Step:
    """A send to a full port with a non-zero ``timeout`` blocks its sender.

    PORT-SEND calls this in place of failing with ``PortFull``: every earlier
    check passed. The sender joins the back of the port's blocked senders
    with the deadline ``clock + timeout`` (``None``: none); the result is
    ``Ok(BLOCKED)``, and PORT-RESUME later collects the outcome:

    - ``Ok(None)``: room freed and the send, attempted again as issued, was
      queued or handed off (FIFO among blocked senders; the module says when);
    - that attempt's error, in PORT-SEND's precedence order (a carried
      capability revoked meanwhile: ``InvalidCapability``; a filter:
      ``Filtered``, ``MessageTooLarge``, ``RateLimited``; ``OutOfMemory``);
    - ``Timeout``: the deadline passed first (TIME-DEADLINE);
    - ``PortClosed``: the port was closed, or abandoned when nobody could
      receive from it any more (PORT-CLOSE, spec/orphans.py);
    - ``InvalidCapability``: the capability it sends through was revoked
      (RIGHTS-REVOKE), or dropped or moved by a sibling thread.

    If the sender's task is killed first it leaves the FIFO; its message was
    never queued and its capabilities never moved (PROC-KILL destroys them
    with the task's handle table). The sender is a thread (spec/tasks.py):
    its sibling threads keep running while it waits.
    """
    return _block(s, pid, obj, cap, op)


@rule(RuleId.CHAN_SEND_BLOCK)
def block_channel(
    s: KernelState, pid: Pid, obj: ObjId, cap: CapId, op: ChannelSend
) -> Step:
    """A ``ChannelSend`` to a full ring with a non-zero ``timeout`` blocks.

    CHAN-SEND calls this in place of failing with ``WouldBlock``, exactly as
    PORT-SEND-BLOCK does for ports: the sender joins the back of the
    channel's blocked senders and the result is ``Ok(BLOCKED)``. PORT-RESUME
    collects ``Ok(None)`` once a slot freed and the send, attempted again as
    issued, appended the message (FIFO among blocked senders); ``Timeout``
    (TIME-DEADLINE); ``PortClosed`` (CHAN-CLOSE); ``InvalidCapability`` (the
    capability it sends through revoked, RIGHTS-REVOKE). A sender whose task
    is killed leaves the FIFO with nothing sent. ``ChannelSendBatch`` never blocks (the
    module says why). Precedent: the seed's channel send, which waits for a
    free slot; Zircon's never-blocking write is ``timeout`` 0.
    """
    return _block(s, pid, obj, cap, op)


def _block(
    s: KernelState, pid: Pid, obj: ObjId, cap: CapId, op: Send | ChannelSend
) -> Step:
    assert op.timeout != 0, "a send with timeout 0 never blocks"
    deadline = None if op.timeout is None else s.clock + op.timeout
    o = s.objects[obj]
    assert isinstance(o, Port | Channel)
    s = put_obj(s, obj, replace(o, senders=(*o.senders, pid)))
    status = Sending(obj, cap, op, deadline)
    return put_proc(s, pid, replace(proc(s, pid), status=status)), Ok(BLOCKED)


def withdraw(s: KernelState, pid: Pid) -> KernelState:
    """Take the blocked sender ``pid``, a thread whose task is about to die
    (PROC-KILL), off its object's FIFO; nothing was queued for it, so nothing
    else changes (a no-op for a thread not ``Sending``)."""
    status = proc(s, pid).status
    if not isinstance(status, Sending):
        return s
    s = unblock_sender(s, pid, status.obj)
    return put_proc(s, pid, replace(proc(s, pid), status=RUNNING))


def has_room(s: KernelState, obj: ObjId) -> bool:
    """Port or channel ``obj`` is open and has a free slot for one message."""
    o = s.objects[obj]
    if isinstance(o, Port):
        return not o.closed and len(o.queue) + handed(s, obj) < o.capacity
    assert isinstance(o, Channel)
    return not o.closed and o.write_idx - o.read_idx < o.capacity


def full(s: KernelState, pid: int, handle: int) -> bool:
    """Handle ``handle`` of process ``pid`` names an open port or channel with
    no free slot: a send through it with a non-zero timeout would block if
    every other check passed (a helper for generators and tests)."""
    cap_id = (
        table_of(s, Pid(pid)).handles.get(Handle(handle))
        if Pid(pid) in s.processes
        else None
    )
    if cap_id is None or cap_id not in s.caps:
        return False
    obj = s.caps[cap_id].obj
    o = s.objects.get(obj)
    return isinstance(o, Port | Channel) and not o.closed and not has_room(s, obj)


def attempt(s: KernelState, pid: Pid, op: Send | ChannelSend) -> Step:
    """The blocked send ``op`` attempted again as issued, without waiting:
    its rule (PORT-SEND or CHAN-SEND) with ``timeout`` 0."""
    rule_id = RuleId.PORT_SEND if isinstance(op, Send) else RuleId.CHAN_SEND
    fn = DEFINITIONS[rule_id]
    result: Step = fn(s, pid, replace(op, timeout=0))  # type: ignore[operator]
    return result


def serve(s: KernelState) -> tuple[KernelState, bool]:
    """Serve every port and channel with blocked senders and room, each in
    FIFO order (the module's *Room*); also whether any send was attempted.

    Runs after every step (ERR-PRECEDENCE); a no-op unless some process is
    ``Sending``.
    """
    served = False
    if not any(isinstance(p.status, Sending) for p in s.processes.values()):
        return s, served
    for obj in sorted(s.objects):
        o = s.objects.get(obj)
        while isinstance(o, Port | Channel) and o.senders and has_room(s, obj):
            first = o.senders[0]
            status = proc(s, first).status
            assert isinstance(status, Sending)
            s, result = attempt(s, first, status.op)
            s = wake(s, first, result)
            served = True
            o = s.objects.get(obj)
    return s, served


__all__ = [
    "attempt",
    "block",
    "block_channel",
    "full",
    "has_room",
    "serve",
    "withdraw",
]
