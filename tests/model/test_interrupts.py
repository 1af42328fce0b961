"""A blocked call that is interrupted loses nothing (PORT-RECEIVE, PORT-HANDOFF).

An exception raised while a thread waits in ``Port.receive`` (a signal
handler's, ``KeyboardInterrupt``) must take its waiter off the port, and a
message already handed to it must go back to the port: the next send is
received, the message handed over is received, and the thread's next receive
works. A timeout too large for a lock's ``acquire`` is a real (far) deadline,
not an ``OverflowError``.

The interruptions are real: a helper thread sends ``SIGUSR1`` to the main
thread once its receive is parked, and the handler raises (after sending, for
the case where the message was already handed over).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType

import pytest

from veridian_ipc.model import Channel, IpcException, Port, Process, System
from veridian_ipc.model.state import Port as KPort
from veridian_ipc.model.waiting import DATA, waiters_of
from veridian_ipc.vocabulary.errors import IpcError

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "pthread_kill"), reason="needs POSIX signals"
)


class Interrupted(Exception):
    """What the signal handler raises."""


def kport(port: Port) -> KPort:
    obj = port._kp.handles[port.handle].obj
    assert isinstance(obj, KPort)
    return obj


_helpers: list[tuple[threading.Thread, threading.Event]] = []


def when(cond: Callable[[], bool], then: Callable[[], object]) -> threading.Thread:
    """Run ``then`` in a helper thread as soon as ``cond`` holds (helpers not
    done by the end of the test are stopped then)."""
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            if cond():
                then()
                return
            time.sleep(0.0005)

    t = threading.Thread(target=run, daemon=True)
    _helpers.append((t, stop))
    t.start()
    return t


def stop_helpers() -> None:
    for t, stop in _helpers:
        stop.set()
        t.join()
    _helpers.clear()


@pytest.fixture(autouse=True)
def _stop_helpers() -> Iterator[None]:
    yield
    stop_helpers()


_armed = threading.Event()


@contextlib.contextmanager
def interrupted() -> Iterator[None]:
    """The block is interrupted by the signal handler's exception."""
    _armed.set()
    try:
        with pytest.raises(Interrupted):
            yield
    finally:
        _armed.clear()


def interrupt_main() -> None:
    signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGUSR1)


@pytest.fixture
def on_sigusr1() -> Iterator[Callable[[Callable[[], object]], None]]:
    """Install a SIGUSR1 handler that runs an action, then raises."""
    assert threading.current_thread() is threading.main_thread()
    old = signal.getsignal(signal.SIGUSR1)

    def install(action: Callable[[], object]) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
            if _armed.is_set():  # only inside ``interrupted()``
                action()
                raise Interrupted

        signal.signal(signal.SIGUSR1, handler)

    yield install
    stop_helpers()  # no signal after the handler is gone
    signal.signal(signal.SIGUSR1, old)


def pair(system: System) -> tuple[Process, Process, Port, Port]:
    """A receiver with a port and a sender holding a SEND capability to it."""
    receiver, sender = system.spawn(), system.spawn()
    port = receiver.create_port(2)
    port.bind("svc")
    return receiver, sender, port, sender.namespace.lookup("svc")


@pytest.mark.parametrize("timeout", [None, 30.0, 1e10])
def test_interrupted_receive_leaves_no_waiter(
    on_sigusr1: Callable[[Callable[[], object]], None], timeout: float | None
) -> None:
    system = System()
    _, _, port, out = pair(system)
    on_sigusr1(lambda: None)
    helper = when(lambda: bool(kport(port).waiters), interrupt_main)
    with interrupted():
        port.receive(timeout=timeout)
    helper.join()
    assert not kport(port).waiters
    out.send_nowait(b"after")  # queued, not handed to a waiter that is gone
    assert port.receive(timeout=5).data == b"after"
    helper = when(lambda: bool(kport(port).waiters), lambda: out.send_nowait(b"next"))
    assert port.receive(timeout=5).data == b"next"  # the next blocking receive
    helper.join()


@pytest.mark.parametrize("timeout", [None, 30.0, 1e10])
def test_message_handed_to_an_interrupted_receive_is_not_lost(
    on_sigusr1: Callable[[Callable[[], object]], None], timeout: float | None
) -> None:
    system = System()
    _, _, port, out = pair(system)
    # The handler sends first: the message is handed to the parked receive,
    # then the exception arrives before the receive returns it.
    on_sigusr1(lambda: out.send_nowait(b"handed"))
    helper = when(lambda: bool(kport(port).waiters), interrupt_main)
    with interrupted():
        port.receive(timeout=timeout)
    helper.join()
    out.send_nowait(b"later")
    assert port.receive(timeout=5).data == b"handed"  # still the oldest
    assert port.receive(timeout=5).data == b"later"
    helper = when(lambda: bool(kport(port).waiters), lambda: out.send_nowait(b"next"))
    assert port.receive(timeout=5).data == b"next"
    helper.join()


