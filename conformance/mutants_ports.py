"""Mutants of ports, messages, filters and timeouts (PORT-*, MSG-*, FILTER-*,
TIME-*): a reordered queue, an off-by-one capacity, a capability leaked by a
failed send or copied by a good one, a hand-off skipped or given to the wrong
waiter, a close that loses messages or waiters, a port whose receivers are
all gone that stays open, a filter that admits one message too many, a
deadline one tick late...
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.spec import Config
from veridian_ipc.spec import IpcError as E
from veridian_ipc.spec import RuleId as R
from veridian_ipc.spec.state import Kind, Port, Waiting
from veridian_ipc.spec.step import MAY_ORPHAN, apply_rule
from veridian_ipc.spec.store import port, proc
from veridian_ipc.vocabulary.names import MAX_INLINE_DATA, MAX_MESSAGE_CAPS, ObjId, Pid
from veridian_ipc.vocabulary.results import Delivered, Err, Ok, Result
from veridian_ipc.vocabulary.rights import MANAGE
from veridian_ipc.vocabulary.syscalls import (
    AdvanceClock,
    Close,
    Drop,
    Operation,
    Receive,
    Resume,
    Send,
    SetFilter,
)

from .mutants_base import Mutant, Refusal


def _without_waiters(m: Mutant, pid: int, op: Operation, obj: ObjId) -> Result:
    """Apply ``op`` as if no receiver waited on port ``obj``; the waiters are
    put back afterwards, none of them woken."""
    waiters = port(m.state, obj).waiters
    return m.apply_with_port(
        pid,
        op,
        obj,
        lambda p: replace(p, waiters=()),
        lambda p: replace(p, waiters=waiters),
    )


class ReceiveNewestFirst(Mutant):
    """Receive takes the newest queued message instead of the oldest."""

    rules = (R.PORT_RECEIVE,)

    def apply(self, pid: int, op: Operation) -> Result:
        obj = self.port_of(pid, op.handle) if isinstance(op, Receive) else None
        if obj is not None and self.running(pid):
            pt = port(self.state, obj)
            if len(pt.queue) >= 2:
                queue = (pt.queue[-1], *pt.queue[:-1])
                self.edit_port(obj, lambda p: replace(p, queue=queue))
        return self.spec_apply(pid, op)


class PortCapacityPlusOne(Refusal[Send]):
    """A port accepts one message more than its capacity."""

    rules = (R.PORT_SEND,)
    refused_op = Send
    refused_with = E.PortFull

    def instead(self, pid: int, op: Send, refusal: Result) -> Result:
        obj = self.live_cap(pid, op.handle, Kind.PORT).obj
        pt = port(self.state, obj)
        if len(pt.queue) != pt.capacity:
            return refusal
        return self.apply_with_port(
            pid,
            op,
            obj,
            lambda p: replace(p, capacity=p.capacity + 1),
            lambda p: replace(p, capacity=p.capacity - 1),
        )


class SendLeaksCapOnFailure(Mutant):
    """A send refused by the port still takes its first capability away."""

    rules = (R.MSG_TRANSFER, R.ERR_ATOMIC)

    PORT_SIDE = (E.PortClosed, E.Filtered, E.RateLimited, E.PortFull)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        failed = isinstance(r, Err) and r.error in self.PORT_SIDE
        if isinstance(op, Send) and failed and op.caps:
            self.spec_apply(pid, Drop(op.caps[0]))
        return r


class SendCopiesCaps(Mutant):
    """Capabilities sent in a message are copied: the sender keeps them."""

    rules = (R.MSG_TRANSFER,)

    def apply(self, pid: int, op: Operation) -> Result:
        if not (isinstance(op, Send) and op.caps and self.running(pid)):
            return self.spec_apply(pid, op)
        kept = [self.cap(pid, h) for h in op.caps]
        r = self.spec_apply(pid, op)
        if isinstance(r, Ok):
            for c in kept:
                assert c is not None
                self.copy_cap(pid, c)
        return r


class Accept65Bytes(Mutant):
    """A message of 65 bytes is accepted (its last byte cut off)."""

    rules = (R.MSG_LIMITS,)

    def apply(self, pid: int, op: Operation) -> Result:
        if isinstance(op, Send) and len(op.data) == MAX_INLINE_DATA + 1:
            op = replace(op, data=op.data[:MAX_INLINE_DATA])
        return self.spec_apply(pid, op)


class FiveCaps(Mutant):
    """A message may carry five capabilities (the fifth is dropped)."""

    rules = (R.MSG_LIMITS,)

    def apply(self, pid: int, op: Operation) -> Result:
        if isinstance(op, Send) and len(op.caps) == MAX_MESSAGE_CAPS + 1:
            op = replace(op, caps=op.caps[:MAX_MESSAGE_CAPS])
        return self.spec_apply(pid, op)


class SenderIsReceiver(Mutant):
    """A delivered message names the receiver as its sender."""

    rules = (R.MSG_SENDER,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(r, Ok) and isinstance(r.value, Delivered):
            return Ok(replace(r.value, sender=pid))
        return r


class OversizeBeforeHandle(Mutant):
    """Send checks the data size before the handle (wrong error precedence)."""

    rules = (R.ERR_PRECEDENCE, R.PORT_SEND)

    def apply(self, pid: int, op: Operation) -> Result:
        if (
            isinstance(op, Send)
            and self.running(pid)
            and len(op.data) > MAX_INLINE_DATA
        ):
            return Err(E.MessageTooLarge)
        return self.spec_apply(pid, op)


class NoHandoff(Mutant):
    """A send queues its message even when a receiver waits."""

    rules = (R.PORT_HANDOFF,)

    def apply(self, pid: int, op: Operation) -> Result:
        obj = self.port_of(pid, op.handle) if isinstance(op, Send) else None
        if obj is None or not self.running(pid):
            return self.spec_apply(pid, op)
        waiters = port(self.state, obj).waiters
        if not waiters:
            return self.spec_apply(pid, op)
        return _without_waiters(self, pid, op, obj)


class HandoffToLastWaiter(Mutant):
    """A hand-off goes to the receiver that has waited least (LIFO)."""

    rules = (R.PORT_HANDOFF,)

    def apply(self, pid: int, op: Operation) -> Result:
        obj = self.port_of(pid, op.handle) if isinstance(op, Send) else None
        if obj is None or not self.running(pid):
            return self.spec_apply(pid, op)
        order = port(self.state, obj).waiters
        if len(order) < 2:
            return self.spec_apply(pid, op)
        return self.apply_with_port(
            pid,
            op,
            obj,
            lambda p: replace(p, waiters=order[::-1]),
            lambda p: replace(p, waiters=tuple(w for w in order if w in p.waiters)),
        )


class CloseDropsQueue(Mutant):
    """Closing a port discards its queued messages."""

    rules = (R.PORT_CLOSE,)

    def apply(self, pid: int, op: Operation) -> Result:
        obj = self.port_of(pid, op.handle) if isinstance(op, Close) else None
        r = self.spec_apply(pid, op)
        if obj is not None and isinstance(r, Ok):
            self.edit_port(obj, lambda p: replace(p, queue=()))
        return r


class CloseLeavesWaiters(Mutant):
    """Closing a port does not wake its waiting receivers."""

    rules = (R.PORT_CLOSE,)

    def apply(self, pid: int, op: Operation) -> Result:
        obj = self.port_of(pid, op.handle) if isinstance(op, Close) else None
        if obj is None or not self.running(pid):
            return self.spec_apply(pid, op)
        return _without_waiters(self, pid, op, obj)


class TryReceiveBlocks(Refusal[Receive]):
    """A receive with timeout 0 on an empty port blocks instead of failing."""

    rules = (R.PORT_RECEIVE,)
    refused_op = Receive
    refused_with = E.WouldBlock

    def instead(self, pid: int, op: Receive, refusal: Result) -> Result:
        return self.spec_apply(pid, Receive(op.handle, None))


class ResumeTimeoutAsClosed(Refusal[Resume]):
    """Resume reports a timed-out receive as PortClosed."""

    rules = (R.PORT_RESUME,)
    refused_op = Resume
    refused_with = E.Timeout

    def instead(self, pid: int, op: Resume, refusal: Result) -> Result:
        return Err(E.PortClosed)


class DeadlinePlusOne(Mutant):
    """A blocked receive's deadline is one tick late."""

    rules = (R.TIME_DEADLINE,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, Receive) and isinstance(r, Ok) and op.timeout:
            st = proc(self.state, Pid(pid)).status
            if isinstance(st, Waiting) and st.deadline is not None:
                late = replace(st, deadline=st.deadline + 1)
                self.edit_proc(pid, lambda p: replace(p, status=late))
        return r


