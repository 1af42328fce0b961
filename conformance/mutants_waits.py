"""Mutants of waiting, waking and time (PORT-HANDOFF, PORT-RECEIVE,
PORT-RESUME, TIME-DEADLINE, FILTER-RATE): a hand-off that wakes every waiter,
a closed port that refuses to be drained, a wake-up slot never cleared, a
deadline that fires a tick late or one receiver at a time, a token bucket
that refills every tick or a tick late.

Each needs a state a short random walk seldom builds: two receivers blocked
on one port, a receiver that blocks twice, the clock landing exactly on a
deadline or a refill, a closed port that still holds messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from veridian_ipc.spec import Config, step
from veridian_ipc.spec import IpcError as E
from veridian_ipc.spec import RuleId as R
from veridian_ipc.spec.state import Port, Process, Waiting, Woken
from veridian_ipc.spec.store import port, wake
from veridian_ipc.vocabulary.names import ObjId, Pid
from veridian_ipc.vocabulary.results import Err, Ok, Result
from veridian_ipc.vocabulary.syscalls import (
    AdvanceClock,
    Kill,
    Operation,
    Receive,
    Resume,
    Send,
    SockSend,
    TransferBuffer,
)

from .mutants_base import Mutant, PortEdit, Refusal

#: The operations that offer a message to a port (and so take a token).
OFFERS = (Send, TransferBuffer, SockSend)


class HandoffWakesAll(Mutant):
    """A hand-off wakes every receiver waiting on the port: the first gets the
    message, the others a spurious ``WouldBlock`` (a broadcast wake-up)."""

    rules = (R.PORT_HANDOFF,)

    def apply(self, pid: int, op: Operation) -> Result:
        before = self.state
        r = self.spec_apply(pid, op)
        for receiver, _, direct in self.deliveries(before, pid, op, r):
            if direct:
                continue
            st = before.processes[Pid(receiver)].status
            assert isinstance(st, Waiting)
            for other in port(self.state, st.port).waiters:
                self.state = wake(self.state, other, Err(E.WouldBlock))
        return r


class ClosedPortNoDrain(Mutant):
    """A receive on a closed port fails with ``PortClosed`` even while
    messages are still queued (the closed flag checked before the queue):
    what was sent before the close is never delivered."""

    rules = (R.PORT_RECEIVE, R.PORT_CLOSE)

    def apply(self, pid: int, op: Operation) -> Result:
        obj = self.port_of(pid, op.handle) if isinstance(op, Receive) else None
        if obj is not None and self.running(pid) and port(self.state, obj).closed:
            _, would = step(self.state, pid, op)
            if isinstance(would, Ok):
                return Err(E.PortClosed)
        return self.spec_apply(pid, op)


class ResumeFirstResult(Mutant):
    """A process's wake-up slot is filled once and never cleared: every
    ``Resume`` returns the outcome of the first receive it collected."""

    rules = (R.PORT_RESUME,)

    def __init__(self, processes: int, config: Config) -> None:
        super().__init__(processes, config)
        self.slot: dict[int, Result] = {}

    def apply(self, pid: int, op: Operation) -> Result:
        p = self.state.processes.get(Pid(pid))
        woken = isinstance(op, Resume) and p is not None and isinstance(p.status, Woken)
        r = self.spec_apply(pid, op)
        if woken:
            return self.slot.setdefault(pid, r)
        return r


class ExpiryStrict(Mutant):
    """A deadline fires only once the clock has passed it (``<`` for
    ``<=``): a receive whose deadline the clock reaches exactly stays blocked
    one advance longer."""

    rules = (R.TIME_DEADLINE,)

    def apply(self, pid: int, op: Operation) -> Result:
        if not (isinstance(op, AdvanceClock) and type(op.ticks) is int):
            return self.spec_apply(pid, op)
        now = self.state.clock + op.ticks
        exact = _waiting(self, lambda d: d == now)
        return _with_deadlines(self, pid, op, exact, now + 1)


class AdvanceExpiresOne(Mutant):
    """An advance of the clock times out one receive only, the expired one of
    lowest pid (one timer entry popped per tick); the others stay blocked
    until the clock is advanced again."""

    rules = (R.TIME_DEADLINE, R.TIME_ADVANCE)

    def apply(self, pid: int, op: Operation) -> Result:
        if not (isinstance(op, AdvanceClock) and type(op.ticks) is int):
            return self.spec_apply(pid, op)
        now = self.state.clock + op.ticks
        expired = _waiting(self, lambda d: d <= now)
        return _with_deadlines(self, pid, op, expired[1:], None)


def _waiting(m: Mutant, due: Callable[[int], bool]) -> list[tuple[int, int]]:
    """The waiting processes whose deadline satisfies ``due``, by pid, with
    their deadlines."""
    out = []
    for q, p in sorted(m.state.processes.items()):
        st = p.status
        if isinstance(st, Waiting) and st.deadline is not None and due(st.deadline):
            out.append((int(q), st.deadline))
    return out


def _with_deadlines(
    m: Mutant,
    pid: int,
    op: Operation,
    held: list[tuple[int, int]],
    during: int | None,
) -> Result:
    """Apply ``op`` with the deadline of each process of ``held`` set to
    ``during``; each one still waiting afterwards gets its deadline back."""
    for q, _ in held:
        _set_deadline(m, q, during)
    r = m.spec_apply(pid, op)
    for q, deadline in held:
        if isinstance(m.state.processes[Pid(q)].status, Waiting):
            _set_deadline(m, q, deadline)
    return r


def _set_deadline(m: Mutant, pid: int, deadline: int | None) -> None:
    st = m.state.processes[Pid(pid)].status
    assert isinstance(st, Waiting)
    m.edit_proc(pid, lambda p: replace(p, status=replace(st, deadline=deadline)))


class RateRefillEveryTick(Mutant):
    """A token bucket refills ``refill`` tokens every tick, whatever its
    period (the elapsed time not divided by the period): with a period of 2
    or more, a drained port admits again too soon."""

    rules = (R.FILTER_RATE,)

    def apply(self, pid: int, op: Operation) -> Result:
        if not isinstance(op, OFFERS):
            return self.spec_apply(pid, op)
        limited = _rate_limited(self)
        for obj in limited:
            self.edit_port(obj, _period(1))
        r = self.spec_apply(pid, op)
        for obj, period in limited.items():
            self.edit_port(obj, _period(period))
        return r


class RateRefillLate(Mutant):
    """A token bucket counts a period as elapsed one tick after it has (an
    off-by-one in the elapsed time): a drained port offered a message exactly
    one period later refuses it."""

    rules = (R.FILTER_RATE,)

    def apply(self, pid: int, op: Operation) -> Result:
        if not (isinstance(op, OFFERS) and _rate_limited(self)):
            return self.spec_apply(pid, op)
        now = self.state.clock
        self.state = replace(self.state, clock=now - 1)
        r = self.spec_apply(pid, op)
        self.state = replace(self.state, clock=now)
        return r


def _rate_limited(m: Mutant) -> dict[ObjId, int]:
    """Every rate-limited port, with its period."""
    out: dict[ObjId, int] = {}
    for obj, o in m.state.objects.items():
        if isinstance(o, Port) and o.filter is not None and o.filter.rate:
            out[obj] = o.filter.rate.period
    return out


def _period(period: int) -> PortEdit:
    """The edit that sets a rate-limited port's refill period."""

    def edit(p: Port) -> Port:
        assert p.filter is not None
        assert p.filter.rate is not None
        rate = replace(p.filter.rate, period=period)
        return replace(p, filter=replace(p.filter, rate=rate))

    return edit


