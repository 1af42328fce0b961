"""Namespace: NS-*."""

from __future__ import annotations

from veridian_ipc.spec import CapInfo, Config, IpcError
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.rights import (
    ALL_RIGHTS,
    GRANT,
    MANAGE,
    PORT_RIGHTS,
    READ,
    RECEIVE,
    SEND,
)
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    Close,
    Connect,
    CreateChannel,
    CreatePort,
    Derive,
    Inspect,
    Lookup,
    Receive,
    Send,
    Spawn,
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
    w.ok(1, Bind(pub, "svc", 0, SEND | GRANT))
    got = w.handle(2, Lookup("svc"))
    assert w.info(2, Inspect(got)) == CapInfo("port", SEND | GRANT)
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
    assert w.info(2, Inspect(connected)) == CapInfo("port", SEND)


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
    assert w.info(2, Inspect(got)) == CapInfo("port", SEND)
    w.ok(1, Bind(h, "svc", 0))  # rebinding after unbind is fine


def test_ns_bind_publishes_an_explicit_rights_mask(world: type[World]) -> None:
    """NS-BIND: lookups get exactly the published rights, SEND by default;
    RECEIVE and MANAGE only when published; a right the binder lacks is
    InsufficientRights, an undefined bit InvalidArgument (after the name)."""
    w = world(2)
    h = w.handle(1, CreatePort(1))
    w.ok(1, Bind(h, "default"))
    w.ok(1, Bind(h, "full", 0, PORT_RIGHTS))
    w.ok(1, Bind(h, "none", 0, 0))
    assert w.info(2, Inspect(w.handle(2, Lookup("default")))).rights == SEND
    assert w.info(2, Inspect(w.handle(2, Lookup("full")))).rights == PORT_RIGHTS
    assert w.info(2, Inspect(w.handle(2, Connect("none", 0)))).rights == 0
    narrow = w.handle(1, Derive(h, SEND | GRANT))
    w.err(1, Bind(narrow, "n", 0, SEND | RECEIVE), IpcError.InsufficientRights)
    w.err(1, Bind(narrow, "n", 0, READ), IpcError.InsufficientRights)
    w.err(1, Bind(narrow, "n", 0, ALL_RIGHTS + 1), IpcError.InvalidArgument)
    w.err(1, Bind(narrow, "", 0, RECEIVE), IpcError.InvalidArgument)
    w.err(1, Bind(narrow, "full", 0, RECEIVE), IpcError.InsufficientRights)
    w.err(1, Bind(narrow, "full", 0, SEND), IpcError.NameInUse)


def test_seed_example_gives_clients_send_only(world: type[World]) -> None:
    """Seed "Port Creation and Binding": ``bind(name, port.capability)`` then a
    client's ``lookup``: the client can send, but can neither drain nor close
    the server's port (no RECEIVE, no MANAGE)."""
    w = world(2)
    port = w.handle(1, CreatePort(4))
    w.ok(1, Bind(port, "com.app.service"))
    service = w.handle(2, Lookup("com.app.service"))
    assert w.info(2, Inspect(service)) == CapInfo("port", SEND)
    w.ok(2, Send(service, 1, 0, b"hi"))
    w.err(2, Receive(service), IpcError.InsufficientRights)
    w.err(2, Close(service), IpcError.InsufficientRights)
    w.err(2, Unbind(service, "com.app.service"), IpcError.InsufficientRights)
    assert w.delivered(1, Receive(port)).data == b"hi"


def test_ns_authority_is_given_at_spawn(world: type[World]) -> None:
    """NS-BIND / NS-LOOKUP: the namespace is no ambient authority. A process
    spawned without ``may_bind`` cannot bind (so cannot squat a name), one
    without ``may_lookup`` cannot look up or connect; either is
    InsufficientRights before any handle or name is looked at."""
    w = world(1)
    h = w.handle(1, CreatePort(1))
    w.ok(1, Bind(h, "svc", 3))
    client = w.handle(0, Spawn(may_bind=False))
    mine = w.handle(client, CreatePort(1))
    w.err(client, Bind(mine, "svc2", 0), IpcError.InsufficientRights)
    w.err(client, Bind(99, "", 0, -1), IpcError.InsufficientRights)
    got = w.handle(client, Lookup("svc"))
    assert w.info(client, Inspect(got)).rights == SEND
    w.ok(client, Connect("svc", 3))
    blind = w.handle(0, Spawn(may_lookup=False))
    w.err(blind, Lookup("svc"), IpcError.InsufficientRights)
    w.err(blind, Lookup(""), IpcError.InsufficientRights)
    w.err(blind, Connect("nope", -1), IpcError.InsufficientRights)
    own = w.handle(blind, CreatePort(1))
    w.ok(blind, Bind(own, "blind"))
    w.ok(blind, Unbind(own, "blind"))  # unbinding is an act on the port
    w.err(blind, Lookup("blind"), IpcError.InsufficientRights)
    assert w.s.processes[Pid(blind)].may_bind
    assert not w.s.processes[Pid(blind)].may_lookup
