"""Synchronous messages: MSG-*."""

from __future__ import annotations

from collections.abc import Callable

from veridian_ipc.spec import CapInfo, Delivered, IpcError
from veridian_ipc.spec.messages import check_limits
from veridian_ipc.spec.rights import GRANT, PORT_RIGHTS, READ, SEND
from veridian_ipc.spec.syscalls import (
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


def test_msg_limits_through_send(world: Callable[..., World]) -> None:
    """MSG-LIMITS via PORT-SEND: a failing message changes nothing."""
    w = world(1)
    h = w.ok(1, CreatePort(4))
    w.err(1, Send(h, 0, 0, bytes(65), ()), IpcError.MessageTooLarge)
    w.err(1, Send(h, 0, 0, b"", (h,)), IpcError.InvalidMessage)
    w.ok(1, Send(h, 2**32 - 1, 2**16 - 1, bytes(64), ()))


def test_msg_sender_is_stamped_by_the_system(world: Callable[..., World]) -> None:
    """MSG-SENDER: the receiver sees the true sender pid."""
    w = world(3)
    h = w.ok(1, CreatePort(2))
    from veridian_ipc.spec.syscalls import Bind, Lookup

    w.ok(1, Bind(h, "svc", 0))
    h3 = w.ok(3, Lookup("svc"))
    w.ok(3, Send(h3, 0, 0, b"from three", ()))
    got = w.ok(1, Receive(h, 0))
    assert isinstance(got, Delivered)
    assert got.sender == 3


def test_msg_transfer_moves_and_needs_grant(world: Callable[..., World]) -> None:
    """MSG-TRANSFER: capabilities move (sender loses them), need GRANT, keep
    their rights; a failed send moves none."""
    w = world(1)
    h = w.ok(1, CreatePort(1))
    a = w.ok(1, Derive(h, SEND | GRANT))
    b = w.ok(1, Derive(h, SEND))
    w.err(1, Send(h, 0, 0, b"", (a, b)), IpcError.InsufficientRights)
    assert w.ok(1, Inspect(a)) == CapInfo("port", SEND | GRANT)  # not moved
    w.ok(1, Send(h, 0, 0, b"", (a,)))
    w.err(1, Inspect(a), IpcError.InvalidCapability)
    w.err(1, Send(h, 0, 0, b"", (b,)), IpcError.InsufficientRights)  # b lacks GRANT
    got = w.ok(1, Receive(h, 0))
    assert isinstance(got, Delivered)
    assert got.caps[0] is not None
    assert w.ok(1, Inspect(got.caps[0])) == CapInfo("port", SEND | GRANT)
    # a full port moves nothing either
    c = w.ok(1, Derive(h, PORT_RIGHTS))
    w.ok(1, Send(h, 0, 0, b"", ()))
    w.err(1, Send(h, 0, 0, b"", (c,)), IpcError.PortFull)
    assert w.ok(1, Inspect(c)) == CapInfo("port", PORT_RIGHTS)


def test_msg_transfer_unmaps_the_senders_mappings(world: Callable[..., World]) -> None:
    """MSG-TRANSFER with BUF-MAP: sending a buffer capability away removes the
    mappings made through it."""
    w = world(1)
    h = w.ok(1, CreatePort(1))
    buf = w.ok(1, CreateBuffer(8))
    m = w.ok(1, MapBuffer(buf, False))
    w.ok(1, Send(h, 0, 0, b"", (buf,)))
    w.err(1, ReadBuffer(m, 0, 1), IpcError.InvalidCapability)
    got = w.ok(1, Receive(h, 0))
    assert isinstance(got, Delivered)
    assert got.caps[0] is not None
    assert w.ok(1, Inspect(got.caps[0])).rights & READ  # type: ignore[union-attr]


def test_msg_inflight_revoke_leaves_an_empty_slot(world: Callable[..., World]) -> None:
    """MSG-INFLIGHT-REVOKE: a capability revoked in flight arrives as None."""
    w = world(1)
    h = w.ok(1, CreatePort(2))
    parent = w.ok(1, Derive(h, PORT_RIGHTS))
    kid = w.ok(1, Derive(parent, SEND | GRANT))
    keep = w.ok(1, Derive(h, SEND | GRANT))
    w.ok(1, Send(h, 3, 0, b"z", (kid, keep)))
    w.ok(1, Revoke(parent))
    got = w.ok(1, Receive(h, 0))
    assert isinstance(got, Delivered)
    assert got.caps[0] is None
    assert got.caps[1] is not None
