"""Spin-then-park (xproc/wake.py) and the atomic words (xproc/atomic.py).

The wake-up protocol is "announce, re-check, park": these tests drive a waiter
into its park (seen through its shared ``waiting`` word, not through time)
and show that a notification wakes it, that a notification sent before the
park is not lost, and that a wait without one ends at its deadline.
"""

from __future__ import annotations

import select
import threading
import time
from collections.abc import Callable

import pytest

from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.xproc import RingError, atomic
from veridian_ipc.xproc.atomic import ACQUIRE, RELEASE, SEQ_CST, U64
from veridian_ipc.xproc.wake import EventFd, deadline_of, notify, wait_for

from .conftest import MakeRing


def until(condition: Callable[[], object]) -> None:
    """Wait until ``condition()`` holds (a bound against hanging, not timing)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.001)


@pytest.fixture
def event() -> EventFd:
    return EventFd()


def test_the_fast_path_agrees_with_the_library() -> None:
    assert atomic.fast_path_works()
    word = bytearray(8)
    cell = U64(word)
    try:
        for value in (0, 1, 2**63, 2**64 - 1):
            cell.store(value, RELEASE)
            assert cell.load(ACQUIRE) == value == cell._slow_load()
            assert int.from_bytes(word, "little") == value  # the word itself
    finally:
        cell.release()


def test_a_cell_is_eight_bytes() -> None:
    with pytest.raises(ValueError, match="8 bytes"):
        U64(bytearray(4))


def test_a_signal_sent_before_the_park_is_not_lost(event: EventFd) -> None:
    try:
        word = bytearray(8)
        waiting = U64(word)
        flag = [False]

        def ready() -> bool:
            return flag[0]

        # the notifier publishes and signals after the announcement, before
        # the park: the eventfd keeps the count, so the park returns at once
        waiting.store(1, SEQ_CST)
        flag[0] = True
        notify(waiting, event)
        assert select.select([event.fd], [], [], 0)[0] == [event.fd]  # kept
        event.park(None)
        assert wait_for(ready, waiting, event, spin=0, deadline=None)
        assert waiting.load() == 0
        waiting.release()
    finally:
        event.close()


def test_notify_signals_only_a_waiter(event: EventFd) -> None:
    try:
        waiting = U64(bytearray(8))
        notify(waiting, event)  # nobody waits: no signal
        never = deadline_of(0.01)
        assert not wait_for(lambda: False, waiting, event, spin=3, deadline=never)
        waiting.release()
    finally:
        event.close()


@pytest.mark.parametrize("timeout", [-1, float("nan"), "0", False])
def test_deadline_of_refuses_a_bad_timeout(timeout: object) -> None:
    with pytest.raises(RingError) as caught:
        deadline_of(timeout)  # type: ignore[arg-type]
    assert caught.value.error is IpcError.InvalidArgument


def test_a_parked_consumer_is_woken_by_a_push(make_ring: MakeRing) -> None:
    ring = make_ring(2, 8, spin=0)
    got: list[bytes] = []
    consumer = threading.Thread(target=lambda: got.append(ring.pop(timeout=30)))
    consumer.start()
    try:
        until(ring._consumer_waiting.load)  # parked (or about to)
        ring.push_nowait(b"wake")
    finally:
        consumer.join(30)
    assert got == [b"wake"]


def test_a_parked_producer_is_woken_by_a_pop(make_ring: MakeRing) -> None:
    ring = make_ring(1, 8, spin=0)
    ring.push_nowait(b"full")
    done: list[bool] = []

    def producer() -> None:
        ring.push(b"next", timeout=30)
        done.append(True)

    thread = threading.Thread(target=producer)
    thread.start()
    try:
        until(ring._producer_waiting.load)
        assert ring.pop_nowait() == b"full"
    finally:
        thread.join(30)
    assert done == [True]
    assert ring.pop_nowait() == b"next"


def test_close_wakes_a_parked_peer(make_ring: MakeRing) -> None:
    ring = make_ring(2, 8, spin=0)
    errors: list[IpcError] = []

    def consumer() -> None:
        try:
            ring.pop(timeout=30)
        except RingError as e:
            errors.append(e.error)

    thread = threading.Thread(target=consumer)
    thread.start()
    try:
        until(ring._consumer_waiting.load)
        ring._closed.store(1)  # what close() publishes, before releasing
        ring._data_ev.signal()
    finally:
        thread.join(30)
    assert errors == [IpcError.PortClosed]


def test_a_ring_works_through_the_public_api_alone(
    monkeypatch: pytest.MonkeyPatch, make_ring: MakeRing
) -> None:
    monkeypatch.setattr(atomic, "FAST", False)  # as if the internals differed
    ring = make_ring(2, 8)
    assert ring._write.load == ring._write._slow_load
    ring.push_nowait(b"slow")
    assert ring.pop_nowait() == b"slow"


def test_a_fast_path_that_disagrees_is_not_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: U64) -> bool:  # loads that lag behind the stores
        self.load = lambda order=SEQ_CST: 0
        self.store = self._slow_store
        return True

    monkeypatch.setattr(U64, "_bind_fast", broken)
    monkeypatch.setattr(atomic, "FAST", None)
    assert not atomic.fast_path_works()
    cell = U64(bytearray(8))
    try:
        cell.store(5)
        assert cell.load() == 5  # the public API's load
    finally:
        cell.release()