def test_handed_message_goes_to_the_next_waiter(
    on_sigusr1: Callable[[Callable[[], object]], None],
) -> None:
    system = System()
    _, _, port, out = pair(system)
    other = port.derive(port.rights)  # a second receiving thread, same process
    got: list[bytes] = []

    def receive_in_thread() -> None:
        got.append(other.receive(timeout=10).data)

    # The main thread waits first, the other thread second; the message is
    # handed to the main thread, which is interrupted: it goes to the other.
    on_sigusr1(lambda: out.send_nowait(b"handed"))
    t = threading.Thread(target=receive_in_thread)
    starter = when(lambda: len(kport(port).waiters or ()) == 1, t.start)
    helper = when(lambda: len(kport(port).waiters or ()) == 2, interrupt_main)
    with interrupted():
        port.receive()
    starter.join()
    helper.join()
    t.join(10)
    assert got == [b"handed"]
    assert not kport(port).queue


def test_capabilities_handed_to_an_interrupted_receive_go_back_in_flight(
    on_sigusr1: Callable[[Callable[[], object]], None],
) -> None:
    system = System()
    receiver, sender, port, out = pair(system)
    carried = sender.create_channel(2, 8)
    carried.send_nowait(b"inside")
    before = len(receiver.handles())
    on_sigusr1(lambda: out.send(b"cap", caps=[carried]))
    helper = when(lambda: bool(kport(port).waiters), interrupt_main)
    with interrupted():
        port.receive()
    helper.join()
    assert len(receiver.handles()) == before  # not installed twice
    m = port.receive(timeout=5)
    assert m.data == b"cap"
    assert m.sender == sender.pid
    (ch,) = m.caps
    assert isinstance(ch, Channel)
    assert ch.receive_nowait() == b"inside"
    assert len(receiver.handles()) == before + 1
    assert (
        system.kernel.statistics().capabilities
        == len(receiver.handles()) + len(sender.handles()) + 1
    )  # the binding


def test_huge_and_infinite_timeouts_are_far_deadlines() -> None:
    system = System()
    _, _, port, out = pair(system)
    for timeout in (1e10, float("inf"), 10**30):
        helper = when(lambda: bool(kport(port).waiters), lambda: out.send_nowait(b"x"))
        assert port.receive(timeout=timeout).data == b"x"
        helper.join()
    # A send waiting for room, and the channel's waits, take them too.
    out.send_nowait(b"1")
    out.send_nowait(b"2")
    helper = when(lambda: kport(port).senders is not None, port.receive_nowait)
    out.send(b"3", timeout=1e10)
    helper.join()
    ch = out.process.create_channel(1, 8)
    ring = ch._kp.handles[ch.handle].obj
    ch.send_nowait(b"a")
    helper = when(lambda: ring.senders is not None, ch.receive_nowait)
    ch.send_wait(b"b", timeout=1e10)
    helper.join()
    assert ch.receive_nowait() == b"b"
    helper = when(lambda: ring.watchers is not None, lambda: ch.send_nowait(b"c"))
    assert ch.receive_wait(timeout=1e10) == b"c"
    helper.join()


@pytest.mark.parametrize("bad", [-1, -0.5, float("nan")])
def test_bad_timeouts_are_refused_before_waiting(bad: float) -> None:
    system = System()
    _, _, port, out = pair(system)
    with pytest.raises(ValueError, match="timeout"):
        port.receive(timeout=bad)
    with pytest.raises(ValueError, match="timeout"):
        out.send(b"x", timeout=bad)
    assert not kport(port).waiters
    assert kport(port).watchers is None
    assert kport(port).senders is None


def test_non_number_timeout_is_a_type_error() -> None:
    system = System()
    _, _, port, _ = pair(system)
    with pytest.raises(TypeError):
        port.receive(timeout="1")  # type: ignore[arg-type]
    assert not kport(port).waiters


def test_interrupted_send_waiting_for_room_leaves_no_entry(
    on_sigusr1: Callable[[Callable[[], object]], None],
) -> None:
    system = System()
    _, _, port, out = pair(system)
    out.send_nowait(b"1")
    out.send_nowait(b"2")
    on_sigusr1(lambda: None)
    helper = when(lambda: kport(port).senders is not None, interrupt_main)
    with interrupted():
        out.send(b"3", timeout=1e10)
    helper.join()
    assert kport(port).senders is None
    assert not system.kernel.state.sending
    assert not system.kernel.state.timed
    assert [port.receive_nowait().data for _ in range(2)] == [b"1", b"2"]
    with pytest.raises(IpcException) as e:
        port.receive_nowait()
    assert e.value.error is IpcError.WouldBlock


def test_message_promised_to_an_interrupted_channel_wait_goes_to_the_next(
    on_sigusr1: Callable[[Callable[[], object]], None],
) -> None:
    system = System()
    proc = system.spawn()
    ch = proc.create_channel(2, 8)
    ring = ch._kp.handles[ch.handle].obj
    got: list[bytes] = []

    def entries() -> int:
        ws = waiters_of(ring)
        return 0 if ws is None else len(ws.fifo[DATA])

    def receive_in_thread() -> None:
        got.append(ch.receive_wait(timeout=10))

    # The main thread waits first, another second; the one message wakes the
    # main thread only, which is interrupted before it takes it: the other
    # thread must be woken in its place.
    on_sigusr1(lambda: ch.send_nowait(b"one"))
    t = threading.Thread(target=receive_in_thread)
    starter = when(lambda: entries() == 1, t.start)
    helper = when(lambda: entries() == 2, interrupt_main)
    with interrupted():
        ch.receive_wait(timeout=30)
    starter.join()
    helper.join()
    t.join(10)
    assert got == [b"one"]
    assert ring.watchers is None  # every entry left
