"""Rights and derivation: RIGHTS-*."""

from __future__ import annotations

from veridian_ipc.spec import CapInfo, Delivered, IpcError, Rights
from veridian_ipc.vocabulary.rights import (
    ALL_RIGHTS,
    BUFFER_RIGHTS,
    GRANT,
    MANAGE,
    PORT_RIGHTS,
    READ,
    RECEIVE,
    SEND,
    WRITE,
    required_rights,
)
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    Close,
    CreateBuffer,
    CreatePort,
    Derive,
    Inspect,
    Lookup,
    Receive,
    Resume,
    Revoke,
    Send,
    SetFilter,
)

from .conftest import World


def test_rights_bits_are_the_seeds_values() -> None:
    """RIGHTS-BITS: SEND 0x01, RECEIVE 0x02, MANAGE 0x04, GRANT 0x08 (seed);
    READ 0x10, WRITE 0x20 added for buffers."""
    assert (Rights.SEND, Rights.RECEIVE, Rights.MANAGE, Rights.GRANT) == (1, 2, 4, 8)
    assert (Rights.READ, Rights.WRITE) == (0x10, 0x20)
    assert PORT_RIGHTS == 0x0F
    assert BUFFER_RIGHTS == 0x3C
    assert ALL_RIGHTS == 0x3F


def test_rights_required_table_is_enforced(world: type[World]) -> None:
    """RIGHTS-REQUIRED: each operation checks its right (InsufficientRights)."""
    table = required_rights()
    assert table["Send"] == SEND
    assert table["Receive"] == RECEIVE
    assert table["Close"] == MANAGE
    assert table["Bind"] == GRANT
    w = world(1)
    h = w.handle(1, CreatePort(2))
    no_send = w.handle(1, Derive(h, PORT_RIGHTS & ~SEND))
    no_recv = w.handle(1, Derive(h, PORT_RIGHTS & ~RECEIVE))
    no_manage = w.handle(1, Derive(h, PORT_RIGHTS & ~MANAGE))
    no_grant = w.handle(1, Derive(h, PORT_RIGHTS & ~GRANT))
    w.err(1, Send(no_send, 0, 0, b"", ()), IpcError.InsufficientRights)
    w.err(1, Receive(no_recv, 0), IpcError.InsufficientRights)
    w.err(1, Close(no_manage), IpcError.InsufficientRights)
    w.err(1, SetFilter(no_manage, None, 8, None), IpcError.InsufficientRights)
    w.err(1, Bind(no_grant, "n", 0), IpcError.InsufficientRights)


def test_rights_derive_only_attenuates(world: type[World]) -> None:
    """RIGHTS-DERIVE: subset ok; superset InsufficientRights; unknown bits
    InvalidArgument; order InvalidCapability < InvalidArgument <
    InsufficientRights."""
    w = world(1)
    h = w.handle(1, CreatePort(1))
    s_only = w.handle(1, Derive(h, SEND))
    assert w.info(1, Inspect(s_only)) == CapInfo("port", SEND)
    w.err(1, Derive(s_only, SEND | RECEIVE), IpcError.InsufficientRights)
    w.err(1, Derive(h, 0x40), IpcError.InvalidArgument)
    w.err(1, Derive(h, -1), IpcError.InvalidArgument)
    w.err(1, Derive(h, READ), IpcError.InsufficientRights)
    w.err(1, Derive(99, 0x40), IpcError.InvalidCapability)
    w.err(1, Derive(s_only, 0x40), IpcError.InvalidArgument)
    none = w.handle(1, Derive(s_only, 0))  # no rights at all is a subset
    assert w.info(1, Inspect(none)) == CapInfo("port", 0)
    b = w.handle(1, CreateBuffer(8))
    w.err(1, Derive(b, SEND), IpcError.InsufficientRights)
    assert w.info(1, Inspect(w.handle(1, Derive(b, READ | WRITE)))) == CapInfo(
        "buffer", READ | WRITE
    )


def test_rights_revoke_reaches_every_holder(world: type[World]) -> None:
    """RIGHTS-REVOKE: descendants die in every process, in flight, in the
    namespace; waiters through them wake with InvalidCapability; the revoked
    capability itself stays."""
    w = world(3)
    root = w.handle(1, CreatePort(4))
    child = w.handle(1, Derive(root, PORT_RIGHTS))
    w.ok(1, Bind(child, "svc", 0, PORT_RIGHTS))
    looked = w.handle(2, Lookup("svc"))
    grandchild = w.handle(1, Derive(child, SEND | RECEIVE | GRANT))
    in_flight = w.handle(1, Derive(root, SEND | GRANT))
    other = w.handle(1, CreatePort(1))
    w.ok(1, Send(other, 0, 0, b"x", (in_flight,)))
    # process 2 waits for a message through a descendant of root
    w.blocked(2, Receive(looked, None))
    destroyed = w.ok(1, Revoke(root))
    assert destroyed == 5  # child, binding, looked-up, grandchild, in-flight
    w.err(1, Inspect(child), IpcError.InvalidCapability)
    w.err(1, Inspect(grandchild), IpcError.InvalidCapability)
    w.err(3, Lookup("svc"), IpcError.PortNotFound)
    w.err(2, Resume(), IpcError.InvalidCapability)
    w.err(2, Inspect(looked), IpcError.InvalidCapability)
    assert w.delivered(1, Receive(other, 0)) == Delivered(1, 0, 0, b"x", (None,))
    assert w.info(1, Inspect(root)) == CapInfo("port", PORT_RIGHTS)
    assert w.ok(1, Revoke(root)) == 0
    w.err(1, Revoke(child), IpcError.InvalidCapability)
