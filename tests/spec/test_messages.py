"""Synchronous messages: MSG-*."""

from __future__ import annotations

from veridian_ipc.spec import CapInfo, Delivered, IpcError
from veridian_ipc.spec.messages import check_limits
from veridian_ipc.vocabulary.rights import BUFFER_RIGHTS, GRANT, PORT_RIGHTS, SEND
from veridian_ipc.vocabulary.syscalls import (
    CreateBuffer,
    CreatePort,
    Derive,
    Inspect,
    MapBuffer,
    ReadBuffer,
    Receive,
    Revoke,
    Send,
)

from .conftest import World


def test_msg_limits() -> None:
    """MSG-LIMITS: 64 bytes, 4 distinct capabilities, u32 type, u16 flags, not
    the handle sent through."""
    assert check_limits(0, 0, b"x" * 64, (1, 2, 3, 4), 9) is None
    assert check_limits(0, 0, b"x" * 65, (), 9) is IpcError.MessageTooLarge
    assert check_limits(2**32, 0, b"", (), 9) is IpcError.InvalidMessage
    assert check_limits(-1, 0, b"", (), 9) is IpcError.InvalidMessage
    assert check_limits(0, 2**16, b"", (), 9) is IpcError.InvalidMessage
    assert check_limits(0, 0, b"", (1, 2, 3, 4, 5), 9) is IpcError.InvalidMessage
    assert check_limits(0, 0, b"", (1, 1), 9) is IpcError.InvalidMessage
    assert check_limits(0, 0, b"", (9,), 9) is IpcError.InvalidMessage
    # too large wins over malformed
    assert check_limits(-1, 0, b"x" * 65, (1, 1), 9) is IpcError.MessageTooLarge


def test_msg_limits_through_send(world: type[World]) -> None:
    """MSG-LIMITS via PORT-SEND: a failing message changes nothing."""
    w = world(1)
    h = w.handle(1, CreatePort(4))
    w.err(1, Send(h, 0, 0, bytes(65), ()), IpcError.MessageTooLarge)
    w.err(1, Send(h, 0, 0, b"", (h,)), IpcError.InvalidMessage)
    assert w.port_of(1, h).queue == ()
    w.ok(1, Send(h, 2**32 - 1, 2**16 - 1, bytes(64), ()))
    assert w.delivered(1, Receive(h, 0)) == Delivered(
        1, 2**32 - 1, 2**16 - 1, bytes(64), ()
    )


def test_msg_sender_is_stamped_by_the_system(world: type[World]) -> None:
    """MSG-SENDER: the receiver sees the true sender pid."""
    w = world(3)
    h = w.handle(1, CreatePort(2))
    from veridian_ipc.vocabulary.syscalls import Bind, Lookup

    w.ok(1, Bind(h, "svc", 0))
    h3 = w.handle(3, Lookup("svc"))
    w.ok(3, Send(h3, 0, 0, b"from three", ()))
    assert w.delivered(1, Receive(h, 0)) == Delivered(3, 0, 0, b"from three", ())


def test_msg_transfer_moves_and_needs_grant(world: type[World]) -> None:
    """MSG-TRANSFER: capabilities move (sender loses them), need GRANT, keep
    their rights; a failed send moves none."""
    w = world(1)
    h = w.handle(1, CreatePort(1))
    a = w.handle(1, Derive(h, SEND | GRANT))
    b = w.handle(1, Derive(h, SEND))
    w.err(1, Send(h, 0, 0, b"", (a, b)), IpcError.InsufficientRights)
    assert w.info(1, Inspect(a)) == CapInfo("port", SEND | GRANT)  # not moved
    w.ok(1, Send(h, 0, 0, b"", (a,)))
    w.err(1, Inspect(a), IpcError.InvalidCapability)
    w.err(1, Send(h, 0, 0, b"", (b,)), IpcError.InsufficientRights)  # b lacks GRANT
    got = w.delivered(1, Receive(h, 0))
    (moved,) = got.caps
    assert moved is not None
    assert w.info(1, Inspect(moved)) == CapInfo("port", SEND | GRANT)
    # a full port moves nothing either
    c = w.handle(1, Derive(h, PORT_RIGHTS))
    w.ok(1, Send(h, 0, 0, b"", ()))
    w.err(1, Send(h, 0, 0, b"", (c,)), IpcError.PortFull)
    assert w.ok(1, Inspect(c)) == CapInfo("port", PORT_RIGHTS)


def test_msg_transfer_unmaps_the_senders_mappings(world: type[World]) -> None:
    """MSG-TRANSFER with BUF-MAP: sending a buffer capability away removes the
    mappings made through it."""
    w = world(1)
    h = w.handle(1, CreatePort(1))
    buf = w.handle(1, CreateBuffer(8))
    m = w.handle(1, MapBuffer(buf, False))
    w.ok(1, Send(h, 0, 0, b"", (buf,)))
    w.err(1, ReadBuffer(m, 0, 1), IpcError.InvalidCapability)
    (moved,) = w.delivered(1, Receive(h, 0)).caps
    assert moved is not None
    assert w.info(1, Inspect(moved)) == CapInfo("buffer", BUFFER_RIGHTS)
    assert w.data(1, ReadBuffer(w.handle(1, MapBuffer(moved, False)), 0, 1)) == b"\0"


def test_msg_inflight_revoke_leaves_an_empty_slot(world: type[World]) -> None:
    """MSG-INFLIGHT-REVOKE: a capability revoked in flight arrives as None."""
    w = world(1)
    h = w.handle(1, CreatePort(2))
    parent = w.handle(1, Derive(h, PORT_RIGHTS))
    kid = w.handle(1, Derive(parent, SEND | GRANT))
    keep = w.handle(1, Derive(h, SEND | GRANT))
    w.ok(1, Send(h, 3, 0, b"z", (kid, keep)))
    assert w.ok(1, Revoke(parent)) == 1  # kid, in flight
    got = w.delivered(1, Receive(h, 0))
    assert (got.msg_type, got.data) == (3, b"z")
    revoked, kept = got.caps
    assert revoked is None
    assert kept is not None
    assert w.info(1, Inspect(kept)) == CapInfo("port", SEND | GRANT)
