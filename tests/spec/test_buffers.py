"""Zero-copy shared buffers: BUF-*."""

from __future__ import annotations

from veridian_ipc.spec import CapInfo, Config, Delivered, IpcError
from veridian_ipc.vocabulary.rights import BUFFER_RIGHTS, GRANT, MANAGE, READ, WRITE
from veridian_ipc.vocabulary.syscalls import (
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
    Revoke,
    Send,
    SetFilter,
    TransferBuffer,
    Unmap,
    WriteBuffer,
)

from .conftest import World


def test_buf_create_limits(world: type[World]) -> None:
    """BUF-CREATE: size 1..max_buffer_size; READ|WRITE|MANAGE|GRANT."""
    w = world(1, Config(max_buffer_size=64))
    w.err(1, CreateBuffer(0), IpcError.InvalidArgument)
    w.err(1, CreateBuffer(65), IpcError.OutOfMemory)
    b = w.handle(1, CreateBuffer(64))
    assert w.info(1, Inspect(b)) == CapInfo("buffer", BUFFER_RIGHTS)


def test_buf_map_needs_read_and_write(world: type[World]) -> None:
    """BUF-MAP: READ to map, READ|WRITE to map writable; mapping dies with the
    capability it was made through."""
    w = world(1)
    b = w.handle(1, CreateBuffer(8))
    ro = w.handle(1, Derive(b, READ))
    wo = w.handle(1, Derive(b, WRITE))
    w.err(1, MapBuffer(wo, False), IpcError.InsufficientRights)
    w.err(1, MapBuffer(ro, True), IpcError.InsufficientRights)
    p = w.handle(1, CreatePort(1))
    w.err(1, MapBuffer(p, False), IpcError.InvalidCapability)
    m = w.handle(1, MapBuffer(ro, False))
    w.ok(1, Drop(ro))
    w.err(1, ReadBuffer(m, 0, 1), IpcError.InvalidCapability)


def test_buf_unmap(world: type[World]) -> None:
    """BUF-UNMAP: a live mapping id; never reused."""
    w = world(1)
    b = w.handle(1, CreateBuffer(8))
    m = w.handle(1, MapBuffer(b, False))
    assert m == 1
    w.ok(1, Unmap(m))
    w.err(1, Unmap(m), IpcError.InvalidCapability)
    assert w.handle(1, MapBuffer(b, False)) == 2


def test_buf_read_write_bounds(world: type[World]) -> None:
    """BUF-READ / BUF-WRITE: shared memory seen by every mapping; bounds are
    OutOfBounds; read-only mapping refuses writes; max_io enforced."""
    w = world(2, Config(max_io=4))
    b = w.handle(1, CreateBuffer(6))
    rw = w.handle(1, MapBuffer(b, True))
    ro = w.handle(1, MapBuffer(b, False))
    w.ok(1, WriteBuffer(rw, 2, b"ab\x00c"))
    assert w.data(1, ReadBuffer(ro, 0, 4)) == b"\x00\x00ab"
    assert w.data(1, ReadBuffer(ro, 5, 1)) == b"c"
    assert w.data(1, ReadBuffer(ro, 6, 0)) == b""
    w.err(1, WriteBuffer(ro, 0, b"x"), IpcError.InsufficientRights)
    w.err(1, WriteBuffer(rw, 3, b"xyzw"), IpcError.OutOfBounds)
    w.err(1, WriteBuffer(rw, -1, b"x"), IpcError.OutOfBounds)
    w.err(1, WriteBuffer(rw, 0, b"12345"), IpcError.InvalidArgument)
    w.err(1, ReadBuffer(ro, 4, 3), IpcError.OutOfBounds)
    w.err(1, ReadBuffer(ro, 0, -1), IpcError.InvalidArgument)
    w.err(1, ReadBuffer(ro, 0, 5), IpcError.InvalidArgument)
    w.err(2, ReadBuffer(ro, 0, 1), IpcError.InvalidCapability)


