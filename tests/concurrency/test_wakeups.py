"""Waiting threads are woken only when they can proceed (``model.waiting``).

``k`` free slots wake ``k`` waiting senders, in arrival order; ``k`` messages
wake ``k`` waiting receivers; a close wakes all; a capability that leaves its
table wakes only the threads waiting through it. Wake-ups are counted by
watching every ``threading.Condition`` built on the system's lock: a return
from ``wait`` is a thread woken. (No timing is measured here; see
``bench/blocked_senders.py``.)
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from veridian_ipc.model import IpcException, Port, System
from veridian_ipc.model.waiting import ROOM, waiters_of
from veridian_ipc.vocabulary.errors import IpcError

N = 12


class Counts:
    """Waits entered and returned on conditions over one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entered = 0
        self.returned = 0
        self.by_thread: dict[str, int] = {}

    def until(self, cond: Callable[[], bool]) -> None:
        for _ in range(20_000):
            if cond():
                return
            time.sleep(0.0005)
        raise AssertionError("never settled")


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> Callable[[System], Counts]:
    """Count the waits on conditions built on a given system's lock."""
    watched: dict[int, Counts] = {}
    real = threading.Condition

    class Counting(real):  # type: ignore[valid-type,misc]
        def wait(self, timeout: float | None = None) -> bool:
            c = watched.get(id(self._lock))
            if c is None:
                return bool(super().wait(timeout))
            with c.lock:
                c.entered += 1
            try:
                return bool(super().wait(timeout))
            finally:
                name = threading.current_thread().name
                with c.lock:
                    c.returned += 1
                    c.by_thread[name] = c.by_thread.get(name, 0) + 1

    monkeypatch.setattr(threading, "Condition", Counting)

    def watch(system: System) -> Counts:
        c = watched[id(system.lock)] = Counts()
        return c

    return watch


def start(n: int, target: Callable[[int], Any], prefix: str) -> list[threading.Thread]:
    threads = [
        threading.Thread(target=target, args=(i,), name=f"{prefix}{i}", daemon=True)
        for i in range(n)
    ]
    for t in threads:
        t.start()
    return threads


def full_port(system: System, capacity: int = 1) -> tuple[Port, Port]:
    owner, user = system.spawn(), system.spawn()
    port = owner.create_port(capacity)
    port.bind("svc", rights=15)
    out = user.namespace.lookup("svc")
    for _ in range(capacity):
        out.send_nowait(b"fill")
    return port, out


def test_one_free_slot_wakes_one_blocked_sender(
    counting: Callable[[System], Counts],
) -> None:
    system = System()
    counts = counting(system)
    port, out = full_port(system)
    errors: list[IpcError] = []
    sent: list[int] = []

    def send(i: int) -> None:
        try:
            out.send(b"%d" % i, timeout=30)
            sent.append(i)
        except IpcException as e:
            errors.append(e.error)

    threads = start(N, send, "sender")
    counts.until(lambda: counts.entered == N)
    port.receive_nowait()  # one slot frees
    counts.until(lambda: len(sent) == 1 and counts.entered - counts.returned == N - 1)
    assert counts.returned == 1  # one thread woken, not N
    # Draining the port wakes each sender once.
    for k in range(2, N + 1):
        port.receive_nowait()
        counts.until(lambda k=k: len(sent) == k)  # type: ignore[misc]
    assert counts.returned == N
    for t in threads:
        t.join(10)
    assert not errors


def test_senders_get_slots_in_arrival_order(
    counting: Callable[[System], Counts],
) -> None:
    system = System()
    counts = counting(system)
    port, out = full_port(system)

    def send(i: int) -> None:
        # start() passes 0 to every thread: each sends its name instead.
        out.send(threading.current_thread().name.encode(), timeout=30)

    threads = []
    for i in range(5):  # one at a time: arrival order is i
        threads += start(1, send, f"s{i}-")
        counts.until(lambda i=i: counts.entered == i + 1)  # type: ignore[misc]
    # The kernel serves blocked senders in the order they blocked
    # (PORT-SEND-BLOCK), whatever order their threads then wake in.
    got = [port.receive(timeout=10).data for _ in range(6)]
    assert got == [b"fill"] + [b"s%d-0" % i for i in range(5)]
    for t in threads:
        t.join(10)
    assert sorted(counts.by_thread) == [f"s{i}-0" for i in range(5)]


