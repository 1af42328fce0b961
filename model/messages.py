"""Synchronous messages: limits, sender, capability transfer (MSG-*)."""

from __future__ import annotations

from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import (
    MAX_FLAGS,
    MAX_INLINE_DATA,
    MAX_MESSAGE_CAPS,
    MAX_U32,
)
from veridian_ipc.vocabulary.results import Delivered
from veridian_ipc.vocabulary.rights import GRANT

from .caps import detach, install_all
from .state import AT_HANDLE, IN_FLIGHT, Cap, Message, Port, Process, State


def check_limits(
    msg_type: int, flags: int, size: int, caps: tuple[int, ...], via: int
) -> IpcError | None:
    """MSG-LIMITS: at most 64 bytes and 4 distinct handles, not the one sent
    through; type a u32, flags a u16.

    Errors, in precedence order: ``MessageTooLarge``, ``InvalidMessage``.
    """
    if size > MAX_INLINE_DATA:
        return IpcError.MessageTooLarge
    if not (0 <= msg_type <= MAX_U32 and 0 <= flags <= MAX_FLAGS):
        return IpcError.InvalidMessage
    if caps and (
        len(caps) > MAX_MESSAGE_CAPS or len(set(caps)) != len(caps) or via in caps
    ):
        return IpcError.InvalidMessage
    return None


def check_transfer(p: Process, caps: tuple[int, ...]) -> list[Cap] | IpcError:
    """MSG-TRANSFER: every carried handle is live, then every one has GRANT.

    Errors, in precedence order: ``InvalidCapability``, ``InsufficientRights``.
    """
    handles = p.handles
    found: list[Cap] = []
    for h in caps:
        cap = handles.get(h)
        if cap is None:
            return IpcError.InvalidCapability
        found.append(cap)
    for cap in found:
        if not cap.rights & GRANT:
            return IpcError.InsufficientRights
    return found


def put_in_flight(st: State, caps: list[Cap], msg: Message, port: Port) -> None:
    """Move checked capabilities out of wherever they are into ``msg``, queued
    on (or handed off through) ``port``.

    Their objects are suspects (model/orphans.py, model/reclaim.py): the
    message may be queued on a port nobody can receive from or reach."""
    suspects = st.suspects
    for cap in caps:
        parent = cap.parent
        if parent is None or parent.where != AT_HANDLE:  # see caps.destroy
            suspects.add(cap.obj)
        if (
            cap.where == AT_HANDLE
            and not cap.mappings
            and not (type(cap.obj) is Port and cap.obj.waiters)
            and not cap.obj.watchers
        ):
            # ``detach`` from a handle table with nothing to end or notify
            p = cap.proc
            assert p is not None
            del p.handles[cap.handle]
            cap.proc = None
            cap.handle = 0
        else:
            detach(st, cap)
        cap.where = IN_FLIGHT
        cap.msg = msg
        cap.port = port


def take_delivery(p: Process, msg: Message) -> Delivered:
    """MSG-INFLIGHT-REVOKE: the receiver gets new handles, in message order, for
    the capabilities still in the message; a revoked one is ``None``.

    MSG-SENDER: ``sender`` is the pid the system stamped on the message.
    """
    handles = tuple(install_all(p, msg.caps)) if msg.caps else ()
    return Delivered(msg.sender, msg.msg_type, msg.flags, msg.data, handles)


def take_back(st: State, p: Process, d: Delivered, port: Port) -> Message:
    """The queued message a delivery to ``p`` came from: ``p``'s new handles for
    the carried capabilities go back in flight, in message order (the inverse
    of ``take_delivery``; a handle ``p`` no longer holds becomes ``None``)."""
    if not d.caps:
        return tuple.__new__(Message, (d.sender, d.msg_type, d.flags, d.data, ()))
    slots: list[Cap | None] = [None if h is None else p.handles.get(h) for h in d.caps]
    msg = tuple.__new__(Message, (d.sender, d.msg_type, d.flags, d.data, slots))
    put_in_flight(st, [c for c in slots if c is not None], msg, port)
    return msg
