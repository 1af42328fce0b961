"""The threaded / asyncio facade: blocking, hand-off, wake-ups, zero-copy, sockets.

Every wait in these tests is bounded (joins and receives have timeouts), and no
test asserts on how long anything took.
"""

from __future__ import annotations

import asyncio
import errno
import threading
from collections.abc import Callable

import pytest

from veridian_ipc.model import IpcException, Port, System
from veridian_ipc.model.state import Port as KPort
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.rights import GRANT, PORT_RIGHTS, READ, SEND

WAIT = 10.0  # seconds: an upper bound for any wait, never reached when correct


def in_thread(fn: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    out: list[object] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as e:
            out.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def wait_blocked(port: Port, n: int = 1) -> None:
    """Spin (bounded) until ``n`` receivers wait on ``port``."""
    ev = threading.Event()
    for _ in range(10_000):
        with port._lock:
            obj = port._kp.handles[port.handle].obj
            assert isinstance(obj, KPort)
            if obj.waiters is not None and len(obj.waiters) >= n:
                return
        ev.wait(0.001)
    raise AssertionError("receiver never blocked")


def os_errno(call: Callable[[], object]) -> int | None:
    """The errno of the ``OSError`` ``call`` raises (None if it does not)."""
    try:
        call()
    except OSError as e:
        return e.errno
    return None


def pair() -> tuple[System, Port, Port]:
    sys = System()
    a, b = sys.spawn(), sys.spawn()
    server = a.create_port(4)
    server.bind("svc", rights=PORT_RIGHTS)
    client = b.namespace.lookup("svc")
    return sys, server, client


def test_send_receive_nowait_and_errors() -> None:
    _, server, client = pair()
    client.send_nowait(b"hello", msg_type=7)
    msg = server.receive_nowait()
    assert (msg.data, msg.msg_type, msg.sender) == (b"hello", 7, client.process.pid)
    with pytest.raises(IpcException) as e:
        server.receive_nowait()
    assert e.value.error is IpcError.WouldBlock
    with pytest.raises(IpcException) as e:
        client.send_nowait(b"x" * 65)
    assert e.value.error is IpcError.MessageTooLarge
    for _ in range(4):
        client.send_nowait(b"")
    with pytest.raises(IpcException) as e:
        client.send_nowait(b"")
    assert e.value.error is IpcError.PortFull


def test_blocked_receiver_gets_direct_hand_off() -> None:
    _, server, client = pair()
    t, out = in_thread(lambda: server.receive(timeout=WAIT))
    wait_blocked(server)
    client.send(b"ping")
    t.join(WAIT)
    assert not t.is_alive()
    assert out[0].data == b"ping"  # type: ignore[attr-defined]


def test_ping_pong_between_threads() -> None:
    sys = System()
    a, b = sys.spawn(), sys.spawn()
    pa, pb = a.create_port(1), b.create_port(1)
    pa.bind("a")
    pb.bind("b")
    to_b, to_a = a.namespace.lookup("b"), b.namespace.lookup("a")
    rounds = 200

    def echo() -> int:
        for _ in range(rounds):
            m = pb.receive(timeout=WAIT)
            to_a.send(m.data, timeout=WAIT)
        return rounds

    t, out = in_thread(echo)
    for i in range(rounds):
        to_b.send(i.to_bytes(2, "little"), timeout=WAIT)
        assert pa.receive(timeout=WAIT).data == i.to_bytes(2, "little")
    t.join(WAIT)
    assert out == [rounds]


def test_receive_times_out() -> None:
    _, server, _ = pair()
    with pytest.raises(IpcException) as e:
        server.receive(timeout=0.01)
    assert e.value.error is IpcError.Timeout
    with server._lock:  # the waiter is gone
        obj = server._kp.handles[server.handle].obj
        assert isinstance(obj, KPort)
        assert not obj.waiters


def test_logical_clock_deadline() -> None:
    sys = System(clock="logical")
    p = sys.spawn()
    port = p.create_port()
    t, out = in_thread(lambda: port.receive(timeout=3))
    wait_blocked(port)
    sys.advance_clock(2)
    assert still_waiting(port)  # the deadline, tick 3, has not come
    assert out == []
    sys.advance_clock(1)
    t.join(WAIT)
    assert isinstance(out[0], IpcException)
    assert out[0].error is IpcError.Timeout


def still_waiting(port: Port) -> bool:
    """One receiver waits on ``port`` and nothing has ended its wait (checked
    under the system lock, where every wake-up happens)."""
    with port._lock:
        obj = port._kp.handles[port.handle].obj
        assert isinstance(obj, KPort)
        return obj.waiters is not None and [w.result for w in obj.waiters] == [None]


def test_a_deadline_that_fires_early_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """``still_waiting`` fails on a seeded bug: deadlines one tick early."""
    monkeypatch.setattr(System, "ticks", lambda self, seconds: int(seconds) - 1)
    sys = System(clock="logical")
    port = sys.spawn().create_port()
    t, out = in_thread(lambda: port.receive(timeout=3))
    wait_blocked(port)
    sys.advance_clock(2)
    assert not still_waiting(port)
    t.join(WAIT)
    assert isinstance(out[0], IpcException)
    assert out[0].error is IpcError.Timeout


@pytest.mark.parametrize("how", ["close", "revoke", "kill"])
def test_every_waiter_is_woken(how: str) -> None:
    sys = System()
    owner = sys.spawn()
    root = owner.create_port()
    waiter_proc = sys.spawn()
    root.bind("p", rights=PORT_RIGHTS)
    port = waiter_proc.namespace.lookup("p")
    threads = [in_thread(lambda: port.receive(timeout=WAIT)) for _ in range(3)]
    wait_blocked(root, 3)
    expected = {
        "close": IpcError.PortClosed,
        "revoke": IpcError.InvalidCapability,
        "kill": IpcError.NoSuchProcess,
    }[how]
    if how == "close":
        assert root.close() == 0
    elif how == "revoke":
        assert root.revoke() == 2  # the binding and the looked-up handle
    else:
        waiter_proc.kill()
    for t, out in threads:
        t.join(WAIT)
        assert not t.is_alive()
        assert isinstance(out[0], IpcException)
        assert out[0].error is expected


def test_blocking_send_waits_for_room() -> None:
    sys = System()
    p = sys.spawn()
    port = p.create_port(1)
    port.send_nowait(b"1")
    t, out = in_thread(lambda: port.send(b"2", timeout=WAIT))
    assert port.receive(timeout=WAIT).data == b"1"
    t.join(WAIT)
    assert out == [None]
    assert port.receive_nowait().data == b"2"
    port.send_nowait(b"3")
    with pytest.raises(IpcException) as e:
        port.send(b"4", timeout=0.01)
    assert e.value.error is IpcError.Timeout  # the deadline ends it (TIME-DEADLINE)
    assert port.receive_nowait().data == b"3"  # and "4" was never sent
    with pytest.raises(IpcException):
        port.receive_nowait()


def test_capabilities_travel_and_revoked_in_flight_is_none() -> None:
    _, server, client = pair()
    sender = client.process
    extra = sender.create_port()
    kept = extra.derive(SEND | GRANT)
    moved = kept.derive(SEND | GRANT)
    client.send(b"", caps=[kept])
    assert not kept.alive
    msg = server.receive_nowait()
    (got,) = msg.caps
    assert isinstance(got, Port)
    assert got.rights == SEND | GRANT
    client.send(b"", caps=[moved])
    extra.revoke()
    assert server.receive_nowait().caps == (None,)


def test_channel_threads_and_batches() -> None:
    sys = System()
    p = sys.spawn()
    ch = p.create_channel(8, 64)
    assert ch.send_batch([b"a", b"b", b"c"]) == 3
    assert ch.receive_batch(2) == [b"a", b"b"]
    with pytest.raises(IpcException) as e:
        ch.send_batch([b"x"] * 8)  # all or nothing: only 7 free
    assert e.value.error is IpcError.WouldBlock
    assert ch.receive_nowait() == b"c"
    t, out = in_thread(lambda: ch.receive_wait(timeout=WAIT))
    ch.send_nowait(b"late")
    t.join(WAIT)
    assert out == [b"late"]
    with pytest.raises(IpcException) as e:
        ch.receive_wait(timeout=0.01)
    assert e.value.error is IpcError.Timeout
    ch.close()
    with pytest.raises(IpcException) as e:
        ch.receive_wait(timeout=WAIT)
    assert e.value.error is IpcError.PortClosed


def test_channel_asyncio_producer_consumer() -> None:
    sys = System()
    p = sys.spawn()
    ch = p.create_channel(6, 16)
    n = 100

    async def main() -> list[bytes]:
        async def produce() -> None:
            for i in range(0, n, 5):
                await ch.send_many([bytes([j]) for j in range(i, i + 5)])
            await ch.send(b"end")

        async def consume() -> list[bytes]:
            got: list[bytes] = []
            while True:
                for item in await ch.receive_many(3):
                    if item == b"end":
                        return got
                    got.append(item)

        prod = asyncio.create_task(produce())
        got = await asyncio.wait_for(consume(), WAIT)
        await prod
        return got

    assert asyncio.run(main()) == [bytes([i]) for i in range(n)]

    async def too_big() -> None:
        await ch.send_many([b"x"] * 7)

    with pytest.raises(ValueError, match="never fits"):
        asyncio.run(too_big())


def test_channel_asyncio_woken_by_thread() -> None:
    sys = System()
    p = sys.spawn()
    ch = p.create_channel(2, 8)

    async def main() -> bytes:
        t = threading.Timer(0.01, lambda: ch.send_nowait(b"t"))
        t.start()
        try:
            return await asyncio.wait_for(ch.receive(), WAIT)
        finally:
            t.join(WAIT)

    assert asyncio.run(main()) == b"t"


def test_shared_buffer_zero_copy_and_transfer() -> None:
    sys = System()
    a, b = sys.spawn(), sys.spawn()
    inbox = b.create_port()
    inbox.bind("inbox")
    to_b = a.namespace.lookup("inbox")
    buf = a.create_buffer(4096)
    m = buf.map(writable=True)
    view = m.view()
    view[0:5] = b"hello"
    assert m.read(0, 5) == b"hello"
    ro = buf.derive(READ).map(writable=False).view(0, 5)
    assert bytes(ro) == b"hello"
    with pytest.raises(TypeError):
        ro[0:1] = b"x"
    buf.transfer(to_b)
    with pytest.raises(ValueError, match="released"):
        view[0]
    assert bytes(ro) == b"hello"  # a derived capability's mapping stays
    with pytest.raises(IpcException) as e:
        m.read(0, 1)
    assert e.value.error is IpcError.InvalidCapability
    msg = inbox.receive_nowait()
    (received,) = msg.caps
    assert received is not None
    theirs = received.map().view()
    assert bytes(theirs[0:5]) == b"hello"  # the same memory, never copied
    theirs[0:1] = b"J"
    assert received.map(writable=False).read(0, 5) == b"Jello"
    assert bytes(ro) == b"Jello"
    ro.release()


def test_socket_layer_errno() -> None:
    sys = System()
    a, b = sys.spawn(), sys.spawn()
    with a.socket() as server, b.socket() as client:
        assert (server.fileno(), client.fileno()) == (0, 0)
        server.bind("echo")
        assert os_errno(lambda: client.send(b"x")) == errno.ENOTCONN
        client.connect("echo")
        assert os_errno(lambda: client.connect("echo")) == errno.EISCONN
        assert client.send(b"hello") == 5
        assert os_errno(lambda: server.recv(2)) == errno.EMSGSIZE
        assert server.recv(64) == b"hello"
        server.setblocking(False)
        assert os_errno(lambda: server.recv(64)) == errno.EAGAIN
        server.setblocking(True)
        t, out = in_thread(lambda: server.recv(64, timeout=WAIT))
        client.send(b"later")
        t.join(WAIT)
        assert out == [b"later"]
        assert server.close() == 0
        assert os_errno(lambda: client.send(b"x")) == errno.ENOTCONN
        assert os_errno(lambda: server.recv(1)) == errno.EBADF


def test_handles_are_rechecked() -> None:
    _, _, client = pair()
    weak = client.derive(SEND)
    client.revoke()
    with pytest.raises(IpcException) as e:
        weak.send_nowait(b"x")
    assert e.value.error is IpcError.InvalidCapability
    # The revoke ended what was derived from ``client``, not ``client``
    # itself: it keeps every right, so its receive finds the queue empty.
    assert client.rights == PORT_RIGHTS
    with pytest.raises(IpcException) as e:
        client.receive_nowait()
    assert e.value.error is IpcError.WouldBlock


def test_waiting_receiver_gets_capabilities_by_hand_off() -> None:
    _, server, client = pair()
    extra = client.process.create_port()
    t, out = in_thread(lambda: server.receive(timeout=WAIT))
    wait_blocked(server)
    client.send(b"cap", caps=[extra])
    t.join(WAIT)
    msg = out[0]
    assert msg.data == b"cap"  # type: ignore[attr-defined]
    (got,) = msg.caps  # type: ignore[attr-defined]
    assert isinstance(got, Port)
    assert got.process is server.process
    got.send_nowait(b"through the moved capability")
    assert got.receive_nowait().data == b"through the moved capability"


def test_send_nowait_hands_off_to_waiter_and_kill_wakes_it() -> None:
    sys = System()
    p = sys.spawn()
    port = p.create_port(1)
    t, out = in_thread(lambda: port.receive())
    wait_blocked(port)
    port.send_nowait(b"direct")
    t.join(WAIT)
    assert out[0].data == b"direct"  # type: ignore[attr-defined]
    t, out = in_thread(lambda: port.receive())
    wait_blocked(port)
    p.kill()
    t.join(WAIT)
    assert isinstance(out[0], IpcException)
    assert out[0].error is IpcError.NoSuchProcess


def test_bad_facade_arguments() -> None:
    sys = System()
    p = sys.spawn()
    port = p.create_port()
    with pytest.raises(ValueError, match="timeout"):
        port.receive(timeout=-1)
    with pytest.raises(ValueError, match="clock"):
        System(clock="sundial")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="logical"):
        sys.advance_clock(1)
    with pytest.raises(IpcException) as e:
        port.send_nowait("text")  # type: ignore[arg-type]
    assert e.value.error is IpcError.InvalidArgument


