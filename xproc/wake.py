"""Spin-then-park wake-ups between two processes: a bounded spin, then an eventfd.

A side that cannot go on (a consumer facing an empty ring, a producer facing a
full one) first **spins**: it re-checks its condition a bounded number of times
(``spin``), which costs a core but answers within microseconds when the
peer is running on another core. Then it **parks**: it sleeps reading an
eventfd (``os.eventfd``, Linux; ``poll(2)`` first when it has a deadline)
that the peer writes to wake it, which costs a system call on each side and
a scheduler wake-up (about 10 us one way from Python) but no CPU while
waiting. On a machine of two cores
shared with other work, spinning without bound would take a whole core from
everyone: spin-then-park is the default, ``spin=0`` parks at once.

*No lost wake-ups.* Each waiting side has a ``waiting`` word in the shared
memory (a ``U64``) and an eventfd the peer can write. The waiter and the
notifier follow the "announce, re-check, park" protocol:

waiter (``wait_for``)::

    waiting := 1                      # announce (sequentially consistent)
    loop:
        if ready(): waiting := 0; done   # re-check after announcing
        read(eventfd)                    # park (poll first if a deadline)
                                         # a wake-up may be spurious: re-check

notifier (``notify``), after publishing what the waiter waits for::

    if waiting == 1: write(eventfd, 1)

The notifier's publication (an index store) and its load of ``waiting`` are
both sequentially consistent, as are the waiter's store of ``waiting`` and its
re-check: in the single total order of those four accesses, either the
waiter's announcement comes first, and the notifier sees ``waiting == 1`` and
writes the eventfd, or the notifier's publication comes first, and the
waiter's re-check sees it and does not park (the store-load order a
release/acquire pair does not give: this is Dekker's mutual exclusion). An
eventfd keeps its count until read, so a write that lands between the
re-check and the park is not lost either: the park returns at once. Extra
writes only cause a spurious wake-up, after which the waiter re-checks.

*Sharing the eventfds.* An eventfd is a file descriptor: the peer process
gets it by inheritance (``fork``, or ``pass_fds`` of the ``spawn`` start
method: ``multiprocessing`` duplicates it into the child when a ring is in
the ``Process``'s arguments) or by ``SCM_RIGHTS`` over a Unix socket
(``socket.send_fds``, see xproc/share.py).

*Deadlines* are on monotonic time (``time.monotonic``); reaching one is the
spec's ``Timeout`` (TIME-DEADLINE), which ``wait_for`` reports as ``False``.
"""

from __future__ import annotations

import math
import os
import select
import time
from collections.abc import Callable

from veridian_ipc.vocabulary.errors import IpcError

from .atomic import SEQ_CST, U64
from .errors import RingError

#: The default bounded spin: re-checks before parking. A re-check of the ring
#: costs 0.5-1 us from Python (one or two atomic loads) and a park and wake-up
#: about 10-15 us more than a spinning hand-over (bench/xproc_ring.py), so 20
#: re-checks spin about as long as a park costs: a wait then costs at most
#: about twice the better of the two (the classic competitive argument for
#: spin-then-park), and a waiter gives its core back soon.
DEFAULT_SPIN = 20


def new_eventfd() -> int:
    """A new eventfd (count 0, close-on-exec, blocking: see ``EventFd``)."""
    return os.eventfd(0, os.EFD_CLOEXEC)


class EventFd:
    """An eventfd with one waiter: ``signal`` adds 1, ``park`` waits until the
    count is non-zero (or a timeout) and resets it.

    The descriptor blocks: a park without a deadline is one ``read(2)``, and a
    park with one is ``poll(2)`` then a ``read`` that cannot block, since only
    the one waiting side ever reads the eventfd (the ring's consumer reads its
    data eventfd, its producer its room eventfd; the peer only writes).
    """

    __slots__ = ("_poll", "fd")

    def __init__(self, fd: int | None = None) -> None:
        """A new eventfd, or (``fd`` given) one received from another process,
        which this object now owns."""
        self.fd = new_eventfd() if fd is None else fd
        self._poll = select.poll()
        self._poll.register(self.fd, select.POLLIN)

    def signal(self) -> None:
        """Wake the parked peer (or make its next park return at once)."""
        os.eventfd_write(self.fd, 1)

    def park(self, timeout: float | None) -> None:
        """Sleep until signalled or ``timeout`` seconds (None: no limit) pass;
        the count is reset. May return early (a stale signal): callers re-check."""
        if timeout is None or self._poll.poll(max(0, math.ceil(timeout * 1000))):
            os.eventfd_read(self.fd)

    def close(self) -> None:
        """Close the descriptor (idempotent)."""
        if self.fd >= 0:
            self._poll.unregister(self.fd)
            os.close(self.fd)
            self.fd = -1


def deadline_of(timeout: float | None) -> float | None:
    """The monotonic deadline of a wait of ``timeout`` seconds (None: none).

    ``InvalidArgument`` for a negative, NaN or non-numeric timeout (as the
    spec's CHAN-SEND refuses a negative one); 0 is a deadline already reached.
    """
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise RingError(
            IpcError.InvalidArgument, f"timeout {timeout!r} is not a number"
        )
    if math.isnan(timeout) or timeout < 0:
        raise RingError(IpcError.InvalidArgument, f"timeout {timeout!r} is negative")
    return time.monotonic() + timeout


def wait_for(
    ready: Callable[[], bool],
    waiting: U64,
    event: EventFd,
    spin: int,
    deadline: float | None,
) -> bool:
    """Spin then park until ``ready()``; False if ``deadline`` passes first.

    ``ready`` must read the shared state with sequentially consistent loads
    (the protocol in the module docstring); ``waiting`` is this side's word,
    ``event`` the eventfd the peer signals.
    """
    for _ in range(spin):
        if ready():
            return True
    waiting.store(1, SEQ_CST)
    while True:
        if ready():
            waiting.store(0, SEQ_CST)
            return True
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            waiting.store(0, SEQ_CST)
            return False
        event.park(remaining)


def notify(waiting: U64, event: EventFd) -> None:
    """Wake the peer if it announced it is waiting (after a publication)."""
    if waiting.load(SEQ_CST):
        event.signal()


__all__ = [
    "DEFAULT_SPIN",
    "EventFd",
    "deadline_of",
    "new_eventfd",
    "notify",
    "wait_for",
]
