"""Blocked senders (PORT-SEND-BLOCK, CHAN-SEND-BLOCK), as spec/blocking.py.

A ``Send`` or ``ChannelSend`` with a non-zero ``timeout`` that finds no room
(every other check passed) blocks its process: a ``Sender`` (a ``Waiter``
whose ``port`` is None: it is on no receive queue) joins the back of the
object's ``senders`` FIFO and the process is ``SENDING``. Nothing is queued
and no capability moves while it waits. After every operation
``Kernel.apply`` calls ``serve``: each port or channel with blocked senders
and a free slot attempts its first sender's send again, as issued with
``timeout`` 0, and wakes it with the outcome, until there is no room or no
sender. A deadline (TIME-DEADLINE), a close (PORT-CLOSE, CHAN-CLOSE), a revoke
of the capability it sends through (RIGHTS-REVOKE) wake it too; a kill
withdraws it (PROC-KILL). ``Resume`` collects the outcome (PORT-RESUME).

The threaded facade blocks its sends here too (model/parking.py): a
``Sender`` with a ``notify`` callback is one OS thread's blocked call. It
waits in the same FIFO and is served, timed out, closed and revoked by the
same code; only, as for the facade's parked receives (``ports.block``), the
process's status is left alone (its other OS threads keep acting), the
thread reads the outcome from ``result`` when ``notify`` wakes it, a kill
ends it with ``NoSuchProcess`` (model/processes.py) and an exception in the
thread withdraws it (``cancel``).

The kernel is serialised by the facade's lock: everything here runs with it
held.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING

from veridian_ipc.vocabulary.results import BLOCKED, Ok, Result
from veridian_ipc.vocabulary.syscalls import ChannelSend, Send

from .state import RUNNING, SENDING, Cap, Channel, KObject, Port, Process, State, Waiter
from .store import finish

if TYPE_CHECKING:
    from collections.abc import Callable


class Sender(Waiter):
    """One process blocked sending ``op`` to ``obj`` through ``cap``."""

    __slots__ = ("obj", "op")

    def __init__(
        self,
        proc: Process,
        obj: Port | Channel,
        cap: Cap,
        op: Send | ChannelSend,
        deadline: int | None,
        notify: Callable[[], None] | None = None,
    ) -> None:
        self.proc = proc
        self.port = None  # on no receive queue
        self.cap = cap
        self.deadline = deadline
        self.result = None
        self.notify = notify  # the facade's: run when the send ends
        self.raw = False
        self.handed = None
        self.obj: Port | Channel | None = obj
        self.op = op


BLOCKED_OK: Result = Ok(BLOCKED)


def block(
    st: State,
    p: Process,
    obj: Port | Channel,
    cap: Cap,
    op: Send | ChannelSend,
    notify: Callable[[], None] | None = None,
) -> Result:
    """PORT-SEND-BLOCK / CHAN-SEND-BLOCK: ``p`` waits for room on ``obj``.

    With ``notify`` the sender is the threaded facade's (the module says how
    it differs); ``parked`` then names it."""
    deadline = None if op.timeout is None else st.clock + op.timeout
    w = Sender(p, obj, cap, op, deadline, notify)
    if obj.senders is None:
        obj.senders = deque()
    obj.senders.append(w)
    st.sending[obj] = None
    if deadline is not None:
        st.timed[w] = None
    if notify is None:
        p.status = SENDING
        p.waiter = w
    return BLOCKED_OK


def parked(obj: KObject) -> Sender:
    """The facade sender that ``block`` has just put at the back of ``obj``'s
    blocked senders (lock held since)."""
    assert obj.senders
    w = obj.senders[-1]
    assert isinstance(w, Sender)
    assert w.notify is not None
    return w


def cancel(st: State, w: Sender) -> None:
    """The thread behind the facade sender ``w`` stopped waiting (an
    exception: a signal handler's, ``KeyboardInterrupt``) before its send
    ended: it leaves the FIFO. Nothing was queued and no capability moved."""
    _leave(st, w)
    if w.deadline is not None:
        st.timed.pop(w, None)
    w.cap = None


def _leave(st: State, w: Sender) -> None:
    obj = w.obj
    assert obj is not None
    senders = obj.senders
    assert senders is not None
    senders.remove(w)
    if not senders:
        obj.senders = None
        st.sending.pop(obj, None)
    w.obj = None


def wake_sender(st: State, w: Sender, result: Result) -> None:
    """End the blocked send ``w`` with ``result`` (PORT-RESUME collects it)."""
    _leave(st, w)
    finish(st, w, result)


def withdraw(st: State, p: Process) -> None:
    """PROC-KILL: the blocked sender ``p`` leaves its FIFO; nothing was queued."""
    w = p.waiter
    if p.status != SENDING or not isinstance(w, Sender):
        return
    _leave(st, w)
    if w.deadline is not None:
        st.timed.pop(w, None)
    p.waiter = None
    p.status = RUNNING


def wake_all(st: State, obj: KObject, result: Result) -> None:
    """PORT-CLOSE, CHAN-CLOSE: every blocked sender of ``obj`` ends."""
    for w in list(obj.senders or ()):
        assert isinstance(w, Sender)
        wake_sender(st, w, result)


def wake_through(st: State, obj: KObject, cap: Cap, result: Result) -> None:
    """RIGHTS-REVOKE: the blocked senders sending through ``cap`` end."""
    for w in [w for w in obj.senders or () if w.cap is cap]:
        assert isinstance(w, Sender)
        wake_sender(st, w, result)


def has_room(obj: KObject) -> bool:
    """``obj`` is open with a free slot for one message."""
    if obj.closed:
        return False
    if type(obj) is Channel:
        return obj.write_idx - obj.read_idx < obj.capacity
    assert type(obj) is Port
    return (len(obj.queue) if obj.queue else 0) + obj.handed < obj.capacity


def serve(
    st: State, attempt: Callable[[State, Process, Send | ChannelSend], Result]
) -> None:
    """Serve every port and channel with blocked senders and room, each in
    FIFO order: the first sender's send is attempted (``attempt``, its rule)
    with ``timeout`` 0 and its outcome wakes it."""
    for obj in sorted(st.sending, key=lambda o: o.id):
        while obj.senders and has_room(obj):
            w = obj.senders[0]
            assert isinstance(w, Sender)
            result = attempt(st, w.proc, replace(w.op, timeout=0))
            wake_sender(st, w, result)


__all__ = [
    "Sender",
    "block",
    "cancel",
    "has_room",
    "parked",
    "serve",
    "wake_all",
    "wake_sender",
    "wake_through",
    "withdraw",
]