def test_buf_transfer_moves_the_owners_capability(
    world: type[World],
) -> None:
    """BUF-TRANSFER: the owner's root capability travels (its mappings in the
    sender end); capabilities derived from it stay with their holders; the
    receiver maps the same memory; a failed transfer changes nothing."""
    w = world(2)
    port = w.handle(2, CreatePort(1))
    w.ok(2, Bind(port, "inbox", 0))
    to2 = w.handle(1, Lookup("inbox"))
    b = w.handle(1, CreateBuffer(4))
    m = w.handle(1, MapBuffer(b, True))
    w.ok(1, WriteBuffer(m, 0, b"data"))
    reader = w.handle(1, Derive(b, READ))
    no_grant = w.handle(1, Derive(b, BUFFER_RIGHTS & ~GRANT))
    w.err(1, TransferBuffer(no_grant, to2, 0), IpcError.InsufficientRights)
    w.err(1, TransferBuffer(reader, to2, 0), IpcError.InsufficientRights)
    w.err(1, TransferBuffer(b, b, 0), IpcError.InvalidCapability)
    w.err(1, TransferBuffer(b, to2, -1), IpcError.InvalidMessage)
    w.ok(2, SetFilter(port, frozenset({7}), None, None))
    w.err(1, TransferBuffer(b, to2, 1), IpcError.Filtered)
    w.ok(1, TransferBuffer(b, to2, 7))
    w.err(1, Inspect(b), IpcError.InvalidCapability)
    w.err(1, ReadBuffer(m, 0, 1), IpcError.InvalidCapability)
    assert w.info(1, Inspect(reader)) == CapInfo("buffer", READ)
    got = w.delivered(2, Receive(port, 0))
    (moved,) = got.caps
    assert moved is not None
    assert got == Delivered(1, 7, 0, b"", (moved,))
    assert w.info(2, Inspect(moved)) == CapInfo("buffer", BUFFER_RIGHTS)
    m2 = w.handle(2, MapBuffer(moved, False))
    assert w.data(2, ReadBuffer(m2, 0, 4)) == b"data"
    # the new owner strips the others when it chooses to
    assert w.ok(2, Revoke(moved)) == 2
    w.err(1, Inspect(reader), IpcError.InvalidCapability)
    # PortFull: nothing changes
    w.ok(1, Send(to2, 7, 0, b"fill", ()))
    b2 = w.handle(1, CreateBuffer(1))
    w.err(1, TransferBuffer(b2, to2, 7), IpcError.PortFull)
    assert w.info(1, Inspect(b2)) == CapInfo("buffer", BUFFER_RIGHTS)
    assert MANAGE & BUFFER_RIGHTS


def test_buf_transfer_seed_sequence_keeps_the_receivers_mapping(
    world: type[World],
) -> None:
    """BUF-TRANSFER, seed "Zero-Copy Shared Memory": the receiver maps the
    buffer, then the sender transfers it; the receiver's mapping still reads
    and writes the memory, and the receiver owns the buffer afterwards."""
    w = world(2)
    port = w.handle(2, CreatePort(2))
    w.ok(2, Bind(port, "inbox", 0))
    to2 = w.handle(1, Lookup("inbox"))
    b = w.handle(1, CreateBuffer(4))
    shared = w.handle(1, Derive(b, READ | WRITE | GRANT))
    w.ok(1, Send(to2, 1, 0, b"", (shared,)))
    (h2,) = w.delivered(2, Receive(port, 0)).caps
    assert h2 is not None
    m2 = w.handle(2, MapBuffer(h2, True))
    w.ok(1, TransferBuffer(b, to2, 2))
    w.ok(2, WriteBuffer(m2, 0, b"kept"))
    assert w.data(2, ReadBuffer(m2, 0, 4)) == b"kept"
    (owner,) = w.delivered(2, Receive(port, 0)).caps
    assert owner is not None
    assert w.info(2, Inspect(owner)) == CapInfo("buffer", BUFFER_RIGHTS)


def test_buf_transfer_by_a_delegate_is_refused(world: type[World]) -> None:
    """BUF-TRANSFER: a delegate holding MANAGE and GRANT on a derived capability
    cannot transfer, so it cannot strip the owner's capability or mapping."""
    w = world(2)
    port = w.handle(2, CreatePort(2))
    w.ok(2, Bind(port, "inbox", 0))
    to2 = w.handle(1, Lookup("inbox"))
    b = w.handle(1, CreateBuffer(4))
    m = w.handle(1, MapBuffer(b, True))
    delegate = w.handle(1, Derive(b, BUFFER_RIGHTS))
    w.ok(1, Send(to2, 1, 0, b"", (delegate,)))
    (d2,) = w.delivered(2, Receive(port, 0)).caps
    assert d2 is not None
    assert w.info(2, Inspect(d2)) == CapInfo("buffer", BUFFER_RIGHTS)
    w.err(2, TransferBuffer(d2, port, 0), IpcError.InsufficientRights)
    w.ok(1, WriteBuffer(m, 0, b"mine"))
    assert w.data(1, ReadBuffer(m, 0, 4)) == b"mine"
    assert w.info(1, Inspect(b)) == CapInfo("buffer", BUFFER_RIGHTS)