def _handed_from(m: Mutant, obj: ObjId) -> list[Pid]:
    """The processes holding an uncollected hand-off from port ``obj``."""
    return [
        pid
        for pid, p in m.state.processes.items()
        if isinstance(p.status, Woken) and p.status.handed == obj
    ]


def _set_handed(m: Mutant, pids: list[Pid], obj: ObjId | None) -> None:
    """Mark each of ``pids`` (woken) as holding a hand-off from ``obj``."""

    def edit(p: Process) -> Process:
        assert isinstance(p.status, Woken)
        return replace(p, status=replace(p.status, handed=obj))

    for pid in pids:
        m.edit_proc(pid, edit)


class KilledReceiverLosesHandoff(Mutant):
    """A process killed after a hand-off woke it and before its ``Resume``
    takes the message with it: the sender got ``Ok``, and the message and its
    capabilities are gone (PORT-HANDOFF's give-back forgotten)."""

    rules = (R.PORT_HANDOFF, R.PROC_KILL)

    def apply(self, pid: int, op: Operation) -> Result:
        if isinstance(op, Kill) and type(op.target) is int:
            p = self.state.processes.get(Pid(op.target))
            if p is not None and isinstance(p.status, Woken) and p.status.handed:
                _set_handed(self, [Pid(op.target)], None)
        return self.spec_apply(pid, op)


class HandoffFreesSlot(Refusal[Send]):
    """A message handed off frees its slot at once: a send finds room while
    uncollected hand-offs fill the port (the queue alone is counted), so the
    port holds more than its capacity once they are collected."""

    rules = (R.PORT_SEND, R.PORT_HANDOFF)
    refused_op = Send
    refused_with = E.PortFull

    def instead(self, pid: int, op: Send, refusal: Result) -> Result:
        obj = self.port_of(pid, op.handle)
        assert obj is not None
        holders = _handed_from(self, obj)
        if not holders:
            return refusal
        _set_handed(self, holders, None)
        r = self.spec_apply(pid, op)
        _set_handed(self, holders, obj)
        return r


__all__ = [
    "OFFERS",
    "AdvanceExpiresOne",
    "ClosedPortNoDrain",
    "ExpiryStrict",
    "HandoffFreesSlot",
    "HandoffWakesAll",
    "KilledReceiverLosesHandoff",
    "RateRefillEveryTick",
    "RateRefillLate",
    "ResumeFirstResult",
]
