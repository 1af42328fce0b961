"""The cross-process check: numbered messages from one process to another.

A child process (``multiprocessing``, the ``spawn`` start method by default:
a fresh interpreter that shares nothing with the parent but the ring's
descriptors) pushes ``count`` numbered messages into a ring; the parent pops
them and checks, message by message, that none is lost, duplicated, reordered
or corrupted. A message is its 8-byte number followed by bytes derived from
it, so a slot read before it was written (or after it was rewritten) shows as
corrupted or out of order, not only a message that never came.

The producer's pushes wait without limit; the parent gives up on a pop after
``stall`` seconds (reported as ``stalled``). A lost wake-up shows as that: the
consumer parks and is not woken, the producer fills the ring and parks, and
when the consumer's deadline comes it drains the ring and parks again, for a
producer that nobody wakes. Afterwards the parent closes the ring, which
wakes the child and fails its push with ``PortClosed``; the child is joined
with a timeout and killed if it is still running: ``run`` never leaves a
process behind. Used by tests/xproc and on seeded bugs (xproc/mutants.py).

``echo`` is the other child program: it sends back what it receives (the
benchmark's latency peer, and the tests' blocking peer).
"""

from __future__ import annotations

import multiprocessing
import socket
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from veridian_ipc.vocabulary.errors import IpcError

from .errors import RingError
from .ring import Ring
from .share import receive_ring, send_ring
from .wake import DEFAULT_SPIN

_SEQ = struct.Struct("=Q")
#: Seconds to wait for the child after the last message (then it is killed).
JOIN_SECONDS = 20.0


def message(i: int, size: int) -> bytes:
    """Message number ``i``: its number, then ``size - 8`` bytes of ``i % 251``."""
    return _SEQ.pack(i) + bytes([i % 251]) * (size - _SEQ.size)


@dataclass
class Report:
    """What the consumer saw."""

    count: int
    """Messages the producer was asked to send."""
    received: int = 0
    lost: int = 0
    """Numbers skipped (a later number came first)."""
    duplicated: int = 0
    """Numbers that came again, or went backwards."""
    corrupted: int = 0
    """Messages whose bytes are not those of their number (or too short)."""
    stalled: bool = False
    """A pop waited ``stall`` seconds for a message that never came."""
    producer_exit: int | None = None
    """The child's exit code (0: it sent everything); None if it was killed."""
    first_problem: str = ""

    @property
    def ok(self) -> bool:
        """Every message came once, in order, intact, and the producer ended."""
        return (
            self.received == self.count
            and not (self.lost or self.duplicated or self.corrupted or self.stalled)
            and self.producer_exit == 0
        )

    def problem(self, what: str) -> None:
        if not self.first_problem:
            self.first_problem = what


def produce(ring: Ring, count: int, size: int, batch: int = 1) -> None:
    """Push messages ``0 .. count - 1`` (the child's part), one by one or in
    batches of ``batch``, then close."""
    try:
        if batch == 1:
            for i in range(count):
                ring.push(message(i, size))
        else:
            for start in range(0, count, batch):
                stop = min(count, start + batch)
                ring.push_batch([message(i, size) for i in range(start, stop)], None)
    finally:
        ring.close()


def _producer_main(
    ring: Ring | socket.socket, count: int, size: int, batch: int
) -> None:
    try:
        if isinstance(ring, socket.socket):
            with ring:
                ring = receive_ring(ring)
        produce(ring, count, size, batch)
    except RingError as e:  # closed by the consumer: exit 3
        print(f"producer: {e}", file=sys.stderr)
        sys.exit(3)


#: What ``echo`` sends back when a pop reached its deadline.
TIMED_OUT = b"<timeout>"
#: ``echo``'s exit code when a push reached its deadline.
PUSH_TIMED_OUT = 4


def echo(inbound: Ring, outbound: Ring, timeout: float | None = None) -> int:
    """Push back every message popped from ``inbound`` until it is closed and
    drained; a pop that waits ``timeout`` seconds sends ``TIMED_OUT`` instead
    (a push waits as long). The number of messages echoed."""
    echoed = 0
    while True:
        try:
            data = inbound.pop(timeout=timeout)
        except RingError as e:
            if e.error is IpcError.PortClosed:
                return echoed
            if e.error is not IpcError.Timeout:
                raise
            data = TIMED_OUT
        else:
            echoed += 1
        outbound.push(data, timeout=timeout)


