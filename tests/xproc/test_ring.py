"""The ring in one process: FIFO, full and empty, oversize, wrap-around, close.

Where the ring and the spec's channel overlap (spec/channels.py), the ring
refuses with the spec's error (CHAN-CREATE, CHAN-SEND, CHAN-CLOSE): these
tests pin the ``IpcError`` of each refusal and their precedence.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import Config
from veridian_ipc.xproc import Ring, RingError
from veridian_ipc.xproc.layout import HEADER

from .conftest import MakeRing


def error_of(action: Callable[[], object]) -> IpcError:
    with pytest.raises(RingError) as caught:
        action()
    return caught.value.error


def test_messages_come_out_in_the_order_they_went_in(make_ring: MakeRing) -> None:
    ring = make_ring(8, 16)
    sent = [b"", b"a", b"bc", bytes(16), b"x" * 7]
    for data in sent:
        ring.push_nowait(data)
    assert len(ring) == len(sent)
    assert [ring.pop_nowait() for _ in sent] == sent
    assert len(ring) == 0


def test_a_full_ring_refuses_a_nonblocking_push(make_ring: MakeRing) -> None:
    ring = make_ring(3, 8)
    for i in range(3):
        assert ring.try_push(bytes([i]))
    assert not ring.try_push(b"x")
    assert error_of(lambda: ring.push_nowait(b"x")) is IpcError.WouldBlock
    assert error_of(lambda: ring.push(b"x", timeout=0)) is IpcError.WouldBlock
    assert ring.pop_nowait() == b"\x00"  # nothing was lost: a slot frees
    ring.push_nowait(b"x")
    assert [ring.pop_nowait() for _ in range(3)] == [b"\x01", b"\x02", b"x"]


def test_an_empty_ring_refuses_a_nonblocking_pop(make_ring: MakeRing) -> None:
    ring = make_ring()
    assert ring.try_pop() is None
    assert error_of(ring.pop_nowait) is IpcError.WouldBlock
    assert error_of(lambda: ring.pop(timeout=0)) is IpcError.WouldBlock


def test_data_longer_than_a_slot_is_too_large(make_ring: MakeRing) -> None:
    ring = make_ring(2, 5)
    ring.push_nowait(b"12345")  # exactly a slot
    assert error_of(lambda: ring.push_nowait(b"123456")) is IpcError.MessageTooLarge
    assert ring.pop_nowait() == b"12345"
    assert ring.try_pop() is None  # the refused message left no trace


@pytest.mark.parametrize(
    "data", [bytearray(b"abc"), memoryview(b"abc"), memoryview(b"xxabc")[2:]]
)
def test_any_bytes_like_data_is_sent_as_bytes(
    make_ring: MakeRing, data: object
) -> None:
    ring = make_ring()
    ring.push_nowait(data)  # type: ignore[arg-type]
    assert ring.pop_nowait() == b"abc"


@pytest.mark.parametrize("data", ["text", 3, None, [1, 2]])
def test_data_that_is_not_bytes_is_an_invalid_argument(
    make_ring: MakeRing, data: object
) -> None:
    ring = make_ring()
    assert error_of(lambda: ring.push_nowait(data)) is IpcError.InvalidArgument  # type: ignore[arg-type]


def test_the_ring_wraps_around_many_times(make_ring: MakeRing) -> None:
    ring = make_ring(3, 12)
    expected: list[bytes] = []
    got: list[bytes] = []
    for i in range(3000):  # hundreds of laps, the fill going up and down
        data = str(i).encode() * (1 + i % 3)
        if ring.try_push(data[:12]):
            expected.append(data[:12])
        if i % 3 != 2 and (out := ring.try_pop()) is not None:
            got.append(out)
    while (out := ring.try_pop()) is not None:
        got.append(out)
    assert got == expected
    assert len(expected) > 600 * 3  # more than 600 laps


@pytest.mark.parametrize(
    ("capacity", "max_message", "error"),
    [
        (0, 8, IpcError.InvalidArgument),
        (4, 0, IpcError.InvalidArgument),
        (-1, 8, IpcError.InvalidArgument),
        (True, 8, IpcError.InvalidArgument),
        ("4", 8, IpcError.InvalidArgument),
        (4, 2.0, IpcError.InvalidArgument),
        (5, 8, IpcError.OutOfMemory),  # above max_channel_capacity 4
        (4, 65, IpcError.OutOfMemory),  # above max_channel_message 64
        (5, 0, IpcError.InvalidArgument),  # InvalidArgument comes first
    ],
)
def test_create_checks_the_geometry_as_chan_create(
    capacity: object, max_message: object, error: IpcError
) -> None:
    config = Config(max_channel_capacity=4, max_channel_message=64)
    assert (
        error_of(lambda: Ring.create(capacity, max_message, config=config))  # type: ignore[arg-type]
        is error
    )


@pytest.mark.parametrize("spin", [-1, 1.5, None])
def test_a_bad_spin_is_an_invalid_argument(spin: object) -> None:
    assert error_of(lambda: Ring.create(2, 8, spin=spin)) is IpcError.InvalidArgument  # type: ignore[arg-type]


@pytest.mark.parametrize("timeout", [-1, -0.5, float("nan"), "1", True])
def test_a_bad_timeout_is_an_invalid_argument(
    make_ring: MakeRing, timeout: Any
) -> None:
    ring = make_ring()
    assert error_of(lambda: ring.pop(timeout=timeout)) is IpcError.InvalidArgument
    assert (
        error_of(lambda: ring.push(b"x", timeout=timeout)) is IpcError.InvalidArgument
    )
    assert len(ring) == 0


def test_a_blocking_wait_reaches_its_deadline(make_ring: MakeRing) -> None:
    ring = make_ring(1, 8, spin=0)
    assert error_of(lambda: ring.pop(timeout=0.02)) is IpcError.Timeout
    ring.push_nowait(b"x")
    assert error_of(lambda: ring.push(b"y", timeout=0.02)) is IpcError.Timeout
    assert ring.pop(timeout=1) == b"x"


def test_after_close_the_peer_drains_then_gets_port_closed(
    make_ring: MakeRing, peer_of: Callable[[Ring], Ring]
) -> None:
    ring = make_ring(4, 8)
    peer = peer_of(ring)
    ring.push_nowait(b"a")
    ring.push_nowait(b"b")
    ring.close()
    assert not ring.is_open
    assert peer.closed
    # precedence of CHAN-SEND: too large, then closed, then full
    assert error_of(lambda: peer.push_nowait(b"x" * 9)) is IpcError.MessageTooLarge
    assert error_of(lambda: peer.push_nowait(b"x")) is IpcError.PortClosed
    assert peer.pop_nowait() == b"a"
    assert peer.pop(timeout=1) == b"b"
    assert error_of(peer.pop_nowait) is IpcError.PortClosed
    assert error_of(lambda: peer.pop(timeout=1)) is IpcError.PortClosed


def test_a_closed_end_is_an_invalid_capability(make_ring: MakeRing) -> None:
    ring = make_ring()
    ring.close()
    ring.close()  # idempotent
    for action in (
        lambda: ring.push_nowait(b"x"),
        ring.try_pop,
        ring.fds,
        lambda: len(ring),
        lambda: ring.closed,
    ):
        assert error_of(action) is IpcError.InvalidCapability


def test_close_releases_the_memory_and_every_descriptor() -> None:
    with Ring.create(4, 64) as ring:
        fds = ring.fds()
        targets = [os.readlink(f"/proc/self/fd/{fd}") for fd in fds]
        assert targets[0].startswith("/memfd:veridian-ring")
        assert targets[1:] == ["anon_inode:[eventfd]"] * 2
        ring.push_nowait(b"x")
    for fd in fds:  # closed with the ring (the no_leak fixture checks the rest)
        with pytest.raises(OSError, match="Bad file descriptor"):
            os.fstat(fd)


@pytest.mark.parametrize("fds", [(), (1, 2), ("0", 1, 2), None, 3])
def test_attach_refuses_what_is_not_three_descriptors(fds: Any) -> None:
    assert error_of(lambda: Ring.attach(fds)) is IpcError.InvalidArgument


def test_attach_refuses_descriptors_that_are_not_eventfds(make_ring: MakeRing) -> None:
    mem = os.dup(make_ring().fds()[0])
    r, w = os.pipe()
    assert error_of(lambda: Ring.attach((mem, r, w))) is IpcError.InvalidArgument
    for fd in (mem, r, w):  # attach closed them
        with pytest.raises(OSError, match="Bad file descriptor"):
            os.fstat(fd)


def test_attach_refuses_memory_that_holds_no_ring() -> None:
    for size in (0, HEADER + 64):
        fds = (os.memfd_create("not-a-ring"), os.eventfd(0), os.eventfd(0))
        os.ftruncate(fds[0], size)
        with pytest.raises(RingError) as caught:
            Ring.attach(fds)
        assert caught.value.error is IpcError.InvalidArgument
        for fd in fds:  # attach closed them
            with pytest.raises(OSError, match="Bad file descriptor"):
                os.fstat(fd)


def test_a_ring_error_keeps_its_error_through_pickling() -> None:
    error = RingError(IpcError.WouldBlock, "the ring is full")
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, RingError)
    assert (copy.error, copy.what, str(copy)) == (
        IpcError.WouldBlock,
        "the ring is full",
        "WouldBlock: the ring is full",
    )
    with pytest.raises(TypeError):
        RingError(9)  # type: ignore[arg-type]


def test_one_end_pushes_and_one_pops(
    make_ring: MakeRing, peer_of: Callable[[Ring], Ring]
) -> None:
    ring = make_ring(4, 8)
    peer, third = peer_of(ring), peer_of(ring)
    ring.push_nowait(b"a")  # ring is the producer now
    assert peer.pop_nowait() == b"a"  # and peer the consumer
    for action in (lambda: peer.push_nowait(b"b"), third.try_pop):
        assert error_of(action) is IpcError.InvalidArgument
    ring.push_nowait(b"c")
    assert peer.pop_nowait() == b"c"  # the refusals changed nothing


def test_a_batch_goes_in_all_or_nothing(make_ring: MakeRing) -> None:
    ring = make_ring(4, 4)
    assert ring.push_batch([b"a", bytearray(b"b")]) == 2  # type: ignore[list-item]
    # CHAN-SEND-BATCH's precedence: empty, too large, (closed), does not fit
    assert error_of(lambda: ring.push_batch([])) is IpcError.InvalidArgument
    assert error_of(lambda: ring.push_batch(b"ab")) is IpcError.InvalidArgument  # type: ignore[arg-type]
    assert error_of(lambda: ring.push_batch(["s"])) is IpcError.InvalidArgument  # type: ignore[list-item]
    too_large = [b"1", b"12345"] * 2
    assert error_of(lambda: ring.push_batch(too_large)) is IpcError.MessageTooLarge
    full = [b"c", b"d", b"e"]
    assert error_of(lambda: ring.push_batch(full)) is IpcError.WouldBlock
    assert error_of(lambda: ring.push_batch(full, timeout=0.01)) is IpcError.Timeout
    big = [b"x"] * 5  # can never fit: at once, even without a deadline
    assert error_of(lambda: ring.push_batch(big, timeout=None)) is IpcError.WouldBlock
    assert ring.pop_batch(10) == [b"a", b"b"]  # nothing of the refused batches
    assert ring.push_batch([*full, b"f"]) == 4  # wraps around the end
    assert ring.pop_batch(3) == [b"c", b"d", b"e"]
    assert ring.pop_batch(3) == [b"f"]


def test_a_batch_pop_takes_the_longest_prefix(make_ring: MakeRing) -> None:
    ring = make_ring(8, 4)
    for i in range(5):
        ring.push_nowait(bytes([i]))
    for bad in (0, -1, True, 1.0):
        assert error_of(lambda b=bad: ring.pop_batch(b)) is IpcError.InvalidArgument  # type: ignore[misc]
    assert ring.pop_batch(2) == [b"\x00", b"\x01"]
    assert ring.pop_batch(9) == [b"\x02", b"\x03", b"\x04"]
    assert error_of(lambda: ring.pop_batch(1)) is IpcError.WouldBlock
    assert error_of(lambda: ring.pop_batch(1, timeout=0.01)) is IpcError.Timeout
    ring.push_batch([b"y", b"z"])
    ring.close()
    peer_error = error_of(lambda: ring.pop_batch(1))  # this end is gone
    assert peer_error is IpcError.InvalidCapability