def test_sender_waiting_for_room_sees_its_capability_revoked() -> None:
    _, server, client = pair()
    weak = client.derive(SEND)
    for _ in range(4):
        weak.send_nowait(b"")
    t, out = in_thread(lambda: weak.send(b"more", timeout=WAIT))
    for _ in range(10_000):  # bounded: until the sender waits for room
        with server._lock:
            if server._kp.handles[server.handle].obj.senders:
                break
        threading.Event().wait(0.001)
    client.revoke()
    t.join(WAIT)
    assert not t.is_alive()
    assert isinstance(out[0], IpcException)
    assert out[0].error is IpcError.InvalidCapability


def test_channel_waiter_woken_by_kill() -> None:
    sys = System()
    p = sys.spawn()
    ch = p.create_channel(1, 4)
    t, out = in_thread(lambda: ch.receive_wait(timeout=WAIT))
    for _ in range(10_000):
        with ch._lock:
            if ch._kp.handles[ch.handle].obj.watchers:
                break
        threading.Event().wait(0.001)
    p.kill()
    t.join(WAIT)
    assert not t.is_alive()
    assert isinstance(out[0], IpcException)
    assert out[0].error is IpcError.NoSuchProcess


def test_rate_limit_on_the_monotonic_clock() -> None:
    sys = System()
    p = sys.spawn()
    port = p.create_port(8)
    port.set_filter(rate=(1, 1, 3600 * 1_000_000))  # one message an hour
    port.send_nowait(b"first")
    with pytest.raises(IpcException) as e:
        port.send_nowait(b"second")
    assert e.value.error is IpcError.RateLimited
    port.set_filter()
    port.send_nowait(b"second")
    assert [port.receive_nowait().data for _ in range(2)] == [b"first", b"second"]


def test_rate_limit_on_the_logical_clock() -> None:
    sys = System(clock="logical")
    p = sys.spawn()
    port = p.create_port(8)
    port.set_filter(allowed_types=[1], rate=(1, 1, 5))
    port.send_nowait(b"", msg_type=1)
    with pytest.raises(IpcException) as e:
        port.send_nowait(b"", msg_type=1)
    assert e.value.error is IpcError.RateLimited
    with pytest.raises(IpcException) as e:
        port.send_nowait(b"", msg_type=2)
    assert e.value.error is IpcError.Filtered
    sys.advance_clock(5)
    port.send_nowait(b"", msg_type=1)


def test_buffer_memory_goes_with_its_last_capability() -> None:
    sys = System()
    p = sys.spawn()
    buf = p.create_buffer(1 << 20)
    view = buf.map().view()
    view[0] = 7
    obj = p._kp.handles[buf.handle].obj
    buf.drop()
    with pytest.raises(ValueError, match="released"):
        view[0]
    assert obj.mem is None  # type: ignore[attr-defined]