class ClockNoExpiry(Mutant):
    """Advancing the clock does not fire deadlines."""

    rules = (R.TIME_ADVANCE,)

    def apply(self, pid: int, op: Operation) -> Result:
        if isinstance(op, AdvanceClock) and type(op.ticks) is int and op.ticks >= 0:
            self.state = replace(self.state, clock=self.state.clock + op.ticks)
            return Ok(self.state.clock)
        return self.spec_apply(pid, op)


class RateLimitOneExtra(Refusal[Send]):
    """A rate-limited port admits one extra message per refill period."""

    rules = (R.FILTER_RATE,)
    refused_op = Send
    refused_with = E.RateLimited

    def __init__(self, processes: int, config: Config) -> None:
        super().__init__(processes, config)
        self.used: set[tuple[int, int]] = set()

    def instead(self, pid: int, op: Send, refusal: Result) -> Result:
        obj = self.live_cap(pid, op.handle, Kind.PORT).obj
        saved = port(self.state, obj).filter
        assert saved is not None
        assert saved.rate is not None
        window = (obj, self.state.clock // saved.rate.period)
        if window in self.used:
            return refusal
        self.used.add(window)
        fuller = replace(saved, tokens=1, stamp=self.state.clock)
        self.edit_port(obj, lambda p: replace(p, filter=fuller))
        r = self.spec_apply(pid, op)
        if isinstance(r, Err):
            self.edit_port(obj, lambda p: replace(p, filter=saved))
        return r


class FilterSizeOffByOne(Refusal[Send]):
    """A filter admits data one byte over its maximum size."""

    rules = (R.FILTER_CHECK,)
    refused_op = Send
    refused_with = E.MessageTooLarge

    def instead(self, pid: int, op: Send, refusal: Result) -> Result:
        obj = self.port_of(pid, op.handle)
        f = None if obj is None else port(self.state, obj).filter
        size = None if f is None else f.max_size
        if obj is None or size is None or len(op.data) != size + 1:
            return refusal

        def resize(p: Port, by: int) -> Port:
            assert p.filter is not None
            return replace(p, filter=replace(p.filter, max_size=size + by))

        return self.apply_with_port(
            pid, op, obj, lambda p: resize(p, 1), lambda p: resize(p, 0)
        )


class FilterWithoutManage(Refusal[SetFilter]):
    """Setting a filter needs no MANAGE right."""

    rules = (R.FILTER_SET,)
    refused_op = SetFilter
    refused_with = E.InsufficientRights

    def instead(self, pid: int, op: SetFilter, refusal: Result) -> Result:
        return self.apply_with_right(pid, op, Kind.PORT, MANAGE)


class OrphanPortStaysOpen(Mutant):
    """A port nobody can receive from any more (its last RECEIVE dropped,
    killed with its process, or sent into a cycle) stays open with its queue,
    so its senders get ``Ok`` until it is full, then ``PortFull``, never
    ``PortClosed``: the step's rule runs, the abandoning (PORT-CLOSE,
    spec/orphans.py) does not."""

    rules = (R.PORT_CLOSE, R.PROC_KILL, R.CAP_DROP)

    def apply(self, pid: int, op: Operation) -> Result:
        if type(op) not in MAY_ORPHAN:
            return self.spec_apply(pid, op)
        self.state, r = apply_rule(self.state, pid, op)
        return r


__all__ = [
    "Accept65Bytes",
    "ClockNoExpiry",
    "CloseDropsQueue",
    "CloseLeavesWaiters",
    "DeadlinePlusOne",
    "FilterSizeOffByOne",
    "FilterWithoutManage",
    "FiveCaps",
    "HandoffToLastWaiter",
    "NoHandoff",
    "OrphanPortStaysOpen",
    "OversizeBeforeHandle",
    "PortCapacityPlusOne",
    "RateLimitOneExtra",
    "ReceiveNewestFirst",
    "ResumeTimeoutAsClosed",
    "SendCopiesCaps",
    "SendLeaksCapOnFailure",
    "SenderIsReceiver",
    "TryReceiveBlocks",
]