def echo_main(inbound: Ring, outbound: Ring, timeout: float | None = None) -> None:
    """``echo`` as a child process: exit 0 when ``inbound`` is closed,
    ``PUSH_TIMED_OUT`` when a push reached its deadline."""
    try:
        echo(inbound, outbound, timeout)
    except RingError as e:
        print(f"echo: {e}", file=sys.stderr)
        sys.exit(PUSH_TIMED_OUT if e.error is IpcError.Timeout else 3)
    finally:
        inbound.close()
        outbound.close()


def consume(
    ring: Ring, report: Report, size: int, stall: float, batch: int = 1
) -> None:
    """Pop until the ring is closed and drained (one by one, or in batches of
    up to ``batch``), checking every message."""
    expected = 0
    pending: list[bytes] = []
    while True:
        if not pending:
            try:
                if batch == 1:
                    pending.append(ring.pop(timeout=stall))
                else:
                    pending = ring.pop_batch(batch, timeout=stall)
                    pending.reverse()
            except RingError as e:
                if e.error is IpcError.Timeout:
                    report.stalled = True
                    report.problem(f"stalled after {report.received} messages")
                elif e.error is not IpcError.PortClosed:
                    report.problem(f"pop: {e}")
                return
        data = pending.pop()
        report.received += 1
        if len(data) != size:
            report.corrupted += 1
            report.problem(f"message {report.received - 1} has {len(data)} bytes")
            continue
        (i,) = _SEQ.unpack_from(data)
        if data != message(i, size):
            report.corrupted += 1
            report.problem(f"message {i} corrupted")
        if i == expected:
            expected += 1
        elif i > expected:
            report.lost += i - expected
            report.problem(f"expected message {expected}, got {i}")
            expected = i + 1
        else:
            report.duplicated += 1
            report.problem(f"expected message {expected}, got {i} again")


class Child:
    """A child process running ``target(*args)``: started on entering, joined
    on leaving (killed if it is still running after ``JOIN_SECONDS``).
    ``exitcode`` is None until it is joined, and if it had to be killed."""

    def __init__(
        self, target: Callable[..., object], *args: object, start_method: str = "spawn"
    ) -> None:
        context: Any = multiprocessing.get_context(start_method)
        self.process: multiprocessing.process.BaseProcess = context.Process(
            target=target, args=args, daemon=True
        )
        self._done = False
        self.exitcode: int | None = None

    def __enter__(self) -> Child:
        self.process.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self, timeout: float = JOIN_SECONDS) -> None:
        """Join the child (kill it after ``timeout`` seconds); idempotent."""
        process = self.process
        if self._done:
            return
        self._done = True
        process.join(timeout)
        if process.is_alive():
            process.kill()
            process.join(timeout)
        else:
            self.exitcode = process.exitcode
        process.close()


def run(
    count: int,
    *,
    capacity: int = 64,
    size: int = 64,
    ring_class: type[Ring] = Ring,
    spin: int = DEFAULT_SPIN,
    stall: float = 10.0,
    start_method: str = "spawn",
    via_socket: bool = False,
    batch: int = 1,
) -> Report:
    """Move ``count`` messages of ``size`` bytes (at least 8) from a child
    process to this one through a ring of ``capacity`` slots and report.

    The child gets the ring in its arguments (its descriptors duplicated by
    ``multiprocessing``), or with ``via_socket`` over a Unix socket pair
    (``SCM_RIGHTS``, xproc/share.py). With ``batch`` above 1 the messages
    are pushed in batches of ``batch`` and popped in batches of up to it.
    """
    if size < _SEQ.size:
        raise RingError(IpcError.InvalidArgument, f"size {size} is below 8")
    report = Report(count)
    mine, theirs = socket.socketpair() if via_socket else (None, None)
    try:
        with ring_class.create(capacity, size, spin=spin) as ring:
            child = Child(
                _producer_main,
                theirs or ring,
                count,
                size,
                batch,
                start_method=start_method,
            )
            with child:
                try:
                    if mine is not None and theirs is not None:
                        theirs.close()
                        send_ring(mine, ring)
                    consume(ring, report, size, stall, batch)
                finally:
                    ring.close()  # a producer still pushing gets PortClosed
            report.producer_exit = child.exitcode
    finally:
        for end in (mine, theirs):
            if end is not None:
                end.close()
    if report.producer_exit not in (0, None) and not report.first_problem:
        report.problem(f"the producer exited with {report.producer_exit}")
    if report.received != count:
        report.problem(f"received {report.received} of {count} messages")
    return report


__all__ = [
    "JOIN_SECONDS",
    "PUSH_TIMED_OUT",
    "TIMED_OUT",
    "Child",
    "Report",
    "consume",
    "echo",
    "echo_main",
    "message",
    "produce",
    "run",
]
