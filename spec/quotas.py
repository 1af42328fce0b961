"""Resource quotas (issue 12 item 14): exhaustion specified, reachable, checked.

Seed section "IPC Errors" lists ``OutOfMemory`` among the system errors; a
real kernel runs out on any derive, handle install, queue entry or object,
not only when asked for an over-limit size. ``Config`` therefore carries three
quotas, and this module is the one place that accounts for them:

- ``max_handles`` (per task, PROC-THREAD: its threads share the table): the
  capabilities one handle table holds at
  once. Every operation that installs a handle is charged: ``CreatePort``,
  ``CreateChannel``, ``CreateBuffer`` (one), ``Derive`` (one), ``Lookup`` and
  ``Connect`` (one), and a delivery (PORT-RECEIVE, PORT-HANDOFF,
  POSIX-RECV): one per capability the message still carries.
- ``max_objects`` (per system): kernel objects. ``CreatePort``,
  ``CreateChannel``, ``CreateBuffer`` and ``Socket`` are charged one. The
  spec never reclaims an object (a closed port stays to be drained, a buffer
  stays while a capability names it, and ids are never reused), so the quota
  bounds the objects a system creates in its life. The seed has one kernel
  heap, so the quota is the system's, not a process's: this departs from a
  per-process object quota (a creator's charge would need a rule, which the
  seed does not give, for objects that outlive it).
- ``max_queued_bytes`` (per task, PROC-THREAD): inline data bytes of the
  messages the task's threads sent and no receiver has collected yet: those
  waiting in port queues and those handed off to a woken receiver that has
  not resumed (PORT-HANDOFF's kept slot). ``Send`` and ``SockSend`` with data
  are charged, whether receivers wait or not; a receive, the ``Resume`` that
  collects a hand-off, a close that drains, or a destroyed queue gives the
  bytes back; ``TransferBuffer`` carries no data.

*A message is charged until it is collected.* A message counts against its
sender's queued bytes from the send until a receiver collects it, whether it
waits in the queue or in a woken receiver's kept slot: exactly as
PORT-HANDOFF accounts for the port's capacity. Precedent: Zircon charges a
message to the channel until it is read: a written message is held in the
channel's memory, whether or not a reader waits, until ``zx_channel_read``
takes it. Two consequences a free hand-off would break:
a send whose waiters are all woken with ``OutOfMemory`` (below) queues a
message that was checked like any other, and a hand-off returned to the head
of the queue by the receiver's death (``give_back``) moves bytes that were
already counted, so neither can take the sender over its quota.

*Where the check sits.* A quota is checked after every rights and argument
check of the rule and after the object-side checks (closed, filter, rate,
room), immediately before the effects: the error is ``OutOfMemory`` and the
state is unchanged (ERR-ATOMIC). Precedent: Zircon checks handle rights and
arguments first and returns ``ZX_ERR_NO_MEMORY`` only where the allocation
is made (``zx_channel_create``, ``zx_handle_duplicate``: "Failure due to lack
of memory"), and seL4's ``seL4_Untyped_Retype`` checks the capability and
arguments before it reports ``seL4_NotEnoughMemory`` for an exhausted untyped.

*A delivery that does not fit.* A ``Receive`` whose oldest queued message
carries more capabilities than the receiver's table has room for fails with
``OutOfMemory`` and leaves the message queued, whole and first (Zircon's
``zx_channel_read`` with a handle buffer too small answers
``ZX_ERR_BUFFER_TOO_SMALL`` and leaves the message in the channel; the spec
uses the seed's enum). A send to a port where receivers wait hands the
message to the first waiter that has room; each waiter before it is woken
with ``OutOfMemory`` (its receive fails; nothing is lost), and if none has
room the message is queued: the queue is empty whenever receivers wait
(INV-WAITERS), so it has room.
"""

from __future__ import annotations

from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import ObjId, Pid
from veridian_ipc.vocabulary.results import Delivered, Err, Ok

