"""Timeouts: TIME-*."""

from __future__ import annotations

from veridian_ipc.spec import Delivered, Err, IpcError, Ok
from veridian_ipc.spec.state import Waiting
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.syscalls import (
    AdvanceClock,
    CreatePort,
    Receive,
    Resume,
    Send,
)

from .conftest import World


def test_time_advance(world: type[World]) -> None:
    """TIME-ADVANCE: the clock moves by ticks; negative is InvalidArgument;
    environment operation (pid ignored)."""
    w = world(1)
    assert w.ok(0, AdvanceClock(5)) == 5
    assert w.ok(12345, AdvanceClock(0)) == 5
    w.err(0, AdvanceClock(-1), IpcError.InvalidArgument)
    assert w.s.clock == 5


def test_time_deadline_fires_at_clock_plus_timeout(world: type[World]) -> None:
    """TIME-DEADLINE: a receive blocked with timeout t times out when the clock
    reaches now + t, not before; a message before then is delivered."""
    w = world(2)
    h = w.handle(1, CreatePort(1))
    w.blocked(1, Receive(h, 3))
    w.ok(0, AdvanceClock(2))
    w.err(1, Resume(), IpcError.WouldBlock)
    w.ok(0, AdvanceClock(1))
    assert w.do(1, Resume()) == Err(IpcError.Timeout)
    # a new receive gets a new deadline from the current clock
    w.blocked(1, Receive(h, 3))
    status = w.s.processes[Pid(1)].status
    assert isinstance(status, Waiting)
    assert status.deadline == 6


def test_time_deadline_vs_handoff(world: type[World]) -> None:
    """TIME-DEADLINE with PORT-HANDOFF: a send before the deadline wins; a
    receive with timeout None never times out."""
    from veridian_ipc.vocabulary.syscalls import Bind, Lookup

    w = world(2)
    h = w.handle(1, CreatePort(1))
    w.ok(1, Bind(h, "p", 0))
    s2 = w.handle(2, Lookup("p"))
    w.blocked(1, Receive(h, 10))
    w.ok(0, AdvanceClock(9))
    w.ok(2, Send(s2, 1, 0, b"in time", ()))
    w.ok(0, AdvanceClock(100))
    assert w.do(1, Resume()) == Ok(Delivered(2, 1, 0, b"in time", ()))
    w.blocked(1, Receive(h, None))
    w.ok(0, AdvanceClock(10**9))
    w.err(1, Resume(), IpcError.WouldBlock)