def test_close_wakes_every_sender(counting: Callable[[System], Counts]) -> None:
    system = System()
    counts = counting(system)
    port, out = full_port(system)
    errors: list[IpcError] = []

    def send(i: int) -> None:
        try:
            out.send(b"x", timeout=30)
        except IpcException as e:
            errors.append(e.error)

    threads = start(N, send, "sender")
    counts.until(lambda: counts.entered == N)
    port.close()
    for t in threads:
        t.join(10)
    assert errors == [IpcError.PortClosed] * N
    assert counts.returned == N


def test_a_dropped_capability_wakes_only_its_senders(
    counting: Callable[[System], Counts],
) -> None:
    system = System()
    counts = counting(system)
    port, out = full_port(system)
    other = out.derive(out.rights)
    errors: dict[str, IpcError] = {}

    def send_through(h: Port) -> Callable[[int], None]:
        def send(i: int) -> None:
            try:
                h.send(b"x", timeout=30)
            except IpcException as e:
                errors[threading.current_thread().name] = e.error

        return send

    doomed = start(4, send_through(other), "doomed")
    counts.until(lambda: counts.entered == 4)
    kept = start(4, send_through(out), "kept")
    counts.until(lambda: counts.entered == 8)
    other.drop()
    for t in doomed:
        t.join(10)
    assert errors == {f"doomed{i}": IpcError.InvalidCapability for i in range(4)}
    assert all(not name.startswith("kept") for name in counts.by_thread)
    port.close()
    for t in kept:
        t.join(10)


def test_channel_waits_wake_one_per_slot_and_message(
    counting: Callable[[System], Counts],
) -> None:
    system = System()
    counts = counting(system)
    proc = system.spawn()
    ch = proc.create_channel(1, 8)
    got: list[bytes] = []

    def receive(i: int) -> None:
        got.append(ch.receive_wait(timeout=30))

    receivers = start(N, receive, "receiver")
    counts.until(lambda: counts.entered == N)
    ch.send_nowait(b"one")
    counts.until(lambda: got == [b"one"] and counts.entered - counts.returned == N - 1)
    assert counts.returned == 1
    for i in range(N - 1):
        ch.send_wait(b"%d" % i, timeout=30)
    for t in receivers:
        t.join(10)
    assert len(got) == N
    # Senders waiting for room on a full ring: one message out, one woken.
    before = counts.returned
    ch.send_nowait(b"full")
    closed: list[IpcError] = []

    def send(i: int) -> None:
        try:
            ch.send_wait(b"s", timeout=30)
        except IpcException as e:
            closed.append(e.error)

    senders = start(N, send, "sender")
    counts.until(lambda: counts.entered - counts.returned == N)
    ch.receive_nowait()
    counts.until(lambda: counts.entered - counts.returned == N - 1)
    assert counts.returned - before == 1
    ch.close()
    for t in senders:
        t.join(10)
    assert closed == [IpcError.PortClosed] * (N - 1)


def test_asyncio_senders_are_woken_one_per_slot() -> None:
    system = System()
    proc = system.spawn()
    ch = proc.create_channel(1, 8)
    ring = ch._kp.handles[ch.handle].obj
    ch.send_nowait(b"fill")

    async def main() -> list[bytes]:
        tasks = [asyncio.create_task(ch.send(b"%d" % i)) for i in range(N)]
        while (ws := waiters_of(ring)) is None or len(ws.fifo[ROOM]) < N:
            await asyncio.sleep(0.001)
        got = [ch.receive_nowait()]
        while not any(t.done() for t in tasks):
            await asyncio.sleep(0.001)
        assert ws.wakeups == 1  # one slot, one task woken
        while len(got) < N + 1:  # each message taken wakes one more sender
            try:
                got.append(ch.receive_nowait())
            except IpcException:
                await asyncio.sleep(0.001)
        await asyncio.gather(*tasks)
        assert ws.wakeups == N
        return got

    got = asyncio.run(main())
    assert got == [b"fill"] + [b"%d" % i for i in range(N)]  # in arrival order
    assert ring.watchers is None
