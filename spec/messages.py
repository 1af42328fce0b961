"""Synchronous messages (group "messages"): limits, sender, capability transfer.

Seed section "Synchronous Message Passing": a message is a header (``sender``,
``msg_type``, ``flags``), up to 64 bytes of inline data and up to 4 capabilities.
This chapter defines what a well-formed message is (MSG-LIMITS), who stamps the
sender (MSG-SENDER), what happens to the capabilities it carries (MSG-TRANSFER)
and to one revoked while in flight (MSG-INFLIGHT-REVOKE). Ports (spec/ports.py)
queue and deliver messages; a failed send changes nothing: all checks here run
before any capability moves (ERR-ATOMIC).
"""

from __future__ import annotations

from veridian_ipc.vocabulary._registry import rule
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import (
    MAX_FLAGS,
    MAX_INLINE_DATA,
    MAX_MESSAGE_CAPS,
    MAX_U32,
    CapId,
    Handle,
    ObjId,
    Pid,
)
from veridian_ipc.vocabulary.results import Delivered
from veridian_ipc.vocabulary.rights import GRANT, has

from .caps import detach, install, relocate, resolve
from .state import InFlight, KernelState, QueuedMessage
from .tasks import table_of


@rule(RuleId.MSG_LIMITS)
def check_limits(
    msg_type: int, flags: int, data: bytes, caps: tuple[int, ...], via: int
) -> IpcError | None:
    """A message carries at most 64 bytes of data and 4 distinct capabilities.

    ``msg_type`` is an unsigned 32-bit value, ``flags`` an unsigned 16-bit value
    whose bits are the application's (the seed names ``MessageFlags`` but defines
    no bit, so the system attaches no meaning to them). A handle may appear once
    in a message, and never the handle the message is sent through (Zircon
    refuses to write a channel's own handle into it: the message would hold the
    only way to reach itself).

    Errors, in precedence order:

    - ``MessageTooLarge``: more than 64 bytes of inline data.
    - ``InvalidMessage``: type or flags out of range, more than 4 capabilities, a
      handle repeated, or the handle the message is sent through.
    """
    if len(data) > MAX_INLINE_DATA:
        return IpcError.MessageTooLarge
    if not (0 <= msg_type <= MAX_U32 and 0 <= flags <= MAX_FLAGS):
        return IpcError.InvalidMessage
    if len(caps) > MAX_MESSAGE_CAPS or len(set(caps)) != len(caps) or via in caps:
        return IpcError.InvalidMessage
    return None


@rule(RuleId.MSG_TRANSFER)
def check_transfer(
    s: KernelState, pid: Pid, caps: tuple[int, ...]
) -> tuple[CapId, ...] | IpcError:
    """Every capability a message carries is **moved**, and moving needs GRANT.

    Each handle must be a live handle of the sender, with GRANT. On a successful
    send the capabilities leave the sender's table (their handles become
    invalid, mappings made through them go) and travel in the message; the
    receiver gets new handles to the same capability nodes, rights unchanged.
    Decision: move, not copy (precedent: on success ``zx_channel_write`` takes
    the handles out of the caller's table into the message; Mach's
    ``MACH_MSG_TYPE_MOVE_SEND`` disposition moves a send right, ``COPY_SEND``
    copies it). A sender that wants to keep access derives a copy first; the
    copy can only be sent if it kept GRANT. Checked for every capability before
    any moves: a failed send moves none.

    Departure from Zircon: in current Zircon a failed ``zx_channel_write``
    still consumes the handles (its reference page: on any failure the handles
    are discarded rather than transferred; early Zircon, and Magenta before it,
    left them with the caller). Here a failed send leaves every carried
    capability with the sender (ERR-ATOMIC: a failed operation changes
    nothing), so a sender that meets ``PortFull`` or ``RateLimited`` can retry
    with the same handles, and no capability disappears without a message
    carrying it.

    Errors, in precedence order:

    - ``InvalidCapability``: a handle is not a live handle of the sender.
    - ``InsufficientRights``: a capability lacks GRANT.
    """
    ids: list[CapId] = []
    for h in caps:
        found = resolve(s, pid, h)
        if isinstance(found, IpcError):
            return found
        ids.append(found[0])
    for cap_id in ids:
        if not has(s.caps[cap_id].rights, GRANT):
            return IpcError.InsufficientRights
    return tuple(ids)


