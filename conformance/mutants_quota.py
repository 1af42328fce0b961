"""Mutants of the resource quotas (spec/quotas.py): a handle table that holds
one handle over its quota, a send that ignores the queued-bytes quota, a
receive that takes a message whose capabilities do not fit.

Each runs the spec's step with one quota raised by the amount of the bug, so
it differs from the spec exactly where that quota is met.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.spec import RuleId as R
from veridian_ipc.vocabulary.names import Config
from veridian_ipc.vocabulary.results import Result
from veridian_ipc.vocabulary.syscalls import (
    CreateBuffer,
    CreateChannel,
    CreatePort,
    Derive,
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


__all__ = ["HandleQuotaOneOver", "QueuedBytesUnbounded", "ReceiveOverflowsTable"]
