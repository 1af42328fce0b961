"""Peer death: a binding dies with its port (NS-BIND, PORT-CLOSE).

Each test replays the few ``step`` calls that showed the gap: a closed port's
name still answered ``Lookup``/``Connect`` and kept the name taken.
"""

from __future__ import annotations

from veridian_ipc.spec import IpcError
from veridian_ipc.spec.state import Port
from veridian_ipc.vocabulary.rights import GRANT, PORT_RIGHTS, RECEIVE, SEND
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    Close,
    Connect,
    CreatePort,
    Derive,
    Drop,
    Kill,
    Lookup,
    Receive,
    Send,
    Spawn,
)

from .conftest import World


def test_close_removes_the_ports_bindings(world: type[World]) -> None:
    """PORT-CLOSE removes every binding of the port: the names read
    ``PortNotFound`` and can be bound again by a new server."""
    w = world(2)
    h = w.handle(1, CreatePort(2))
    w.ok(1, Bind(h, "svc", 7, PORT_RIGHTS))
    w.ok(1, Bind(h, "alias", 7, PORT_RIGHTS))
    got = w.handle(2, Lookup("svc"))
    assert w.ok(1, Close(h)) == 0
    assert len(w.s.namespace) == 0
    w.err(2, Lookup("svc"), IpcError.PortNotFound)
    w.err(2, Connect("alias", 7), IpcError.PortNotFound)
    fresh = w.handle(2, CreatePort(1))
    w.ok(2, Bind(fresh, "svc", 7, PORT_RIGHTS))
    assert w.handle(1, Connect("svc", 7)) > 0
    w.err(2, Close(got), IpcError.PortClosed)  # an earlier lookup stays valid


def test_a_closed_port_cannot_be_bound(world: type[World]) -> None:
    """NS-BIND: ``PortClosed`` after every other check (NameInUse first)."""
    w = world(1)
    h = w.handle(1, CreatePort(1))
    other = w.handle(1, CreatePort(1))
    w.ok(1, Bind(other, "taken", 0, PORT_RIGHTS))
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
    w.ok(1, Bind(h, "svc", 0, PORT_RIGHTS))
    w.handle(2, Lookup("svc"))
    w.ok(0, Kill(1))
    assert w.handle(3, Lookup("svc")) > 0


# -- a port whose receivers are all gone (PORT-CLOSE, spec/orphans.py) --------


def _served(w: World) -> tuple[int, int]:
    """P1 creates a port and gives P2 a SEND-only handle to it through a name:
    (P1's handle, P2's handle)."""
    h = w.handle(1, CreatePort(2))
    w.ok(1, Bind(w.handle(1, Derive(h, SEND | GRANT)), "svc", 0))
    return h, w.handle(2, Lookup("svc"))


def test_killing_the_only_receiver_closes_the_port(world: type[World]) -> None:
    """Kill the only process holding RECEIVE: senders get ``PortClosed`` at
    once (not Ok, Ok, PortFull), the queued messages are destroyed with their
    capabilities, and the name is gone."""
    w = world(2)
    w.handle(0, Spawn())
    _, s = _served(w)
    other = w.handle(2, CreatePort(1))
    w.ok(2, Send(s, 0, 0, b"a", (other,)))
    w.ok(0, Kill(1))
    w.err(2, Send(s, 0, 0, b"b", ()), IpcError.PortClosed)
    w.err(2, Lookup("svc"), IpcError.PortNotFound)
    pt = w.port_of(2, s)
    assert pt.closed
    assert pt.queue == ()
    # P2's SEND handle stays valid; the carried capability went with its
    # message, and with it the only RECEIVE of P2's other port, now closed too.
    assert len(w.s.caps) == 1
    w.err(2, Close(s), IpcError.InsufficientRights)
    assert all(o.closed for o in w.s.objects.values() if isinstance(o, Port))


def test_dropping_the_last_receive_closes(world: type[World]) -> None:
    """Dropping the last RECEIVE closes the port (an earlier drop does not: a
    derived RECEIVE still receives)."""
    w = world(2)
    h = w.handle(1, CreatePort(2))
    s = w.handle(1, Derive(h, SEND))
    r = w.handle(1, Derive(h, RECEIVE))
    w.ok(1, Drop(h))  # r still receives
    w.ok(1, Send(s, 0, 0, b"x", ()))
    w.ok(1, Drop(r))
    w.err(1, Send(s, 0, 0, b"y", ()), IpcError.PortClosed)
    h2 = w.handle(1, CreatePort(1))
    w.handle(1, Derive(h2, RECEIVE))
    w.handle(1, Derive(h2, SEND))
    w.ok(1, Drop(h2))
    assert not any(
        isinstance(o, Port) and o.closed and o.capacity == 1
        for o in w.s.objects.values()
    )


def test_a_receive_in_flight_counts_until_it_cannot_be_received(
    world: type[World],
) -> None:
    """A RECEIVE carried by a message queued on a receivable port keeps its
    port open: it can still be received. Sent into its own port (a cycle),
    nobody can ever receive it: the port closes and the message is destroyed."""
    w = world(2)
    a = w.handle(1, CreatePort(2))
    sa = w.handle(1, Derive(a, SEND))
    ra = w.handle(1, Derive(a, RECEIVE | GRANT))
    b = w.handle(2, CreatePort(2))
    w.ok(2, Bind(b, "b", 0, PORT_RIGHTS))
    to_b = w.handle(1, Lookup("b"))
    w.ok(1, Send(to_b, 0, 0, b"", (ra,)))
    w.ok(1, Drop(a))
    w.ok(1, Send(sa, 0, 0, b"still open", ()))
    got = w.delivered(2, Receive(b, 0)).caps[0]
    assert got is not None
    w.ok(2, Drop(got))
    w.err(1, Send(sa, 0, 0, b"", ()), IpcError.PortClosed)
    assert w.port_of(1, sa).queue == ()
    c = w.handle(1, CreatePort(2))
    sc = w.handle(1, Derive(c, SEND))
    rc = w.handle(1, Derive(c, RECEIVE | GRANT))
    w.ok(1, Drop(c))
    w.ok(1, Send(sc, 0, 0, b"loop", (rc,)))
    w.err(1, Send(sc, 0, 0, b"late", ()), IpcError.PortClosed)
    assert w.port_of(1, sc).queue == ()


def test_a_hand_off_to_a_receiver_killed_before_resume_is_not_lost(
    world: type[World],
) -> None:
    """P1 blocks in a receive, P2 sends (handed off to P1, Ok), P1 is killed
    before ``Resume``: P3, which also receives from the port, must still get
    the message."""
    w = world(2)
    w.handle(0, Spawn())
    h = w.handle(1, CreatePort(1))
    w.ok(1, Bind(h, "svc", 0, PORT_RIGHTS))
    to_port = w.handle(2, Lookup("svc"))
    also = w.handle(3, Lookup("svc"))
    w.blocked(1, Receive(h, None))
    w.ok(2, Send(to_port, 0, 0, b"m", ()))
    w.ok(0, Kill(1))
    assert w.delivered(3, Receive(also, 0)).data == b"m"
