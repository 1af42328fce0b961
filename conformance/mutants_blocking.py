"""Mutants of blocked senders (PORT-SEND-BLOCK, CHAN-SEND-BLOCK): senders
served last-come first, deadlines that never end a blocked send, a close
that leaves its blocked senders waiting.

Each needs a state a short random walk seldom builds: two senders blocked on
one full port or ring, a blocked send with a deadline and the clock moved
past it, a close while a sender waits (``generation.flows_block`` builds
them).
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.spec import RuleId as R
from veridian_ipc.spec.state import Channel, KernelState, Port, Sending
from veridian_ipc.vocabulary.names import ObjId, Pid
from veridian_ipc.vocabulary.results import Result
from veridian_ipc.vocabulary.syscalls import AdvanceClock, Close, Operation

from .mutants_base import Mutant


def _reversed_senders(s: KernelState, last: int | None = None) -> KernelState:
    """``s`` with every port's and channel's blocked senders in reverse,
    ``last`` (a sender that just blocked) kept at the back."""
    objects = s.objects
    for obj, o in s.objects.items():
        if isinstance(o, Port | Channel) and len(o.senders) > 1:
            rest = tuple(q for q in o.senders if q != last)[::-1]
            tail = (o.senders[-1],) if o.senders[-1] == last else ()
            objects = objects.set(obj, replace(o, senders=rest + tail))
    return replace(s, objects=objects)


class BlockedSendersLifo(Mutant):
    """Blocked senders served as a stack: when room frees, the sender that
    blocked last goes first (LIFO for FIFO)."""

    rules = (R.PORT_SEND_BLOCK, R.CHAN_SEND_BLOCK)

    def apply(self, pid: int, op: Operation) -> Result:
        self.state = _reversed_senders(self.state)
        r = self.spec_apply(pid, op)
        self.state = _reversed_senders(self.state, pid)
        return r


class SenderDeadlineIgnored(Mutant):
    """Deadlines end blocked receives only: a blocked send with a timeout
    waits until room frees, however far the clock moves."""

    rules = (R.PORT_SEND_BLOCK, R.TIME_DEADLINE)

    def apply(self, pid: int, op: Operation) -> Result:
        if not isinstance(op, AdvanceClock):
            return self.spec_apply(pid, op)
        kept = {
            q: p.status
            for q, p in self.state.processes.items()
            if isinstance(p.status, Sending) and p.status.deadline is not None
        }
        procs = self.state.processes
        for q, st in kept.items():
            procs = procs.set(q, replace(procs[q], status=replace(st, deadline=None)))
        self.state = replace(self.state, processes=procs)
        r = self.spec_apply(pid, op)
        procs = self.state.processes
        for q, st in kept.items():
            p = procs.get(q)
            if p is not None and isinstance(p.status, Sending):
                procs = procs.set(q, replace(p, status=st))
        self.state = replace(self.state, processes=procs)
        return r


class CloseLeavesSenders(Mutant):
    """A close wakes the receivers waiting on a port but not its blocked
    senders: they stay blocked on a closed port or ring for ever."""

    rules = (R.PORT_SEND_BLOCK, R.PORT_CLOSE, R.CHAN_CLOSE)

    def apply(self, pid: int, op: Operation) -> Result:
        if not isinstance(op, Close):
            return self.spec_apply(pid, op)
        hidden: dict[ObjId, tuple[Pid, ...]] = {}
        objects = self.state.objects
        for obj, o in self.state.objects.items():
            if isinstance(o, Port | Channel) and o.senders:
                hidden[obj] = o.senders
                objects = objects.set(obj, replace(o, senders=()))
        self.state = replace(self.state, objects=objects)
        r = self.spec_apply(pid, op)
        objects = self.state.objects
        for obj, senders in hidden.items():
            after = objects.get(obj)
            if isinstance(after, Port | Channel):
                objects = objects.set(obj, replace(after, senders=senders))
        self.state = replace(self.state, objects=objects)
        return r


__all__ = ["BlockedSendersLifo", "CloseLeavesSenders", "SenderDeadlineIgnored"]
