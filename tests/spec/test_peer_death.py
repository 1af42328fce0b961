"""Peer death: a binding dies with its port (NS-BIND, PORT-CLOSE).

Each test replays the few ``step`` calls that showed the gap: a closed port's
name still answered ``Lookup``/``Connect`` and kept the name taken.
"""

from __future__ import annotations

from veridian_ipc.spec import IpcError
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    Close,
    Connect,
    CreatePort,
    Kill,
    Lookup,
    Spawn,
)

from .conftest import World


def test_close_removes_the_ports_bindings(world: type[World]) -> None:
    """PORT-CLOSE removes every binding of the port: the names read
    ``PortNotFound`` and can be bound again by a new server."""
    w = world(2)
    h = w.handle(1, CreatePort(2))
    w.ok(1, Bind(h, "svc", 7))
    w.ok(1, Bind(h, "alias", 7))
    got = w.handle(2, Lookup("svc"))
    assert w.ok(1, Close(h)) == 0
    assert len(w.s.namespace) == 0
    w.err(2, Lookup("svc"), IpcError.PortNotFound)
    w.err(2, Connect("alias", 7), IpcError.PortNotFound)
    fresh = w.handle(2, CreatePort(1))
    w.ok(2, Bind(fresh, "svc", 7))
    assert w.handle(1, Connect("svc", 7)) > 0
    w.err(2, Close(got), IpcError.PortClosed)  # an earlier lookup stays valid


def test_a_closed_port_cannot_be_bound(world: type[World]) -> None:
    """NS-BIND: ``PortClosed`` after every other check (NameInUse first)."""
    w = world(1)
    h = w.handle(1, CreatePort(1))
    other = w.handle(1, CreatePort(1))
    w.ok(1, Bind(other, "taken", 0))
    w.ok(1, Close(h))
    w.err(1, Bind(h, "taken", 0), IpcError.NameInUse)
    w.err(1, Bind(h, "free", 0), IpcError.PortClosed)
    w.err(1, Lookup("free"), IpcError.PortNotFound)


def test_binding_outlives_its_binder_while_the_service_lives(
    world: type[World],
) -> None:
    """The binder dies but another process still holds RECEIVE (obtained
    through the name): the binding stays, and so does the service."""
    w = world(2)
    w.handle(0, Spawn())
    h = w.handle(1, CreatePort(1))
    w.ok(1, Bind(h, "svc", 0))
    w.handle(2, Lookup("svc"))
    w.ok(0, Kill(1))
    assert w.handle(3, Lookup("svc")) > 0
