"""Mutants of the resource quotas (spec/quotas.py): a handle table that holds
one handle over its quota, a send that ignores the queued-bytes quota, a
receive that takes a message whose capabilities do not fit, and the old rule
where a hand-off's bytes are free (a send to waiting receivers unchecked, a
woken receiver's kept slot uncounted).

Each runs the spec's step with one quota raised by the amount of the bug, so
it differs from the spec exactly where that quota is met.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.spec import RuleId as R
from veridian_ipc.spec.quotas import kept
from veridian_ipc.spec.state import Port
from veridian_ipc.vocabulary.names import MAX_MESSAGE_CAPS, Config, Fd, Pid
from veridian_ipc.vocabulary.results import Result
from veridian_ipc.vocabulary.syscalls import (
    CreateBuffer,
    CreateChannel,
    CreatePort,
    Derive,
    Kill,
    Lookup,
    Operation,
    Receive,
    Send,
    SockRecv,
    SockSend,
)

from .mutants_base import Mutant


class _Raised(Mutant):
    """The spec with ``raise_quota`` applied to the configuration for the
    operations in ``ops``."""

    ops: tuple[type, ...] = ()

    def raise_quota(self, c: Config) -> Config:
        raise NotImplementedError

    def apply(self, pid: int, op: Operation) -> Result:
        if not isinstance(op, self.ops):
            return self.spec_apply(pid, op)
        config = self.state.config
        self.state = replace(self.state, config=self.raise_quota(config))
        try:
            return self.spec_apply(pid, op)
        finally:
            self.state = replace(self.state, config=config)


class HandleQuotaOneOver(_Raised):
    """A create, derive or lookup installs one handle over ``max_handles``."""

    rules = (R.RIGHTS_DERIVE, R.PORT_CREATE, R.NS_LOOKUP)
    ops = (CreatePort, CreateChannel, CreateBuffer, Derive, Lookup)

    def raise_quota(self, c: Config) -> Config:
        return replace(c, max_handles=c.max_handles + 1)


class QueuedBytesUnbounded(_Raised):
    """A send queues its data whatever the sender already has queued."""

    rules = (R.PORT_SEND, R.POSIX_SEND)
    ops = (Send, SockSend)

    def raise_quota(self, c: Config) -> Config:
        return replace(c, max_queued_bytes=c.max_queued_bytes * 64)


class ReceiveOverflowsTable(_Raised):
    """A delivery (a receive, a socket receive, a hand-off to a waiter)
    installs a message's capabilities beyond ``max_handles``."""

    rules = (R.PORT_RECEIVE, R.PORT_HANDOFF, R.POSIX_RECV)
    ops = (Receive, SockRecv, Send)

    def raise_quota(self, c: Config) -> Config:
        return replace(c, max_handles=c.max_handles + 4)


class HandoffBytesFree(_Raised):
    """The old queued-bytes rule: a send to a port where receivers wait is
    not charged ("a hand-off queues nothing"), and a hand-off's bytes stop
    counting once handed, though the receiver has not collected them
    (PORT-HANDOFF's kept slot; spec/quotas.py counts them until collected).

    Emulated on the spec's own check: for such a send the quota is lifted;
    for any other, it is raised by the sender's bytes in kept slots, so only
    its queued bytes count."""

    rules = (R.PORT_SEND, R.PORT_HANDOFF, R.POSIX_SEND)
    ops = (Send, SockSend)

    def apply(self, pid: int, op: Operation) -> Result:
        self._pid, self._op = pid, op
        return super().apply(pid, op)

    def _target_waits(self) -> bool:
        """The port the pending send goes to has waiting receivers."""
        op, s = self._op, self.state
        if isinstance(op, Send):
            obj = self.port_of(self._pid, op.handle)
        else:
            assert isinstance(op, SockSend)
            p = s.processes.get(Pid(self._pid))
            entry = None if p is None else p.fds.get(Fd(op.fd))
            peer = None if entry is None else entry.peer
            obj = None if peer is None else s.caps[peer].obj
        port = None if obj is None else s.objects.get(obj)
        return isinstance(port, Port) and bool(port.waiters)

    def raise_quota(self, c: Config) -> Config:
        if self._target_waits():
            return replace(c, max_queued_bytes=c.max_queued_bytes * 64 + 64)
        handed = sum(len(d.data) for d in kept(self.state) if d.sender == self._pid)
        return replace(c, max_queued_bytes=c.max_queued_bytes + handed)


class GiveBackIgnoresRoom(_Raised):
    """A hand-off given back by its receiver's death goes to the next waiter
    whatever room its table has: the quota check a send makes (a waiter with
    no room is woken with OutOfMemory) is skipped on the give-back, and that
    waiter's table ends over ``max_handles``."""

    rules = (R.PORT_HANDOFF, R.PROC_KILL)
    ops = (Kill,)

    def raise_quota(self, c: Config) -> Config:
        return replace(c, max_handles=c.max_handles + MAX_MESSAGE_CAPS)


__all__ = [
    "GiveBackIgnoresRoom",
    "HandleQuotaOneOver",
    "HandoffBytesFree",
    "QueuedBytesUnbounded",
    "ReceiveOverflowsTable",
]
