"""Timeouts (group "timeouts"): the logical clock and receive deadlines.

Seed section "Timeout Support": ``port_receive_timeout`` computes a deadline
``now + timeout`` and fails with ``Timeout`` once ``now >= deadline``. The spec
has no real time: a logical clock (``KernelState.clock``, in ticks) that only
``AdvanceClock`` moves (TIME-ADVANCE). A receive that blocks with timeout ``t``
gets the deadline ``clock + t`` (PORT-RECEIVE), and so does a send that blocks
on a full port or ring (PORT-SEND-BLOCK, CHAN-SEND-BLOCK); when the clock
reaches it, the receive or send ends with ``Timeout`` (TIME-DEADLINE). Rate
limits (FILTER-RATE) use the same clock. An implementation maps ticks to real
time (the model: a monotonic clock) or lets a test drive the clock, as the
conformance suite does.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.vocabulary._registry import rule
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.results import Err, Ok
from veridian_ipc.vocabulary.syscalls import AdvanceClock

from .state import KernelState, Sending, Waiting
from .store import Step, fail, wake


@rule(RuleId.TIME_ADVANCE)
def advance_clock(s: KernelState, op: AdvanceClock) -> Step:
    """Time passes: the clock moves forward by ``ticks``, then deadlines fire.

    An environment operation (no process issues it). ``ticks`` 0 is allowed and
    changes nothing. Result: the new clock value.

    Errors, in precedence order:

    - ``InvalidArgument``: negative ``ticks``.
    """
    if op.ticks < 0:
        return fail(s, IpcError.InvalidArgument)
    s = replace(s, clock=s.clock + op.ticks)
    return expire(s), Ok(s.clock)


@rule(RuleId.TIME_DEADLINE)
def expire(s: KernelState) -> KernelState:
    """Every blocked receive or send whose deadline the clock has reached ends
    with ``Timeout``.

    A waiting process with ``deadline <= clock`` is woken with ``Timeout`` and
    taken off its port's waiter queue, or off its port's or channel's blocked
    senders (PORT-SEND-BLOCK, CHAN-SEND-BLOCK); PORT-RESUME then reports it.
    Several expire in pid order. A deadline is
    always later than the tick at which the receive blocked, so a receive with a
    timeout never times out before time has passed; a message that arrives
    before the clock reaches the deadline is delivered (PORT-HANDOFF).
    """
    expired: list[Pid] = [
        pid
        for pid, p in s.processes.items()
        if isinstance(p.status, Waiting | Sending)
        and p.status.deadline is not None
        and p.status.deadline <= s.clock
    ]
    for pid in sorted(expired):
        s = wake(s, pid, Err(IpcError.Timeout))
    return s
