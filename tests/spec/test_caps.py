"""Processes and capability tables: PROC-*, CAP-*."""

from __future__ import annotations

from collections.abc import Callable

from veridian_ipc.spec import CapInfo, IpcError
from veridian_ipc.spec.rights import PORT_RIGHTS, SEND
from veridian_ipc.spec.syscalls import (
    Bind,
    CreatePort,
    Derive,
    Drop,
    Inspect,
    Kill,
    Lookup,
    Receive,
    Resume,
    Revoke,
    Send,
    Spawn,
)

from .conftest import World


def test_proc_spawn_gives_fresh_pids(world: Callable[..., World]) -> None:
    """PROC-SPAWN: a new empty running process; pids never reused."""
    w = world(2)
    assert w.ok(0, Spawn()) == 3
    w.ok(0, Kill(3))
    assert w.ok(0, Spawn()) == 4
    w.err(3, CreatePort(1), IpcError.NoSuchProcess)
    assert w.ok(4, CreatePort(1)) == 1


def test_proc_kill_releases_everything(world: Callable[..., World]) -> None:
    """PROC-KILL: the dead process's handles go; what was derived from them and
    is held elsewhere stays valid; unknown targets are NoSuchProcess."""
    w = world(2)
    h = w.ok(1, CreatePort(2))
    w.ok(1, Bind(h, "svc", 0))
    mine = w.ok(2, Lookup("svc"))
    w.ok(1, Send(h, 0, 0, b"queued", ()))
    w.ok(0, Kill(1))
    assert 1 not in w.s.processes
    assert w.ok(2, Inspect(mine)) == CapInfo("port", PORT_RIGHTS)
    w.ok(2, Send(mine, 0, 0, b"still works", ()))
    w.err(0, Kill(1), IpcError.NoSuchProcess)
    w.err(0, Kill(99), IpcError.NoSuchProcess)
    w.err(1, Inspect(h), IpcError.NoSuchProcess)


def test_proc_kill_blocked_process_leaves_waiters(world: Callable[..., World]) -> None:
    """PROC-KILL: a blocked process is killed and leaves the waiter queue."""
    w = world(2)
    h = w.ok(1, CreatePort(2))
    w.ok(1, Receive(h, None))
    w.ok(0, Kill(1))
    assert all(not getattr(o, "waiters", ()) for o in w.s.objects.values())


def test_proc_status_blocked_process_can_only_resume(
    world: Callable[..., World],
) -> None:
    """PROC-STATUS: ProcessBlocked for anything but Resume while blocked;
    NoSuchProcess for unknown pids."""
    w = world(1)
    h = w.ok(1, CreatePort(1))
    w.err(7, CreatePort(1), IpcError.NoSuchProcess)
    w.err(-1, Inspect(h), IpcError.NoSuchProcess)
    assert w.ok(1, Receive(h, 5)) is not None
    w.err(1, Inspect(h), IpcError.ProcessBlocked)
    w.err(1, Resume(), IpcError.WouldBlock)


def test_cap_handle_is_local_and_never_reused(world: Callable[..., World]) -> None:
    """CAP-HANDLE: handles are per process; stale and foreign numbers are
    InvalidCapability; a wrong kind is InvalidCapability too."""
    w = world(2)
    h = w.ok(1, CreatePort(1))
    w.err(2, Inspect(h), IpcError.InvalidCapability)
    for bogus in (0, -5, 10**30, h + 1):
        w.err(1, Inspect(bogus), IpcError.InvalidCapability)
    w.ok(1, Drop(h))
    w.err(1, Inspect(h), IpcError.InvalidCapability)
    h2 = w.ok(1, CreatePort(1))
    assert h2 != h
    from veridian_ipc.spec.syscalls import ChannelSend

    w.err(1, ChannelSend(h2, b"x"), IpcError.InvalidCapability)


def test_cap_inspect_reports_kind_and_rights(world: Callable[..., World]) -> None:
    """CAP-INSPECT: kind and rights, nothing changes."""
    w = world(1)
    h = w.ok(1, CreatePort(1))
    assert w.ok(1, Inspect(h)) == CapInfo("port", PORT_RIGHTS)
    d = w.ok(1, Derive(h, SEND))
    assert w.ok(1, Inspect(d)) == CapInfo("port", SEND)


def test_cap_drop_reparents_children(world: Callable[..., World]) -> None:
    """CAP-DROP: dropping an intermediate capability keeps its children under
    the grandparent, so revoking the grandparent still reaches them."""
    w = world(1)
    root = w.ok(1, CreatePort(1))
    mid = w.ok(1, Derive(root, PORT_RIGHTS))
    leaf = w.ok(1, Derive(mid, SEND))
    w.ok(1, Drop(mid))
    assert w.ok(1, Inspect(leaf)) == CapInfo("port", SEND)
    assert w.ok(1, Revoke(root)) == 1
    w.err(1, Inspect(leaf), IpcError.InvalidCapability)
    w.err(1, Drop(mid), IpcError.InvalidCapability)