def put_in_flight(
    s: KernelState, caps: tuple[CapId, ...], port_obj: ObjId
) -> KernelState:
    """Move the checked capabilities out of the sender into a message on a port."""
    for cap_id in caps:
        s = detach(s, cap_id)
        s = relocate(s, cap_id, InFlight(port_obj))
    return s


@rule(RuleId.MSG_SENDER)
def stamp(
    pid: Pid, msg_type: int, flags: int, data: bytes, caps: tuple[CapId | None, ...]
) -> QueuedMessage:
    """The system sets a message's ``sender`` to the sending process's pid.

    The operation records carry no sender field, so a process cannot name
    another as the sender: the receiver can trust ``Delivered.sender`` (seed
    header field ``sender: ProcessId``).

    Precedents, and where the spec departs: an seL4 endpoint badge
    (``seL4_CNode_Mint`` with a badge; the receiver gets it from ``seL4_Recv``)
    identifies the **capability** the message was sent through, not the
    sending thread: every holder of a copy sends the same badge, and the
    kernel tells the receiver nothing else about the sender. Zircon's
    ``zx_channel_read`` reports no sender at all: the channel end one holds is
    the identity. The spec gives the pid because the seed's header carries
    ``sender: ProcessId``, and the pid is unforgeable here since only the
    system writes it. A server that wants seL4-style per-capability identity
    gives each client its own port.
    """
    return QueuedMessage(pid, msg_type, flags, data, caps)


@rule(RuleId.MSG_INFLIGHT_REVOKE)
def take_delivery(
    s: KernelState, receiver: Pid, msg: QueuedMessage
) -> tuple[KernelState, Delivered]:
    """The receiver gets new handles for the capabilities still in the message.

    A capability revoked (RIGHTS-REVOKE) or taken back by a buffer transfer
    (BUF-TRANSFER) while its message was queued is gone: its position in
    ``Delivered.caps`` is ``None``, so the receiver sees that one was sent but
    gains no authority. Every other carried capability is installed, even
    when the SEND capability the message went through has been revoked since:
    a revoke reaches descendants only, and a queued message stays deliverable
    (RIGHTS-REVOKE states the decision and its precedents). Handles are
    installed in message order.
    """
    handles: list[int | None] = []
    for cap_id in msg.caps:
        if cap_id is None:
            handles.append(None)
        else:
            s, h = install(s, receiver, cap_id)
            handles.append(h)
    return s, Delivered(msg.sender, msg.msg_type, msg.flags, msg.data, tuple(handles))


def take_back(
    s: KernelState, receiver: Pid, d: Delivered, port_obj: ObjId
) -> tuple[KernelState, QueuedMessage]:
    """The queued message a delivery to ``receiver`` came from, its
    capabilities back in flight on ``port_obj`` (the inverse of
    ``take_delivery``, for a hand-off never collected, PORT-HANDOFF). A handle
    the receiver no longer holds (revoked meanwhile) is ``None``, as
    MSG-INFLIGHT-REVOKE makes it for a queued message."""
    table = table_of(s, receiver).handles
    carried: list[CapId | None] = []
    for h in d.caps:
        cap_id = None if h is None else table.get(Handle(h))
        if cap_id is not None:
            s = detach(s, cap_id)
            s = relocate(s, cap_id, InFlight(port_obj))
        carried.append(cap_id)
    return s, QueuedMessage(Pid(d.sender), d.msg_type, d.flags, d.data, tuple(carried))
