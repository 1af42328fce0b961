"""Processes and capability tables: PROC-*, CAP-*."""

from __future__ import annotations

import pytest

from veridian_ipc.spec import CapInfo, IpcError
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.results import Value
from veridian_ipc.vocabulary.rights import PORT_RIGHTS, SEND
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    CreateChannel,
    CreatePort,
    Derive,
    Drop,
    Inspect,
    Kill,
    Lookup,
    Operation,
    Receive,
    Resume,
    Revoke,
    Send,
    Spawn,
)

from .conftest import World


def test_proc_spawn_gives_fresh_pids(world: type[World]) -> None:
    """PROC-SPAWN: a new empty running process; pids never reused."""
    w = world(2)
    assert w.ok(0, Spawn()) == 3
    w.ok(0, Kill(3))
    assert w.ok(0, Spawn()) == 4
    w.err(3, CreatePort(1), IpcError.NoSuchProcess)
    assert w.ok(4, CreatePort(1)) == 1


def test_proc_kill_releases_everything(world: type[World]) -> None:
    """PROC-KILL: the dead process's handles go; what was derived from them and
    is held elsewhere stays valid; unknown targets are NoSuchProcess."""
    w = world(2)
    h = w.handle(1, CreatePort(2))
    w.ok(1, Bind(h, "svc", 0, PORT_RIGHTS))
    mine = w.handle(2, Lookup("svc"))
    w.ok(1, Send(h, 0, 0, b"queued", ()))
    w.ok(0, Kill(1))
    assert Pid(1) not in w.s.processes
    assert w.info(2, Inspect(mine)) == CapInfo("port", PORT_RIGHTS)
    w.ok(2, Send(mine, 0, 0, b"still works", ()))
    w.err(0, Kill(1), IpcError.NoSuchProcess)
    w.err(0, Kill(99), IpcError.NoSuchProcess)
    w.err(1, Inspect(h), IpcError.NoSuchProcess)


def test_proc_kill_blocked_process_leaves_waiters(world: type[World]) -> None:
    """PROC-KILL: a blocked process is killed and leaves the waiter queue (the
    port lives on, held by process 2)."""
    w = world(2)
    h = w.handle(1, CreatePort(2))
    w.ok(1, Bind(h, "svc", 0, PORT_RIGHTS))
    kept = w.handle(2, Lookup("svc"))
    w.blocked(1, Receive(h, None))
    assert w.port_of(2, kept).waiters == (Pid(1),)
    w.ok(0, Kill(1))
    assert w.port_of(2, kept).waiters == ()


def test_proc_status_blocked_process_can_only_resume(
    world: type[World],
) -> None:
    """PROC-STATUS: ProcessBlocked for anything but Resume while blocked;
    NoSuchProcess for unknown pids."""
    w = world(1)
    h = w.handle(1, CreatePort(1))
    w.err(7, CreatePort(1), IpcError.NoSuchProcess)
    w.err(-1, Inspect(h), IpcError.NoSuchProcess)
    w.blocked(1, Receive(h, 5))
    w.err(1, Inspect(h), IpcError.ProcessBlocked)
    w.err(1, Resume(), IpcError.WouldBlock)


def test_cap_handle_is_local_and_never_reused(world: type[World]) -> None:
    """CAP-HANDLE: handles are per process; stale and foreign numbers are
    InvalidCapability; a wrong kind is InvalidCapability too."""
    w = world(2)
    h = w.handle(1, CreatePort(1))
    w.err(2, Inspect(h), IpcError.InvalidCapability)
    for bogus in (0, -5, 10**30, h + 1):
        w.err(1, Inspect(bogus), IpcError.InvalidCapability)
    w.ok(1, Drop(h))
    w.err(1, Inspect(h), IpcError.InvalidCapability)
    h2 = w.handle(1, CreatePort(1))
    assert (h, h2) == (1, 2)
    from veridian_ipc.vocabulary.syscalls import ChannelSend

    w.err(1, ChannelSend(h2, b"x"), IpcError.InvalidCapability)


def test_cap_inspect_reports_kind_and_rights(world: type[World]) -> None:
    """CAP-INSPECT: kind and rights, nothing changes."""
    w = world(1)
    h = w.handle(1, CreatePort(1))
    before = w.s
    assert w.info(1, Inspect(h)) == CapInfo("port", PORT_RIGHTS)
    assert w.s == before
    d = w.handle(1, Derive(h, SEND))
    assert w.info(1, Inspect(d)) == CapInfo("port", SEND)


def test_cap_drop_reparents_children(world: type[World]) -> None:
    """CAP-DROP: dropping an intermediate capability keeps its children under
    the grandparent, so revoking the grandparent still reaches them."""
    w = world(1)
    root = w.handle(1, CreatePort(1))
    mid = w.handle(1, Derive(root, PORT_RIGHTS))
    leaf = w.handle(1, Derive(mid, SEND))
    w.ok(1, Drop(mid))
    assert w.info(1, Inspect(leaf)) == CapInfo("port", SEND)
    assert w.ok(1, Revoke(root)) == 1
    w.err(1, Inspect(leaf), IpcError.InvalidCapability)
    w.err(1, Drop(mid), IpcError.InvalidCapability)


def test_world_accessors_refuse_another_kind_of_value(world: type[World]) -> None:
    """The typed accessors of the tests' ``World`` check the kind of value at run
    time: a test that got a ``CapInfo`` where it wanted a handle fails there."""
    w = world(1)
    h = w.handle(1, CreatePort(1))
    c = w.handle(1, CreateChannel(1, 1))
    with pytest.raises(AssertionError, match="CapInfo"):
        w.handle(1, Inspect(h))
    with pytest.raises(AssertionError, match="Derive"):
        w.info(1, Derive(h, SEND))
    with pytest.raises(AssertionError, match="CapInfo"):
        w.delivered(1, Inspect(h))
    with pytest.raises(AssertionError, match="CapInfo"):
        w.data(1, Inspect(h))
    with pytest.raises(AssertionError, match="CapInfo"):
        w.items(1, Inspect(h))
    with pytest.raises(AssertionError, match="CapInfo"):
        w.blocked(1, Inspect(h))
    with pytest.raises(AssertionError, match="Channel"):
        w.port_of(1, c)

    class BoolWorld(World):
        def ok(self, pid: int, op: Operation) -> Value:
            return True  # an int to the type checker, not a handle

    with pytest.raises(AssertionError, match="True"):
        BoolWorld(1).handle(1, CreatePort(1))
