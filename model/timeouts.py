"""The logical clock and receive deadlines (TIME-ADVANCE, TIME-DEADLINE)."""

from __future__ import annotations

from veridian_ipc.vocabulary.results import Ok, Result
from veridian_ipc.vocabulary.syscalls import AdvanceClock

from .blocking import Sender, wake_sender
from .state import State
from .store import E_INVALID_ARGUMENT, E_TIMEOUT, wake


def advance_clock(st: State, op: AdvanceClock) -> Result:
    """TIME-ADVANCE: the clock moves forward, then deadlines fire.

    Errors, in precedence order: ``InvalidArgument`` (negative ticks).
    """
    if op.ticks < 0:
        return E_INVALID_ARGUMENT
    advance_to(st, st.clock + op.ticks)
    return Ok(st.clock)


def advance_to(st: State, now: int) -> None:
    """Set the clock to ``now`` (not earlier than it is) and fire deadlines."""
    if now > st.clock:
        st.clock = now
    if st.timed:
        expire(st)


def expire(st: State) -> None:
    """TIME-DEADLINE: every receive or send whose deadline the clock reached
    times out."""
    now = st.clock
    due = [w for w in st.timed if w.deadline is not None and w.deadline <= now]
    due.sort(key=lambda w: w.proc.pid)
    for w in due:
        if isinstance(w, Sender):  # a blocked send (PORT-SEND-BLOCK)
            wake_sender(st, w, E_TIMEOUT)
        else:
            wake(st, w, E_TIMEOUT)
