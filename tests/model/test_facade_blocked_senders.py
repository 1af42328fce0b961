"""The facade's blocking sends are the kernel's blocked senders.

``Port.send`` and ``Channel.send_wait`` to a full port or ring block in the
kernel (PORT-SEND-BLOCK, CHAN-SEND-BLOCK, model/parking.py): the kernel
records each, serves them in the order they blocked, together with the
blocked senders of the operation interface, and ends them with the spec's
errors. Real threads and the monotonic clock; every wait is bounded by a
generous ``WAIT`` and nothing here measures time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from veridian_ipc.model import Channel, IpcException, Port, Process, System
from veridian_ipc.model.state import KObject
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.results import BLOCKED, Err, Ok
from veridian_ipc.vocabulary.rights import SEND

WAIT = 30.0  # seconds: an upper bound for any wait, never reached when correct


class Call:
    """A call run in its own thread; ``outcome`` is what it returned or the
    error it raised."""

    def __init__(self, fn: Callable[[], object], name: str = "") -> None:
        self.outcome: object = "still running"

        def run() -> None:
            try:
                self.outcome = fn()
            except IpcException as e:
                self.outcome = e.error

        self.thread = threading.Thread(target=run, name=name, daemon=True)
        self.thread.start()

    def result(self) -> object:
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), "the call never returned"
        return self.outcome


def until(pred: Callable[[], bool]) -> None:
    """Wait (bounded) until ``pred`` holds."""
    ev = threading.Event()
    for _ in range(int(WAIT / 0.002)):
        if pred():
            return
        ev.wait(0.002)
    raise AssertionError("condition never reached")


def kobj(system: System, handle: Port | Channel) -> KObject:
    with system.lock:
        return handle._kp.handles[handle.handle].obj


def blocked(system: System, obj: KObject) -> int:
    """How many senders the kernel holds blocked on ``obj``."""
    with system.lock:
        return len(obj.senders or ())


def block(system: System, obj: KObject, fn: Callable[[], object], name: str) -> Call:
    """Start ``fn`` in a thread and wait until the kernel holds it blocked."""
    before = blocked(system, obj)
    call = Call(fn, name)
    until(lambda: blocked(system, obj) == before + 1)
    return call


def full_port(system: System) -> tuple[Process, Port, Process, Port]:
    """An owner's port of one slot, a user's SEND copy, the slot taken."""
    owner, user = system.spawn(), system.spawn()
    port = owner.create_port(1)
    port.bind("svc", rights=SEND)
    out = user.namespace.lookup("svc")
    out.send_nowait(b"fill")
    return owner, port, user, out


def test_senders_proceed_in_the_order_they_blocked_interface_senders_included() -> None:
    """(a) Three facade threads and a thread blocked through the operation
    interface (``Send`` with a timeout) proceed in the order they blocked,
    one per slot the receiver frees."""
    system = System()
    _, port, user, out = full_port(system)
    obj = kobj(system, port)
    first = block(system, obj, lambda: out.send(b"a", timeout=WAIT), "a")
    other = user.spawn_thread()
    op = sc.Send(out.handle, 0, 0, b"p", (), None)
    assert system.apply(other.pid, op) == Ok(BLOCKED)
    second = block(system, obj, lambda: out.send(b"b", timeout=WAIT), "b")
    third = block(system, obj, lambda: out.send(b"c"), "c")
    assert blocked(system, obj) == 4  # the kernel holds every one of them
    got = [port.receive(timeout=WAIT).data for _ in range(5)]
    assert got == [b"fill", b"a", b"p", b"b", b"c"]
    assert [first.result(), second.result(), third.result()] == [None] * 3
    assert system.apply(other.pid, sc.Resume()) == Ok(None)
    assert blocked(system, obj) == 0
    assert not system.kernel.state.sending


def test_close_ends_every_blocked_sender_with_port_closed() -> None:
    """(b) Closing the port ends each blocked sender with ``PortClosed``;
    nothing of theirs is queued."""
    system = System()
    _, port, _, out = full_port(system)
    obj = kobj(system, port)
    calls = [
        block(system, obj, lambda d=d: out.send(d, timeout=WAIT), d.decode())  # type: ignore[misc]
        for d in (b"a", b"b", b"c")
    ]
    assert blocked(system, obj) == 3
    assert port.close() == 1
    assert [c.result() for c in calls] == [IpcError.PortClosed] * 3
    assert port.receive_nowait().data == b"fill"
    with pytest.raises(IpcException) as e:
        port.receive_nowait()
    assert e.value.error is IpcError.PortClosed
    assert not system.kernel.state.sending
    assert not system.kernel.state.timed


def test_revoking_the_capability_sent_through_ends_only_its_senders() -> None:
    """(c) A revoke of the capability a sender is blocked through ends it with
    ``InvalidCapability``; a sender through another capability stays."""
    system = System()
    _, port, _, out = full_port(system)
    weak = out.derive(SEND)
    obj = kobj(system, port)
    doomed = block(system, obj, lambda: weak.send(b"w", timeout=WAIT), "doomed")
    kept = block(system, obj, lambda: out.send(b"k", timeout=WAIT), "kept")
    assert out.revoke() == 1  # ``weak`` was derived from ``out``
    assert doomed.result() is IpcError.InvalidCapability
    assert blocked(system, obj) == 1
    assert [port.receive(timeout=WAIT).data for _ in range(2)] == [b"fill", b"k"]
    assert kept.result() is None


def test_a_sender_whose_deadline_passes_gets_timeout_and_sends_nothing() -> None:
    """(d) A timeout on a full port ends the send with ``Timeout`` (not
    ``PortFull``), and its message is not delivered later."""
    system = System()
    _, port, _, out = full_port(system)
    obj = kobj(system, port)
    with pytest.raises(IpcException) as e:
        out.send(b"late", timeout=0.05)
    assert e.value.error is IpcError.Timeout
    assert blocked(system, obj) == 0
    assert port.receive_nowait().data == b"fill"
    with pytest.raises(IpcException) as e:
        port.receive_nowait()
    assert e.value.error is IpcError.WouldBlock
    out.send(b"next", timeout=WAIT)  # room: sent at once
    assert port.receive_nowait().data == b"next"


def test_channel_senders_are_the_kernels_blocked_senders() -> None:
    """(e) The same on a channel: FIFO as the ring drains, ``Timeout``, a
    revoke, then a close."""
    system = System()
    owner = system.spawn()
    ch = owner.create_channel(1, 8)
    weak = ch.derive(SEND)
    obj = kobj(system, ch)
    ch.send_nowait(b"fill")
    with pytest.raises(IpcException) as e:
        ch.send_wait(b"late", timeout=0.05)
    assert e.value.error is IpcError.Timeout
    a = block(system, obj, lambda: ch.send_wait(b"a", timeout=WAIT), "a")
    w = block(system, obj, lambda: weak.send_wait(b"w", timeout=WAIT), "w")
    b = block(system, obj, lambda: ch.send_wait(b"b"), "b")
    c = block(system, obj, lambda: ch.send_wait(b"c", timeout=WAIT), "c")
    assert ch.revoke() == 1
    assert w.result() is IpcError.InvalidCapability
    assert blocked(system, obj) == 3
    got = [ch.receive_wait(timeout=WAIT) for _ in range(2)]
    assert got == [b"fill", b"a"]
    assert [a.result(), b.result()] == [None, None]  # "b" took the slot "a" left
    assert ch.close() == 1
    assert c.result() is IpcError.PortClosed
    assert ch.receive_nowait() == b"b"
    with pytest.raises(IpcException) as e:
        ch.receive_nowait()
    assert e.value.error is IpcError.PortClosed
    assert not system.kernel.state.sending


def test_a_kill_ends_the_process_s_blocked_sends_with_no_such_process() -> None:
    """A kill of the sending process ends its threads' blocked sends with
    ``NoSuchProcess``; the kernel holds none of them any more."""
    system = System()
    _, port, user, out = full_port(system)
    obj = kobj(system, port)
    calls = [
        block(system, obj, lambda: out.send(b"x", timeout=WAIT), "x"),
        block(system, obj, lambda: out.send(b"y"), "y"),
    ]
    user.kill()
    assert [c.result() for c in calls] == [IpcError.NoSuchProcess] * 2
    assert blocked(system, obj) == 0
    assert not system.kernel.state.sending
    assert not system.kernel.state.timed
    assert port.receive_nowait().data == b"fill"
    r = system.apply(port.process.pid, sc.Receive(port.handle, 0))
    assert r == Err(IpcError.WouldBlock)
