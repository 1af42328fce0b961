"""Threads and tasks waiting for a channel or a socket to change.

A thread's channel receive (CHAN-RECEIVE: ``WouldBlock``), the asyncio
coroutines of a channel (a send, a receive, a batch either way) and a blocking
socket ``recv`` (POSIX-RECV: ``EAGAIN``) are retried when the object changes.
(A thread's send to a full port or ring does not wait here: it is one of the
kernel's blocked senders, PORT-SEND-BLOCK and CHAN-SEND-BLOCK, and waits as
model/parking.py says.) This module decides *who* retries: each waiting call
is an ``Entry`` in a FIFO per object and per kind (``ROOM`` for senders,
``DATA`` for receivers), and one ``Waiters`` object, registered as the kernel
object's only watcher, runs after every change (under the system lock) and
wakes only the entries that can proceed:

- ``k`` free slots wake the first ``k`` waiting senders (a batch needing ``n``
  slots counts ``n``; FIFO, so a large batch at the head is not overtaken);
  ``k`` held messages wake the first ``k`` waiting receivers. Entries already
  woken and not yet run count against the slots (``pending``), so a slot is
  never promised twice and never left unpromised.
- A close (PORT-CLOSE, CHAN-CLOSE, POSIX-CLOSE) wakes every entry: each retries
  and gets the rule's error.
- A capability that left its handle table (CAP-DROP, RIGHTS-REVOKE, PROC-KILL,
  a move in a message) wakes the entries waiting through it, and only them.

An entry keeps its place in the FIFO across retries (``rearm``), and one that
leaves while woken (success, error, deadline, an exception in its thread) gives
its slots back to the next (``remove``). Draining a full ring with ``n`` waiting
senders thus costs ``O(n)`` wake-ups instead of ``O(n^2)``.

Everything here runs with the system lock held; ``wait_thread`` releases it only
inside ``Condition.wait``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Final, TypeVar

from .state import AT_HANDLE, Cap, KObject
from .state import Channel as KChannel
from .state import Port as KPort

R = TypeVar("R")

#: An entry waits for free slots (a sender) ...
ROOM: Final = 0
#: ... or for held messages (a receiver).
DATA: Final = 1


class Entry:
    """One waiting call: what it waits for, through which capability, and how
    to wake it (a ``Condition.notify`` or an asyncio future's resolver)."""

    __slots__ = ("cap", "kind", "need", "wake", "woken")

    def __init__(
        self, kind: int, need: int, cap: Cap | None, wake: Callable[[], None]
    ) -> None:
        self.kind = kind
        self.need = need
        self.cap = cap
        self.wake = wake
        self.woken = False


def live(cap: Cap) -> bool:
    """The capability is still in its handle table (not dropped, revoked,
    moved or gone with its process)."""
    p = cap.proc
    return cap.where == AT_HANDLE and p is not None and p.handles.get(cap.handle) is cap


def levels(obj: KObject) -> tuple[int, int]:
    """(free slots, held messages) of a port or a channel, as a send and a
    receive would find them now."""
    if type(obj) is KChannel:
        held = obj.write_idx - obj.read_idx
        return obj.capacity - held, held
    assert type(obj) is KPort
    held = len(obj.queue) if obj.queue else 0
    # A message handed off and not yet collected keeps its slot (PORT-HANDOFF).
    return obj.capacity - held - obj.handed, held


class Waiters:
    """The waiting entries of one kernel object; the object's watcher."""

    __slots__ = ("caps", "fifo", "obj", "pending", "wakeups")

    def __init__(self, obj: KObject) -> None:
        self.obj = obj
        self.fifo: tuple[deque[Entry], deque[Entry]] = (deque(), deque())
        self.pending = [0, 0]  # slots / messages promised to woken entries
        self.caps: dict[Cap, int] = {}  # entries per capability they wait through
        self.wakeups = 0  # entries woken so far (a measure, read by tests)

    def __call__(self) -> None:
        """The object changed: wake the entries that can proceed."""
        if self.obj.closed:
            self._wake_all(lambda e: True)
            return
        if self.caps:
            gone = [c for c in self.caps if not live(c)]
            if gone:
                self._wake_all(lambda e: e.cap in gone)
        room, data = levels(self.obj)
        self._wake_fifo(ROOM, room)
        self._wake_fifo(DATA, data)

    def _wake(self, e: Entry) -> None:
        e.woken = True
        self.pending[e.kind] += e.need
        self.wakeups += 1
        e.wake()

    def _wake_all(self, which: Callable[[Entry], bool]) -> None:
        for q in self.fifo:
            for e in q:
                if not e.woken and which(e):
                    self._wake(e)

    def _wake_fifo(self, kind: int, level: int) -> None:
        budget = level - self.pending[kind]
        if budget <= 0:
            return
        for e in self.fifo[kind]:
            if e.woken:
                continue
            if e.need > budget:
                break
            self._wake(e)
            budget -= e.need
            if budget <= 0:
                break


def notify(obj: KObject) -> None:
    """``obj`` changed (a message in or out, a close, a capability of it gone):
    run its watchers, the ``Waiters`` of the calls waiting on it. Every change
    the rules make calls this; they test ``obj.watchers`` first, as most
    objects have none."""
    for cb in obj.watchers or ():
        cb()


def waiters_of(obj: KObject) -> Waiters | None:
    """The object's ``Waiters``, if any entry waits on it."""
    for cb in obj.watchers or ():
        if type(cb) is Waiters:
            return cb
    return None


def register(
    obj: KObject, kind: int, need: int, cap: Cap | None, wake: Callable[[], None]
) -> Entry:
    """A new entry at the back of the object's FIFO for ``kind``."""
    ws = waiters_of(obj)
    if ws is None:
        ws = Waiters(obj)
        if obj.watchers is None:
            obj.watchers = []
        obj.watchers.append(ws)
    e = Entry(kind, need, cap, wake)
    ws.fifo[kind].append(e)
    if cap is not None:
        ws.caps[cap] = ws.caps.get(cap, 0) + 1
    return e


def rearm(obj: KObject, e: Entry) -> None:
    """A woken entry found it could not proceed after all: it waits again, in
    the same place."""
    if e.woken:
        e.woken = False
        ws = waiters_of(obj)
        assert ws is not None
        ws.pending[e.kind] -= e.need


def remove(obj: KObject, e: Entry) -> None:
    """The entry leaves (done, failed, timed out or interrupted); slots promised
    to it go to the next entries."""
    ws = waiters_of(obj)
    assert ws is not None
    ws.fifo[e.kind].remove(e)
    if e.cap is not None:
        n = ws.caps[e.cap] - 1
        if n:
            ws.caps[e.cap] = n
        else:
            del ws.caps[e.cap]
    if e.woken:
        ws.pending[e.kind] -= e.need
        ws()
    if not ws.fifo[0] and not ws.fifo[1]:
        watchers = obj.watchers
        assert watchers is not None
        watchers.remove(ws)
        if not watchers:
            obj.watchers = None


class TimedOut:
    """What ``wait_thread`` returns when the deadline passed first."""

    __slots__ = ()


TIMED_OUT: Final = TimedOut()


def deadline_of(timeout: float | None) -> float | None:
    """The ``time.monotonic()`` deadline of a validated timeout (None: never)."""
    return None if timeout is None else time.monotonic() + timeout


def wait_thread(
    lock: threading.Lock,
    obj: KObject,
    kind: int,
    need: int,
    cap: Cap | None,
    attempt: Callable[[], R],
    blocked: Callable[[R], bool],
    deadline: float | None,
) -> R | TimedOut:
    """Retry ``attempt`` (lock held) each time this thread is woken, until its
    result is not ``blocked``; ``TIMED_OUT`` when ``deadline`` passes first.

    The entry leaves in every case, an exception included (``finally``).
    """
    cond = threading.Condition(lock)
    e = register(obj, kind, need, cap, cond.notify)
    try:
        while True:
            while not e.woken:
                if deadline is None:
                    cond.wait()
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return TIMED_OUT
                cond.wait(min(remaining, threading.TIMEOUT_MAX))
            r = attempt()
            if not blocked(r):
                return r
            rearm(obj, e)
    finally:
        remove(obj, e)


def check_timeout(timeout: float | None) -> float | None:
    """A facade timeout in seconds, validated before anything blocks.

    ``None`` and infinity wait forever. A finite timeout of any size is a real
    deadline (TIME-DEADLINE takes every ``timeout >= 0``); a wait longer than
    the platform's lock timeout (``threading.TIMEOUT_MAX``) is done in pieces.
    Raises ``TypeError`` for a non-number (``bool`` included) and
    ``ValueError`` for a negative or NaN timeout.
    """
    if timeout is None:
        return None
    if type(timeout) not in (int, float):
        raise TypeError(f"timeout must be a number of seconds, not {timeout!r}")
    if not timeout >= 0:
        raise ValueError(f"timeout must be >= 0, not {timeout!r}")
    if timeout == float("inf"):
        return None
    return timeout