from .state import KernelState, Port, QueuedMessage
from .store import handoffs, port, wake
from .tasks import table_of, task_of, threads_of


def handles_used(s: KernelState, pid: Pid) -> int:
    """The handles ``pid``'s table (its task's, PROC-THREAD) holds."""
    return len(table_of(s, pid).handles)


def queued_bytes(s: KernelState, pid: Pid) -> int:
    """The inline bytes of the messages of ``pid``'s task (any of its
    threads, PROC-THREAD) not yet collected: those waiting in port queues
    and those in a woken receiver's kept hand-off slot (PORT-HANDOFF; the
    ``Delivered`` result names their sender)."""
    senders = set(threads_of(s, task_of(s, pid)))
    return sum(
        len(m.data)
        for o in s.objects.values()
        if isinstance(o, Port)
        for m in o.queue
        if m.sender in senders
    ) + sum(len(d.data) for d in kept(s) if d.sender in senders)


def kept(s: KernelState) -> list[Delivered]:
    """The hand-offs not yet collected: each woken receiver's ``Delivered``
    result while its ``Woken.handed`` names the port (PORT-HANDOFF)."""

    out: list[Delivered] = []
    for w in handoffs(s):
        r = w.result
        if isinstance(r, Ok) and isinstance(r.value, Delivered):
            out.append(r.value)
    return out


def carried(msg: QueuedMessage) -> int:
    """The capabilities a delivery of ``msg`` installs (revoked ones excepted)."""
    return sum(1 for c in msg.caps if c is not None)


def check_handles(s: KernelState, pid: Pid, n: int = 1) -> IpcError | None:
    """``OutOfMemory`` if ``pid``'s table has no room for ``n`` more handles."""
    if handles_used(s, pid) + n > s.config.max_handles:
        return IpcError.OutOfMemory
    return None


def check_objects(s: KernelState) -> IpcError | None:
    """``OutOfMemory`` if the system has created ``max_objects`` objects."""
    if len(s.objects) >= s.config.max_objects:
        return IpcError.OutOfMemory
    return None


def check_create(s: KernelState, pid: Pid) -> IpcError | None:
    """The quotas of a create that makes one object and one handle."""
    return check_objects(s) or check_handles(s, pid)


def check_queued(s: KernelState, pid: Pid, obj: ObjId, size: int) -> IpcError | None:
    """``OutOfMemory`` if sending ``size`` more bytes to port ``obj`` would
    take ``pid`` over ``max_queued_bytes``: every send with data, receivers
    waiting or not (a hand-off's bytes count until collected, PORT-HANDOFF)."""
    del obj  # the port does not matter: queued or handed, the bytes count
    if size == 0:
        return None
    if queued_bytes(s, pid) + size > s.config.max_queued_bytes:
        return IpcError.OutOfMemory
    return None


def check_delivery(s: KernelState, pid: Pid, msg: QueuedMessage) -> IpcError | None:
    """``OutOfMemory`` if ``pid``'s table has no room for ``msg``'s capabilities."""
    return check_handles(s, pid, carried(msg))


def refuse_unfit_waiters(s: KernelState, obj: ObjId, msg: QueuedMessage) -> KernelState:
    """Wake with ``OutOfMemory`` each waiter of port ``obj``, in order, until
    the first whose table has room for ``msg``'s capabilities (PORT-HANDOFF
    then hands the message to it; with none left, it is queued)."""
    while port(s, obj).waiters:
        first = port(s, obj).waiters[0]
        if check_delivery(s, first, msg) is None:
            break
        s = wake(s, first, Err(IpcError.OutOfMemory))
    return s


__all__ = [
    "carried",
    "check_create",
    "check_delivery",
    "check_handles",
    "check_objects",
    "check_queued",
    "handles_used",
    "kept",
    "queued_bytes",
    "refuse_unfit_waiters",
]
