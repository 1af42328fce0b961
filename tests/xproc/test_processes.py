"""The ring across real processes (``multiprocessing``, ``spawn`` start method).

A child process and this one move numbered messages through a ring and the
check of xproc/stress.py reports any lost, duplicated, reordered or corrupted
message, or a stall. The check is shown to fail on the seeded bugs of
xproc/mutants.py: a producer that publishes a slot before writing it, and
publications that never wake a parked peer. Every child is joined with a
timeout and killed if it outlives it (``stress.Child``); no assertion is
about time.
"""

from __future__ import annotations

import os
import socket
import time

import pytest

from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.xproc import RingError, mutants, stress
from veridian_ipc.xproc.share import TAG, receive_ring, send_ring

from .conftest import MakeRing


def test_200k_messages_none_lost_duplicated_or_reordered() -> None:
    report = stress.run(200_000, capacity=64, size=64)
    assert report.ok, report
    assert report.received == 200_000


def test_a_parked_transfer_through_a_small_ring() -> None:
    """spin=0: every wait parks on the eventfd, so every wake-up is needed."""
    report = stress.run(20_000, capacity=4, size=24, spin=0)
    assert report.ok, report


def test_the_ring_passed_over_a_socketpair() -> None:
    report = stress.run(5_000, capacity=16, size=16, via_socket=True)
    assert report.ok, report


def test_batches_across_processes() -> None:
    report = stress.run(50_000, capacity=128, size=32, batch=32)
    assert report.ok, report


@pytest.mark.parametrize("batch", [1, 4])
def test_the_check_catches_a_slot_published_before_it_is_written(batch: int) -> None:
    report = stress.run(
        300, capacity=8, ring_class=mutants.PublishBeforeWrite, batch=batch
    )
    assert not report.ok
    assert report.corrupted or report.lost or report.duplicated, report


def test_the_check_catches_a_lost_wake_up() -> None:
    report = stress.run(300, capacity=4, ring_class=mutants.NeverWakes, spin=0, stall=1)
    assert not report.ok
    assert report.stalled, report
    assert report.received < 300
    # the stalled producer was woken by the close and stopped: nothing left running
    assert report.producer_exit == 3, report


def test_blocking_push_and_pop_with_timeouts_across_processes(
    make_ring: MakeRing,
) -> None:
    to_child, from_child = make_ring(4, 16, spin=0), make_ring(1, 16, spin=0)
    with stress.Child(stress.echo_main, to_child, from_child, 0.2) as child:
        to_child.push(b"hello", timeout=30)
        # the child's parked pop was woken, and so is this one
        assert from_child.pop(timeout=30) == b"hello"
        # nothing more comes: the child's pop reaches its deadline (Timeout)
        assert from_child.pop(timeout=30) == stress.TIMED_OUT
        # the next TIMED_OUT fills from_child; the one after cannot be pushed:
        # the child's push reaches its deadline and the child exits so
    assert child.exitcode == stress.PUSH_TIMED_OUT
    # what the child pushed before it closed its ends is still there (drained,
    # then PortClosed), and pushes get PortClosed (CHAN-CLOSE)
    assert from_child.pop(timeout=30) == stress.TIMED_OUT
    for ring, action in (
        (from_child, from_child.pop_nowait),
        (to_child, lambda: to_child.push(b"late", timeout=30)),
    ):
        assert ring.closed
        with pytest.raises(RingError) as caught:
            action()
        assert caught.value.error is IpcError.PortClosed


def test_receive_ring_refuses_what_is_not_a_ring(make_ring: MakeRing) -> None:
    ring = make_ring()
    a, b = socket.socketpair()
    with a, b:
        send_ring(a, ring)
        peer = receive_ring(b)
        peer.push_nowait(b"via SCM_RIGHTS")
        assert ring.pop_nowait() == b"via SCM_RIGHTS"
        peer.close()
        fd = os.eventfd(0)
        try:
            socket.send_fds(a, [TAG], [fd])  # one descriptor, not three
        finally:
            os.close(fd)
        with pytest.raises(RingError) as caught:
            receive_ring(b)
        assert caught.value.error is IpcError.InvalidArgument
        a.close()
        with pytest.raises(RingError) as caught:
            receive_ring(b)
        assert caught.value.error is IpcError.PortClosed


def test_a_child_that_outlives_its_join_is_killed() -> None:
    child = stress.Child(time.sleep, 3600)
    with child:
        pid = child.process.pid
        assert pid is not None
        child.stop(timeout=0.2)  # what leaving does, with a short timeout
    assert child.exitcode is None  # killed, not ended
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # and reaped
