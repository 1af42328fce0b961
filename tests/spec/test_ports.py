"""Ports: PORT-*."""

from __future__ import annotations

from veridian_ipc.spec import Config, Delivered, Err, IpcError, Ok
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.rights import PORT_RIGHTS, SEND
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    Close,
    CreatePort,
    Derive,
    Lookup,
    Receive,
    Resume,
    Send,
)

from .conftest import World


def _pair(w: World, name: str = "p") -> tuple[int, int]:
    """A port created by process 1, and process 2's full handle to it."""
    h = w.handle(1, CreatePort(2))
    w.ok(1, Bind(h, name, 0, PORT_RIGHTS))
    other = w.handle(2, Lookup(name))
    return h, other


def test_port_create_limits(world: type[World]) -> None:
    """PORT-CREATE: capacity 1..max_port_capacity."""
    w = world(1, Config(max_port_capacity=4))
    w.err(1, CreatePort(0), IpcError.InvalidArgument)
    w.err(1, CreatePort(-3), IpcError.InvalidArgument)
    w.err(1, CreatePort(5), IpcError.OutOfMemory)
    assert w.ok(1, CreatePort(4)) == 1


def test_port_send_fifo_and_full(world: type[World]) -> None:
    """PORT-SEND / PORT-RECEIVE: FIFO; PortFull at capacity; WouldBlock empty."""
    w = world(1)
    h = w.handle(1, CreatePort(2))
    w.ok(1, Send(h, 1, 0, b"a", ()))
    w.ok(1, Send(h, 2, 0, b"b", ()))
    w.err(1, Send(h, 3, 0, b"c", ()), IpcError.PortFull)
    assert w.delivered(1, Receive(h, 0)) == Delivered(1, 1, 0, b"a", ())
    assert w.delivered(1, Receive(h, 0)) == Delivered(1, 2, 0, b"b", ())
    w.err(1, Receive(h, 0), IpcError.WouldBlock)
    w.err(1, Receive(h, -1), IpcError.InvalidArgument)


def test_port_send_precedence(world: type[World]) -> None:
    """PORT-SEND: the documented order, first failing check wins."""
    w = world(1)
    h = w.handle(1, CreatePort(1))
    ro = w.handle(1, Derive(h, 0))
    w.ok(1, Send(h, 0, 0, b"", ()))  # now full
    w.err(1, Send(99, 0, 0, b"x" * 65, ()), IpcError.InvalidCapability)
    w.err(1, Send(ro, 0, 0, b"x" * 65, ()), IpcError.InsufficientRights)
    w.err(1, Send(h, -1, 0, b"x" * 65, ()), IpcError.MessageTooLarge)
    w.err(1, Send(h, -1, 0, b"", (99,)), IpcError.InvalidMessage)
    w.err(1, Send(h, 0, 0, b"", (99,)), IpcError.InvalidCapability)
    w.err(1, Send(h, 0, 0, b"", (ro,)), IpcError.InsufficientRights)
    w.err(1, Send(h, 0, 0, b"", ()), IpcError.PortFull)
    w.ok(1, Close(h))
    w.err(1, Send(h, 0, 0, b"", ()), IpcError.PortClosed)


def test_port_handoff_to_first_waiter(world: type[World]) -> None:
    """PORT-HANDOFF: sends while receivers wait wake them in FIFO order, and
    the queue stays empty."""
    w = world(3)
    h = w.handle(1, CreatePort(2))
    w.ok(1, Bind(h, "p", 0, PORT_RIGHTS))
    h2 = w.handle(2, Lookup("p"))
    h3 = w.handle(3, Lookup("p"))
    w.blocked(3, Receive(h3, None))
    w.blocked(2, Receive(h2, 7))
    assert w.port_of(1, h).waiters == (Pid(3), Pid(2))
    w.ok(1, Send(h, 1, 0, b"first", ()))
    w.ok(1, Send(h, 2, 0, b"second", ()))
    assert w.port_of(1, h).queue == ()
    assert w.do(3, Resume()) == Ok(Delivered(1, 1, 0, b"first", ()))
    assert w.do(2, Resume()) == Ok(Delivered(1, 2, 0, b"second", ()))


def test_an_uncollected_hand_off_keeps_its_slot(world: type[World]) -> None:
    """PORT-HANDOFF, PORT-SEND: a message handed off and not yet collected
    counts against the capacity, even while another receiver waits; once it
    is collected the next send is handed to that receiver."""
    w = world(3)
    h = w.handle(1, CreatePort(1))
    w.ok(1, Bind(h, "p", 0, PORT_RIGHTS))
    h2 = w.handle(2, Lookup("p"))
    h3 = w.handle(3, Lookup("p"))
    w.blocked(3, Receive(h3, None))
    w.blocked(2, Receive(h2, None))
    w.ok(1, Send(h, 1, 0, b"first", ()))
    w.err(1, Send(h, 2, 0, b"second", ()), IpcError.PortFull)
    assert w.do(3, Resume()) == Ok(Delivered(1, 1, 0, b"first", ()))
    w.ok(1, Send(h, 2, 0, b"second", ()))
    assert w.do(2, Resume()) == Ok(Delivered(1, 2, 0, b"second", ()))


def test_port_handoff_delivers_in_order(world: type[World]) -> None:
    """PORT-HANDOFF: first waiter gets the first message, second the next."""
    w = world(3)
    h, h2 = _pair(w)
    w.blocked(2, Receive(h2, None))
    w.ok(1, Send(h, 5, 0, b"one", ()))
    w.ok(1, Send(h, 6, 0, b"two", ()))
    assert w.do(2, Resume()) == Ok(Delivered(1, 5, 0, b"one", ()))
    assert w.delivered(1, Receive(h, 0)) == Delivered(1, 6, 0, b"two", ())


def test_port_resume_outcomes(world: type[World]) -> None:
    """PORT-RESUME: nothing to collect is InvalidArgument; still waiting is
    WouldBlock; the receive's error is reported and the process runs again."""
    w = world(2)
    h, h2 = _pair(w)
    w.err(2, Resume(), IpcError.InvalidArgument)
    w.blocked(2, Receive(h2, None))
    w.err(2, Resume(), IpcError.WouldBlock)
    w.ok(1, Close(h))
    assert w.do(2, Resume()) == Err(IpcError.PortClosed)
    w.err(2, Resume(), IpcError.InvalidArgument)


def test_port_close_drains_then_closed(world: type[World]) -> None:
    """PORT-CLOSE: waiters woken with PortClosed; queued messages drain; then
    PortClosed; closing twice is PortClosed; needs MANAGE."""
    w = world(2)
    h, h2 = _pair(w)
    w.ok(1, Send(h, 0, 0, b"left", ()))
    no_manage = w.handle(1, Derive(h, SEND))
    w.err(1, Close(no_manage), IpcError.InsufficientRights)
    assert w.ok(1, Close(h)) == 1
    w.err(1, Close(h), IpcError.PortClosed)
    assert w.delivered(2, Receive(h2, 0)) == Delivered(1, 0, 0, b"left", ())
    w.err(2, Receive(h2, None), IpcError.PortClosed)
