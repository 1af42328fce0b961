"""Namespace: NS-*."""

from __future__ import annotations

from veridian_ipc.spec import CapInfo, Config, IpcError
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.rights import MANAGE, PORT_RIGHTS, SEND
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    Connect,
    CreateChannel,
    CreatePort,
    Derive,
    Inspect,
    Lookup,
    Unbind,
)

from .conftest import World


def test_ns_bind_rules(world: type[World]) -> None:
    """NS-BIND: needs GRANT, ports only, valid names, no silent rebinding."""
    w = world(2, Config(max_name_length=8))
    h = w.handle(1, CreatePort(1))
    s_only = w.handle(1, Derive(h, SEND))
    ch = w.handle(1, CreateChannel(1, 1))
    w.err(1, Bind(ch, "c", 0), IpcError.InvalidCapability)
    w.err(1, Bind(s_only, "", 0), IpcError.InsufficientRights)
    for bad in ("", "x" * 9, "a\0b", "\ud800"):
        w.err(1, Bind(h, bad, 0), IpcError.InvalidArgument)
    w.err(1, Bind(h, "ok", 2**32), IpcError.InvalidArgument)
    w.ok(1, Bind(h, "x" * 8, 0))
    w.ok(1, Bind(h, "svc", 5))
    w.err(1, Bind(h, "svc", 5), IpcError.NameInUse)
    assert w.info(1, Inspect(h)) == CapInfo("port", PORT_RIGHTS)  # binder keeps it


def test_ns_lookup_gives_binding_rights(world: type[World]) -> None:
    """NS-LOOKUP: a new handle with the binding's rights; PortNotFound else."""
    w = world(2)
    h = w.handle(1, CreatePort(1))
    pub = w.handle(1, Derive(h, SEND | 0x08))
    w.ok(1, Bind(pub, "svc", 0))
    got = w.handle(2, Lookup("svc"))
    assert w.info(2, Inspect(got)) == CapInfo("port", SEND | 0x08)
    w.err(2, Lookup("nope"), IpcError.PortNotFound)
    w.err(2, Lookup(""), IpcError.InvalidArgument)


def test_ns_connect_checks_type(world: type[World]) -> None:
    """NS-CONNECT: TypeMismatch creates no handle; the matching type succeeds."""
    w = world(2)
    h = w.handle(1, CreatePort(1))
    w.ok(1, Bind(h, "svc", 42))
    before = w.s.processes[Pid(2)].next_handle
    w.err(2, Connect("svc", 41), IpcError.TypeMismatch)
    assert w.s.processes[Pid(2)].next_handle == before
    w.err(2, Connect("none", 42), IpcError.PortNotFound)
    w.err(2, Connect("svc", -1), IpcError.InvalidArgument)
    connected = w.handle(2, Connect("svc", 42))
    assert connected == before
    assert w.info(2, Inspect(connected)) == CapInfo("port", PORT_RIGHTS)


def test_ns_unbind_needs_manage_on_that_port(world: type[World]) -> None:
    """NS-UNBIND: MANAGE on the bound port; other port or no MANAGE is
    InsufficientRights; looked-up handles stay valid."""
    w = world(2)
    h = w.handle(1, CreatePort(1))
    other = w.handle(1, CreatePort(1))
    no_manage = w.handle(1, Derive(h, PORT_RIGHTS & ~MANAGE))
    w.ok(1, Bind(h, "svc", 0))
    got = w.handle(2, Lookup("svc"))
    w.err(1, Unbind(h, "missing"), IpcError.PortNotFound)
    w.err(1, Unbind(other, "svc"), IpcError.InsufficientRights)
    w.err(1, Unbind(no_manage, "svc"), IpcError.InsufficientRights)
    w.err(1, Unbind(99, "svc"), IpcError.InvalidCapability)
    w.ok(1, Unbind(h, "svc"))
    w.err(2, Lookup("svc"), IpcError.PortNotFound)
    assert w.info(2, Inspect(got)) == CapInfo("port", PORT_RIGHTS)
    w.ok(1, Bind(h, "svc", 0))  # rebinding after unbind is fine
