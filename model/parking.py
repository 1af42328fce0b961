"""Facade threads blocked in a send, parked in the kernel's blocked senders.

A ``Port.send`` that finds the port full, or a ``Channel.send_wait`` that
finds the ring full, with a timeout other than 0, enters the kernel with its
timeout: the rule itself (PORT-SEND, CHAN-SEND) blocks it, so the kernel
records a blocked sender exactly as for a process that issued ``Send`` or
``ChannelSend`` with a timeout (PORT-SEND-BLOCK, CHAN-SEND-BLOCK,
model/blocking.py): at the back of the object's FIFO of blocked senders,
with the deadline ``clock + timeout``. The calling thread then parks on a
condition variable over the system's lock, and only the kernel ends the
wait, notifying the condition when it does:

- *served*: room freed and it was the first blocked sender; its send,
  attempted again as issued, was queued or handed off (``Ok(None)``) or met
  that attempt's error (a carried capability revoked meanwhile:
  ``InvalidCapability``; a filter: ``Filtered``, ``RateLimited`` ...);
- ``Timeout``: the deadline passed (TIME-DEADLINE);
- ``PortClosed``: the port or channel was closed, or abandoned when nobody
  could receive from it any more (PORT-CLOSE, CHAN-CLOSE);
- ``InvalidCapability``: the capability it sends through left its table
  (RIGHTS-REVOKE, a drop or a move by another thread);
- ``NoSuchProcess``: its process was killed (PROC-KILL).

The thread then takes the outcome as ``Resume`` would (PORT-RESUME). So the
order in which blocked threads proceed, and what a close, a revoke, a
deadline or a kill does to them, are the spec's rules run by the kernel; the
facade only waits.

*Time.* On the monotonic clock (``System(clock="monotonic")``) the timeout
is in microsecond ticks and the thread sleeps until the kernel's deadline;
it then brings the kernel's clock up to now, which fires the deadline
(TIME-DEADLINE): the timeout too is the kernel's. On the logical clock the
deadline passes when ``System.advance_clock`` moves the clock past it (a
timeout is at least one tick).

*Differences from a process's blocked send*, the same as for the facade's
parked receives (``ports.block``): the process's status stays running,
since a facade process may act from several OS threads and only the calling
one waits; and an exception raised in the thread while it waits (a signal
handler's, ``KeyboardInterrupt``) withdraws the send if it has not ended
(nothing was queued, no capability moved) and propagates.
"""

from __future__ import annotations

import threading
from threading import TIMEOUT_MAX
from typing import TYPE_CHECKING, Final

from veridian_ipc.vocabulary.results import Result
from veridian_ipc.vocabulary.syscalls import ChannelSend, Send

from .blocking import BLOCKED_OK, Sender, cancel, parked
from .channels import channel_send
from .kernel import settle
from .ports import send
from .state import Message
from .state import Process as KProcess

if TYPE_CHECKING:
    from .api import System

#: Ticks per second of the monotonic clock (one tick is a microsecond).
TICKS_PER_SECOND: Final = 1_000_000


def timeout_ticks(system: System, timeout: float | None) -> int | None:
    """A validated facade timeout (seconds, not 0) as the operation's
    ``timeout`` in clock ticks: None waits forever, anything else is at
    least one tick."""
    return None if timeout is None else max(1, system.ticks(timeout))


def send_parked(system: System, p: KProcess, op: Send | ChannelSend) -> Result:
    """Send ``op`` (its ``timeout`` not 0) for ``p`` through its rule, and if
    the rule blocks it, wait until the kernel ends the send: its outcome.

    Called with the system's lock held, which is released only while the
    thread waits and is held again on return.
    """
    st = system.kernel.state
    system._sync_clock()  # the deadline counts from now (TIME-DEADLINE)
    cond = threading.Condition(system.lock)
    if type(op) is Send:
        result = send(st, p, op, cond.notify)
    else:
        assert type(op) is ChannelSend
        result = channel_send(st, p, op, cond.notify)
    blocked = result is BLOCKED_OK
    w = parked(p.handles[op.handle].obj) if blocked else None
    settle(st)
    if w is None:
        return result
    try:
        _wait(system, cond, w)
    except BaseException:
        if w.result is None:
            cancel(system.kernel.state, w)
        raise
    outcome = w.result
    assert outcome is not None
    assert not isinstance(outcome, Message)  # a sender's outcome is a Result
    return outcome


def _wait(system: System, cond: threading.Condition, w: Sender) -> None:
    """Park until the kernel ends the send ``w`` (``w.result`` set): woken by
    ``cond``, which the kernel notifies when it does, or, on the monotonic
    clock, when the kernel's deadline is due (lock held)."""
    while w.result is None:
        if w.deadline is None or not system.realtime:
            cond.wait()
            continue
        left = w.deadline - system.now()
        if left > 0:
            cond.wait(min(left / TICKS_PER_SECOND, TIMEOUT_MAX))
            continue
        system._sync_clock()  # the clock reaches the deadline: it fires
        settle(system.kernel.state)
        assert w.result is not None, "a due deadline ends the send"


__all__ = ["TICKS_PER_SECOND", "send_parked", "timeout_ticks"]
