"""Mutants of capabilities that travel between processes and are then used
(MSG-TRANSFER, MSG-SENDER, PORT-HANDOFF): a received capability that regains
the rights of the capability it was derived from, one that loses its place in
the derivation tree (a revoke from its origin misses it), a message stamped
with the port owner's pid rather than the sender's, a hand-off that loses the
capabilities it carries, a four-capability message that arrives with three.

Each bends what a receiver gets, so each shows only once a capability has
crossed from one process to another, and most only once it is used there (to
send, or revoked from where it came from).
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.spec import RuleId as R
from veridian_ipc.spec import step
from veridian_ipc.spec.caps import destroy
from veridian_ipc.spec.state import AtHandle, Kind
from veridian_ipc.spec.store import port, put_cap
from veridian_ipc.vocabulary.names import MAX_MESSAGE_CAPS, CapId, Pid
from veridian_ipc.vocabulary.results import Delivered, Ok, Result
from veridian_ipc.vocabulary.syscalls import Operation, Send

from .mutants_base import Mutant


class _OnDelivery(Mutant):
    """Bends every message a step delivers (received directly, or handed to a
    waiting receiver) by ``deliver``; every step is otherwise the spec's."""

    handoff_only = False

    def apply(self, pid: int, op: Operation) -> Result:
        before = self.state
        r = self.spec_apply(pid, op)
        for receiver, given, direct in self.deliveries(before, pid, op, r):
            if direct and self.handoff_only:
                continue
            r = self.redeliver(receiver, self.deliver(receiver, given), direct, r)
        return r

    def deliver(self, receiver: int, given: Delivered) -> Delivered:
        """What ``receiver`` gets instead of ``given`` (which it was given,
        its capabilities installed); may change the state."""
        raise NotImplementedError

    def received(self, receiver: int, given: Delivered) -> list[CapId]:
        """The capabilities ``given`` installed in ``receiver``'s table."""
        return [self.cap_id(receiver, h) for h in given.caps if h is not None]


class ReceivedCapParentRights(_OnDelivery):
    """A received capability is installed with the rights of the capability
    it was derived from, not the ones it travelled with (an attenuated
    capability regains its parent's authority on arrival)."""

    rules = (R.MSG_TRANSFER,)

    def deliver(self, receiver: int, given: Delivered) -> Delivered:
        for cid in self.received(receiver, given):
            c = self.state.caps[cid]
            if c.parent is not None:
                rights = self.state.caps[c.parent].rights
                self.state = put_cap(self.state, cid, replace(c, rights=rights))
        return given


class ReceivedCapLosesParent(_OnDelivery):
    """A received capability is installed as a new root: its link to the
    capability it was derived from is lost, so revoking that ancestor no
    longer takes it back (RIGHTS-REVOKE)."""

    rules = (R.MSG_TRANSFER, R.RIGHTS_REVOKE)

    def deliver(self, receiver: int, given: Delivered) -> Delivered:
        for cid in self.received(receiver, given):
            self.orphan(cid)
        return given


class HandoffDropsCaps(_OnDelivery):
    """The hand-off fast path copies a message's data but not its
    capabilities: they leave the sender and are lost (the receiver sees
    ``None`` where each was). A queued message keeps them."""

    rules = (R.PORT_HANDOFF, R.MSG_TRANSFER)
    handoff_only = True

    def deliver(self, receiver: int, given: Delivered) -> Delivered:
        for cid in self.received(receiver, given):
            self.state = destroy(self.state, cid)
        return replace(given, caps=tuple(None for _ in given.caps))


class SenderIsPortOwner(Mutant):
    """A message is stamped with the pid of the port's owner (the process
    holding the root of the send capability's derivation tree) instead of the
    sending process's, when another process holds that root."""

    rules = (R.MSG_SENDER,)

    def owner(self, pid: int, handle: object) -> int | None:
        """The process holding the root of ``handle``'s tree, if it is a
        handle of another process than ``pid``."""
        c = self.cap(pid, handle, Kind.PORT)
        while c is not None and c.parent is not None:
            c = self.state.caps[c.parent]
        if c is None or not isinstance(c.at, AtHandle) or c.at.pid == pid:
            return None
        return int(c.at.pid)

    def apply(self, pid: int, op: Operation) -> Result:
        if not (isinstance(op, Send) and self.running(pid)):
            return self.spec_apply(pid, op)
        owner = self.owner(pid, op.handle)
        obj = self.port_of(pid, op.handle)
        before = self.state
        r = self.spec_apply(pid, op)
        if owner is None or obj is None or not isinstance(r, Ok):
            return r
        queue = port(self.state, obj).queue
        if len(queue) > len(port(before, obj).queue):
            stamped = (*queue[:-1], replace(queue[-1], sender=Pid(owner)))
            self.edit_port(obj, lambda p: replace(p, queue=stamped))
            return r
        for receiver, given, direct in self.deliveries(before, pid, op, r):
            r = self.redeliver(receiver, replace(given, sender=owner), direct, r)
        return r


class FourthCapLost(Mutant):
    """A message carrying four capabilities moves only the first three (a
    transfer loop bounded one short): the fourth leaves the sender and is
    lost."""

    rules = (R.MSG_TRANSFER, R.MSG_LIMITS)

    def apply(self, pid: int, op: Operation) -> Result:
        if not (isinstance(op, Send) and len(op.caps) == MAX_MESSAGE_CAPS):
            return self.spec_apply(pid, op)
        _, would = step(self.state, pid, op)
        if not isinstance(would, Ok):
            return self.spec_apply(pid, op)
        last = op.caps[-1]
        assert type(last) is int
        lost = self.cap_id(pid, last)
        r = self.spec_apply(pid, replace(op, caps=op.caps[:-1]))
        self.state = destroy(self.state, lost)
        return r


__all__ = [
    "FourthCapLost",
    "HandoffDropsCaps",
    "ReceivedCapLosesParent",
    "ReceivedCapParentRights",
    "SenderIsPortOwner",
]
