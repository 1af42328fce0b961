"""Ports (group "ports"): bounded message queues with direct hand-off.

Seed sections "Port System" and "Fast Path for Small Messages": a port has a
FIFO of messages and a queue of waiting receivers. A send hands a message
straight to the first waiting receiver if there is one, else queues it; a
receive takes the oldest queued message, or waits.

Decisions the seed leaves open:

- *Capacity.* Each port has a queue capacity fixed at creation. A send to a full
  queue fails with ``PortFull`` (the seed's error for it) when its ``timeout``
  is 0, the default; with another timeout the sender blocks until there is
  room, in FIFO order with other blocked senders (PORT-SEND-BLOCK,
  spec/blocking.py).
- *Blocking.* A receive with a non-zero timeout that finds the queue empty
  blocks the process (``Ok(BLOCKED)``); the process then issues nothing but
  ``Resume``, which collects the outcome once a send, a deadline (TIME-DEADLINE),
  a close or a revoke has woken it (PORT-RESUME). Waiters are served in FIFO
  order, and a waiting receiver exists only while the queue is empty, so direct
  hand-off never overtakes a queued message (INV-WAITERS).
- *A hand-off keeps its slot until collected.* A message handed to a waiting
  receiver (PORT-HANDOFF) still counts against the port's capacity until the
  receiver collects it with ``Resume``: queued plus handed-off-and-uncollected
  messages never exceed the capacity (INV-QUEUE-BOUND), and a send finding
  them at capacity gets ``PortFull`` even while another receiver waits. If
  the receiver dies first (PROC-KILL), the message goes back to the port as
  its oldest message, to the next waiter or the queue head, in the slot it
  kept: nothing is lost, and the bound holds. It may then be delivered
  after messages sent later and handed to other waiters meanwhile: the one
  departure from FIFO delivery, and only when its first receiver died.
  Precedent: in Zircon a waiting reader is only signalled
  (``ZX_CHANNEL_READABLE``); the message stays in the channel, counted,
  until ``zx_channel_read`` takes it, so a reader that dies first leaves it
  to the next. Followed in part: the spec keeps the seed's fast path, which
  reserves the message for the first waiter at once (no other receiver can
  overtake it).
- *Close.* Closing needs MANAGE. A closed port accepts no message
  (``PortClosed``), wakes every waiting receiver with ``PortClosed``, and keeps
  its queued messages: receivers drain them, then get ``PortClosed``. Nothing is
  dropped silently (precedent: Zircon, where messages written before the peer
  closed stay readable, then ``ZX_ERR_PEER_CLOSED``).
- *Peer death.* A port nobody can receive from any more (its last usable
  RECEIVE dropped, revoked, or gone with its process) is closed as by
  ``Close``, and its queue, which nobody can read, is destroyed with the
  capabilities it carries (spec/orphans.py; Mach's dead names, Zircon's
  ``ZX_ERR_PEER_CLOSED``). Senders then get ``PortClosed``, not ``PortFull``.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.vocabulary._registry import rule
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import CapId, ObjId, Pid
from veridian_ipc.vocabulary.results import BLOCKED, Delivered, Err, Ok
from veridian_ipc.vocabulary.rights import PORT_RIGHTS, RECEIVE, SEND
from veridian_ipc.vocabulary.syscalls import CreatePort, Receive, Resume, Send

from . import blocking, quotas
from .caps import authorize, new_handle
from .filters import admit
from .messages import (
    check_limits,
    check_transfer,
    put_in_flight,
    stamp,
    take_back,
    take_delivery,
)
from .namespace import unbind_port
from .state import (
    RUNNING,
    Filter,
    KernelState,
    Kind,
    Port,
    QueuedMessage,
    Running,
    Sending,
    Waiting,
    Woken,
)
from .store import (
    Step,
    fail,
    handed,
    new_object,
    port,
    proc,
    put_obj,
    put_proc,
    wake,
)


@rule(RuleId.PORT_CREATE)
def create_port(s: KernelState, pid: Pid, op: CreatePort) -> Step:
    """A new open port with an empty queue of ``capacity`` messages.

    The creator gets a handle with SEND, RECEIVE, MANAGE and GRANT, the root of
    the port's derivation tree. Result: the handle.

    Errors, in precedence order:

    - ``InvalidArgument``: ``capacity`` below 1.
    - ``OutOfMemory``: ``capacity`` above ``Config.max_port_capacity``.
    - ``OutOfMemory``: the object or handle quota is spent (spec/quotas.py).
    """
    if op.capacity < 1:
        return fail(s, IpcError.InvalidArgument)
    if op.capacity > s.config.max_port_capacity:
        return fail(s, IpcError.OutOfMemory)
    if (err := quotas.check_create(s, pid)) is not None:
        return fail(s, err)
    return new_port(s, pid, op.capacity)


def new_port(s: KernelState, pid: Pid, capacity: int) -> tuple[KernelState, Ok[int]]:
    """Create a port and give ``pid`` its root capability."""
    s, obj = new_object(s, Port(capacity=capacity))
    s, handle = new_handle(s, pid, obj, Kind.PORT, PORT_RIGHTS, None)
    return s, Ok(handle)


@rule(RuleId.PORT_SEND)
def send(s: KernelState, pid: Pid, op: Send) -> Step:
    """Send a message; it is handed to a waiting receiver or queued, in order.

    Needs SEND on the port. The message is checked whole (MSG-LIMITS,
    MSG-TRANSFER) before the port's state is looked at; then the port must be
    open, the filter must admit it (FILTER-CHECK, FILTER-RATE) and there must be
    room. Only then do its capabilities move (MSG-TRANSFER). A failed send changes
    nothing. Result: ``None``; or, when the only check that fails is room and
    ``timeout`` is not 0, ``Ok(BLOCKED)``: the sender waits for room
    (PORT-SEND-BLOCK, collected by PORT-RESUME).

    Errors, in precedence order:

    - ``InvalidCapability``: CAP-HANDLE (a port capability is needed).
    - ``InsufficientRights``: no SEND.
    - ``InvalidArgument``: negative ``timeout``.
    - ``MessageTooLarge``: MSG-LIMITS (over 64 bytes).
    - ``InvalidMessage``: MSG-LIMITS.
    - ``InvalidCapability``: MSG-TRANSFER (a carried handle is not live).
    - ``InsufficientRights``: MSG-TRANSFER (a carried capability lacks GRANT).
    - ``PortClosed``: the port is closed.
    - ``Filtered``: FILTER-CHECK.
    - ``MessageTooLarge``: FILTER-CHECK (over the filter's size).
    - ``RateLimited``: FILTER-RATE.
    - ``PortFull``: queued messages and those handed off and not yet
      collected (PORT-HANDOFF) fill the ``capacity``, and ``timeout`` is 0.
    - ``OutOfMemory``: queuing the data would take the sender over
      ``Config.max_queued_bytes`` (spec/quotas.py; a hand-off's bytes count
      until the receiver collects them, as its capacity slot does).
    """
    found = authorize(s, pid, op.handle, Kind.PORT, SEND)
    if isinstance(found, IpcError):
        return fail(s, found)
    cap_id, cap = found
    if op.timeout is not None and op.timeout < 0:
        return fail(s, IpcError.InvalidArgument)
    err = check_limits(op.msg_type, op.flags, op.data, op.caps, op.handle)
    if err is not None:
        return fail(s, err)
    moved = check_transfer(s, pid, op.caps)
    if isinstance(moved, IpcError):
        return fail(s, moved)
    admitted = check_offer(s, cap.obj, op.msg_type, len(op.data))
    if admitted is IpcError.PortFull and op.timeout != 0:
        return blocking.block(s, pid, cap.obj, cap_id, op)
    if isinstance(admitted, IpcError):
        return fail(s, admitted)
    if (err := quotas.check_queued(s, pid, cap.obj, len(op.data))) is not None:
        return fail(s, err)
    body = (op.msg_type, op.flags, op.data)
    return commit_offer(s, pid, cap.obj, admitted, body, moved), Ok(None)


def check_offer(
    s: KernelState, obj: ObjId, msg_type: int, size: int
) -> Filter | IpcError | None:
    """The port-side checks of every send: open, filter, room.

    Returns the port's filter as it will be once the message is admitted (its
    bucket one token lighter), or the error.

    Errors, in precedence order:

    - ``PortClosed``: the port is closed.
    - ``Filtered``: FILTER-CHECK.
    - ``MessageTooLarge``: FILTER-CHECK.
    - ``RateLimited``: FILTER-RATE.
    - ``PortFull``: queued and handed-off-uncollected messages fill the
      capacity.
    """
    pt = port(s, obj)
    if pt.closed:
        return IpcError.PortClosed
    admitted = admit(pt.filter, msg_type, size, s.clock)
    if isinstance(admitted, IpcError):
        return admitted
    if len(pt.queue) + handed(s, obj) >= pt.capacity:
        return IpcError.PortFull
    return admitted


def commit_offer(
    s: KernelState,
    pid: Pid,
    obj: ObjId,
    admitted: Filter | None,
    body: tuple[int, int, bytes],
    caps: tuple[CapId, ...],
) -> KernelState:
    """The effects of a send that ``check_offer`` admitted: the filter's bucket
    is updated, the capabilities move into the message, and the message
    (``body`` = type, flags, data) is handed off or queued."""
    if admitted is not port(s, obj).filter:
        s = put_obj(s, obj, replace(port(s, obj), filter=admitted))
    s = put_in_flight(s, caps, obj)
    msg = stamp(pid, *body, caps)
    s = quotas.refuse_unfit_waiters(s, obj, msg)
    pt = port(s, obj)
    if pt.waiters:
        return hand_off(s, obj, msg)
    return put_obj(s, obj, replace(pt, queue=(*pt.queue, msg)))


@rule(RuleId.PORT_HANDOFF)
def hand_off(s: KernelState, obj: ObjId, msg: QueuedMessage) -> KernelState:
    """A message sent while a receiver waits goes straight to the first waiter.

    Seed "Fast Path for Small Messages": *skip queue if receiver waiting*. The
    first waiting process (FIFO) is woken with the message as its receive's
    result: its handles for the carried capabilities are installed now. The
    queue is untouched, and it is empty whenever a receiver waits (INV-WAITERS),
    so a hand-off never reorders messages: it delivers exactly the message the
    queue would have delivered next.

    The message keeps its slot in the port's capacity until the receiver
    collects it (PORT-RESUME): PORT-SEND counts it as if queued, and so
    does the sender's ``max_queued_bytes`` quota (spec/quotas.py). If the
    receiver is killed before collecting it (PROC-KILL), the message goes back
    to the port as its oldest message (``give_back``): to the next waiter, or
    to the head of the queue, in the slot it kept, its capabilities back in
    flight (one revoked meanwhile is ``None``, MSG-INFLIGHT-REVOKE). The sender
    got ``Ok``, so the message is never lost silently (Zircon's channel keeps
    a message until a reader takes it; see the module for the precedent).

    A waiter whose handle table has no room for the message's capabilities is
    first woken with ``OutOfMemory`` and the message goes to the next one, or
    to the queue (spec/quotas.py).
    """
    receiver = port(s, obj).waiters[0]
    s, delivered = take_delivery(s, receiver, msg)
    s = wake(s, receiver, Ok(delivered))
    p = proc(s, receiver)
    return put_proc(s, receiver, replace(p, status=Woken(Ok(delivered), obj)))


def give_back(s: KernelState, pid: Pid) -> KernelState:
    """Return the uncollected hand-off of process ``pid`` (about to die) to its
    port, as its oldest message (PORT-HANDOFF): to the next waiter, else to the
    head of the queue. As at the send, a waiter whose handle table has no room
    for the message's capabilities is woken with ``OutOfMemory`` first
    (spec/quotas.py's ``refuse_unfit_waiters``): a message given back never
    puts a table over ``max_handles``. Nothing to do unless ``pid`` was woken
    by a hand-off;
    if the port has been reclaimed meanwhile (CAP-RECLAIM: no capability can
    reach it, so nobody could ever receive the message), the message goes with
    the process and its capabilities with the process's handles."""
    status = proc(s, pid).status
    if not isinstance(status, Woken) or status.handed is None:
        return s
    obj = status.handed
    result = status.result
    assert isinstance(result, Ok)
    assert isinstance(result.value, Delivered)
    s = put_proc(s, pid, replace(proc(s, pid), status=RUNNING))
    if obj not in s.objects:  # reclaimed (CAP-RECLAIM): nobody can receive it
        return s  # its capabilities die with the process's handles
    s, msg = take_back(s, pid, result.value, obj)
    s = quotas.refuse_unfit_waiters(s, obj, msg)
    pt = port(s, obj)
    if pt.waiters:
        return hand_off(s, obj, msg)
    return put_obj(s, obj, replace(pt, queue=(msg, *pt.queue)))


@rule(RuleId.PORT_RECEIVE)
def receive(s: KernelState, pid: Pid, op: Receive) -> Step:
    """Take the oldest queued message, or wait for one (seed ``port_receive``).

    Needs RECEIVE. With a message queued, it is removed and returned
    (``Delivered``), its capabilities installed as new handles of the receiver
    (MSG-INFLIGHT-REVOKE). With the queue empty: a closed port gives
    ``PortClosed``; ``timeout`` 0 gives ``WouldBlock`` (try-receive); otherwise
    the process blocks until a send hands it a message (PORT-HANDOFF), the
    deadline ``clock + timeout`` passes (TIME-DEADLINE; ``None`` waits forever),
    the port is closed, or its capability is revoked; the result is
    ``Ok(BLOCKED)`` and PORT-RESUME collects the outcome.

    Errors, in precedence order:

    - ``InvalidCapability``: CAP-HANDLE (a port capability is needed).
    - ``InsufficientRights``: no RECEIVE.
    - ``InvalidArgument``: negative ``timeout``.
    - ``PortClosed``: the port is closed and its queue empty.
    - ``WouldBlock``: the queue is empty and ``timeout`` is 0.
    - ``OutOfMemory``: the oldest message carries more capabilities than the
      caller's handle table has room for (spec/quotas.py); it stays queued.
    """
    found = authorize(s, pid, op.handle, Kind.PORT, RECEIVE)
    if isinstance(found, IpcError):
        return fail(s, found)
    cap_id, cap = found
    if op.timeout is not None and op.timeout < 0:
        return fail(s, IpcError.InvalidArgument)
    pt = port(s, cap.obj)
    if pt.queue:
        if (err := quotas.check_delivery(s, pid, pt.queue[0])) is not None:
            return fail(s, err)
        s = put_obj(s, cap.obj, replace(pt, queue=pt.queue[1:]))
        s, delivered = take_delivery(s, pid, pt.queue[0])
        return s, Ok(delivered)
    if pt.closed:
        return fail(s, IpcError.PortClosed)
    if op.timeout == 0:
        return fail(s, IpcError.WouldBlock)
    deadline = None if op.timeout is None else s.clock + op.timeout
    s = put_obj(s, cap.obj, replace(pt, waiters=(*pt.waiters, pid)))
    p = proc(s, pid)
    return put_proc(s, pid, replace(p, status=Waiting(cap.obj, cap_id, deadline))), Ok(
        BLOCKED
    )


@rule(RuleId.PORT_RESUME)
def resume(s: KernelState, pid: Pid, op: Resume) -> Step:
    """Collect the outcome of the receive that blocked; the process runs again.

    The result is exactly the blocked receive's result: ``Ok(Delivered)`` after a
    hand-off, or ``Timeout``, ``PortClosed`` or ``InvalidCapability`` after a
    deadline, a close or a revoke; after a blocked send, the send's result
    (PORT-SEND-BLOCK, CHAN-SEND-BLOCK). Collecting it returns the process to running,
    even when that result is an error: the error belongs to the receive, which
    ends here (the one exception to ERR-ATOMIC). Resume is the only operation a
    blocked or woken process may issue (PROC-STATUS).

    Errors, in precedence order:

    - ``InvalidArgument``: the process is running; there is nothing to collect.
    - ``WouldBlock``: the process is still waiting.
    """
    status = proc(s, pid).status
    if isinstance(status, Running):
        return fail(s, IpcError.InvalidArgument)
    if isinstance(status, Waiting | Sending):
        return fail(s, IpcError.WouldBlock)
    p = proc(s, pid)
    return put_proc(s, pid, replace(p, status=RUNNING)), status.result


@rule(RuleId.PORT_CLOSE)
def close_port(s: KernelState, obj: ObjId) -> Step:
    """Close a port: no more sends; waiters woken; queued messages stay to drain.

    Closing needs MANAGE (RIGHTS-REQUIRED); ``Close`` takes a port or a channel
    handle. Every process waiting on the port, to receive or to send
    (PORT-SEND-BLOCK), is woken with ``PortClosed``.
    Every namespace binding of the port is removed (NS-BIND: a binding dies
    with its port), so the name reads ``PortNotFound`` and can be bound anew.
    Queued messages and the capabilities they carry stay until received:
    receivers drain them, then get ``PortClosed``. Result: the number of
    messages left to drain, so a closer knows what is still in the queue.

    Implicit close (spec/orphans.py): an operation that succeeds and leaves
    the port with no usable RECEIVE capability (in a handle table, a socket,
    or a message queued on a receivable port; a binding does not count)
    closes it in the same step, with these effects, and destroys its queue
    and the capabilities it carries, since nobody can receive them.

    Errors, in precedence order:

    - ``InvalidCapability``: CAP-HANDLE (a port or channel capability).
    - ``InsufficientRights``: no MANAGE.
    - ``PortClosed``: the port was already closed.
    """
    pt = port(s, obj)
    if pt.closed:
        return fail(s, IpcError.PortClosed)
    for waiter in (*pt.waiters, *pt.senders):
        s = wake(s, waiter, Err(IpcError.PortClosed))
    s = unbind_port(s, obj)
    pt = port(s, obj)
    return put_obj(s, obj, replace(pt, closed=True)), Ok(len(pt.queue))
