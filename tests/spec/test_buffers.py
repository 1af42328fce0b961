"""Zero-copy shared buffers: BUF-*."""

from __future__ import annotations

from collections.abc import Callable

from veridian_ipc.spec import Config, Delivered, IpcError
from veridian_ipc.spec.rights import BUFFER_RIGHTS, GRANT, MANAGE, READ, WRITE
from veridian_ipc.spec.syscalls import (
    Bind,
    CreateBuffer,
    CreatePort,
    Derive,
    Drop,
    Inspect,
    Lookup,
    MapBuffer,
    ReadBuffer,
    Receive,
    Send,
    SetFilter,
    TransferBuffer,
    Unmap,
    WriteBuffer,
)

from .conftest import World


def test_buf_create_limits(world: Callable[..., World]) -> None:
    """BUF-CREATE: size 1..max_buffer_size; READ|WRITE|MANAGE|GRANT."""
    w = world(1, Config(max_buffer_size=64))
    w.err(1, CreateBuffer(0), IpcError.InvalidArgument)
    w.err(1, CreateBuffer(65), IpcError.OutOfMemory)
    b = w.ok(1, CreateBuffer(64))
    assert w.ok(1, Inspect(b)).rights == BUFFER_RIGHTS  # type: ignore[union-attr]


def test_buf_map_needs_read_and_write(world: Callable[..., World]) -> None:
    """BUF-MAP: READ to map, READ|WRITE to map writable; mapping dies with the
    capability it was made through."""
    w = world(1)
    b = w.ok(1, CreateBuffer(8))
    ro = w.ok(1, Derive(b, READ))
    wo = w.ok(1, Derive(b, WRITE))
    w.err(1, MapBuffer(wo, False), IpcError.InsufficientRights)
    w.err(1, MapBuffer(ro, True), IpcError.InsufficientRights)
    p = w.ok(1, CreatePort(1))
    w.err(1, MapBuffer(p, False), IpcError.InvalidCapability)
    m = w.ok(1, MapBuffer(ro, False))
    w.ok(1, Drop(ro))
    w.err(1, ReadBuffer(m, 0, 1), IpcError.InvalidCapability)


def test_buf_unmap(world: Callable[..., World]) -> None:
    """BUF-UNMAP: a live mapping id; never reused."""
    w = world(1)
    b = w.ok(1, CreateBuffer(8))
    m = w.ok(1, MapBuffer(b, False))
    w.ok(1, Unmap(m))
    w.err(1, Unmap(m), IpcError.InvalidCapability)
    assert w.ok(1, MapBuffer(b, False)) != m


def test_buf_read_write_bounds(world: Callable[..., World]) -> None:
    """BUF-READ / BUF-WRITE: shared memory seen by every mapping; bounds are
    OutOfBounds; read-only mapping refuses writes; max_io enforced."""
    w = world(2, Config(max_io=4))
    b = w.ok(1, CreateBuffer(6))
    rw = w.ok(1, MapBuffer(b, True))
    ro = w.ok(1, MapBuffer(b, False))
    w.ok(1, WriteBuffer(rw, 2, b"ab\x00c"))
    assert w.ok(1, ReadBuffer(ro, 0, 4)) == b"\x00\x00ab"
    assert w.ok(1, ReadBuffer(ro, 5, 1)) == b"c"
    assert w.ok(1, ReadBuffer(ro, 6, 0)) == b""
    w.err(1, WriteBuffer(ro, 0, b"x"), IpcError.InsufficientRights)
    w.err(1, WriteBuffer(rw, 3, b"xyzw"), IpcError.OutOfBounds)
    w.err(1, WriteBuffer(rw, -1, b"x"), IpcError.OutOfBounds)
    w.err(1, WriteBuffer(rw, 0, b"12345"), IpcError.InvalidArgument)
    w.err(1, ReadBuffer(ro, 4, 3), IpcError.OutOfBounds)
    w.err(1, ReadBuffer(ro, 0, -1), IpcError.InvalidArgument)
    w.err(1, ReadBuffer(ro, 0, 5), IpcError.InvalidArgument)
    w.err(2, ReadBuffer(ro, 0, 1), IpcError.InvalidCapability)


def test_buf_transfer_leaves_exactly_one_capability(
    world: Callable[..., World],
) -> None:
    """BUF-TRANSFER: every capability and mapping to the buffer is gone, one new
    capability with the sender's rights travels; the receiver maps the same
    memory; a failed transfer changes nothing."""
    w = world(2)
    port = w.ok(2, CreatePort(1))
    w.ok(2, Bind(port, "inbox", 0))
    to2 = w.ok(1, Lookup("inbox"))
    b = w.ok(1, CreateBuffer(4))
    m = w.ok(1, MapBuffer(b, True))
    w.ok(1, WriteBuffer(m, 0, b"data"))
    reader = w.ok(1, Derive(b, READ))
    no_grant = w.ok(1, Derive(b, BUFFER_RIGHTS & ~GRANT))
    w.err(1, TransferBuffer(no_grant, to2, 0), IpcError.InsufficientRights)
    w.err(1, TransferBuffer(reader, to2, 0), IpcError.InsufficientRights)
    w.err(1, TransferBuffer(b, b, 0), IpcError.InvalidCapability)
    w.err(1, TransferBuffer(b, to2, -1), IpcError.InvalidMessage)
    w.ok(2, SetFilter(port, frozenset({7}), None, None))
    w.err(1, TransferBuffer(b, to2, 1), IpcError.Filtered)
    w.ok(1, TransferBuffer(b, to2, 7))
    for h in (b, reader, no_grant):
        w.err(1, Inspect(h), IpcError.InvalidCapability)
    w.err(1, ReadBuffer(m, 0, 1), IpcError.InvalidCapability)
    buf_caps = [c for c in w.s.caps.values() if c.kind.value == "buffer"]
    assert len(buf_caps) == 1
    got = w.ok(2, Receive(port, 0))
    assert isinstance(got, Delivered)
    assert got.caps[0] is not None
    assert got.data == b""
    assert got.msg_type == 7
    assert w.ok(2, Inspect(got.caps[0])).rights == BUFFER_RIGHTS  # type: ignore[union-attr]
    m2 = w.ok(2, MapBuffer(got.caps[0], False))
    assert w.ok(2, ReadBuffer(m2, 0, 4)) == b"data"
    # PortFull: nothing changes
    w.ok(1, Send(to2, 7, 0, b"fill", ()))
    b2 = w.ok(1, CreateBuffer(1))
    w.err(1, TransferBuffer(b2, to2, 7), IpcError.PortFull)
    assert w.ok(1, Inspect(b2)).rights == BUFFER_RIGHTS  # type: ignore[union-attr]
    assert MANAGE & BUFFER_RIGHTS
