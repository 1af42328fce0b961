"""Mutants of the POSIX socket layer (POSIX-*): the wrong fd numbering, a
reconnect that replaces the peer, the wrong errno, a truncating ``recv()``, a
``close()`` that hides the messages it discards, a ``recv()`` that discards
the capabilities a message carries, a ``recv()`` that installs them but does
not name them in its result (no ``SCM_RIGHTS``).
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.spec import IpcError as E
from veridian_ipc.spec import RuleId as R
from veridian_ipc.spec.caps import destroy
from veridian_ipc.spec.state import InSocket
from veridian_ipc.spec.store import put_cap
from veridian_ipc.spec.tasks import table_of
from veridian_ipc.vocabulary.names import MAX_INLINE_DATA, Fd, Pid
from veridian_ipc.vocabulary.results import Delivered, Err, Ok, Result
from veridian_ipc.vocabulary.syscalls import (
    Operation,
    SockClose,
    SockConnect,
    Socket,
    SockRecv,
    SockSend,
)

from .mutants_base import Mutant, Refusal


def _move_fd(m: Mutant, pid: int, old: int, new: int) -> None:
    """Renumber ``pid``'s socket ``old`` as ``new``, its capabilities too."""
    entry = table_of(m.state, Pid(pid)).fds[Fd(old)]
    m.edit_table(
        pid, lambda p: replace(p, fds=p.fds.delete(Fd(old)).set(Fd(new), entry))
    )
    for cid, peer in ((entry.own, False), (entry.peer, True)):
        if cid is not None:
            c = m.state.caps[cid]
            m.state = put_cap(
                m.state, cid, replace(c, at=InSocket(Pid(pid), Fd(new), peer))
            )


class SocketFdNotLowest(Mutant):
    """``socket()`` takes the fd after the highest one, not the lowest free."""

    rules = (R.POSIX_SOCKET,)

    def apply(self, pid: int, op: Operation) -> Result:
        before = None
        if isinstance(op, Socket) and self.running(pid):
            before = sorted(table_of(self.state, Pid(pid)).fds)
        r = self.spec_apply(pid, op)
        if before and isinstance(r, Ok) and isinstance(r.value, int):
            want = before[-1] + 1
            if r.value != want:
                _move_fd(self, pid, r.value, want)
                return Ok(want)
        return r


class ReconnectAllowed(Refusal[SockConnect]):
    """``connect()`` on a connected socket replaces its peer."""

    rules = (R.POSIX_CONNECT,)
    refused_op = SockConnect
    refused_with = E.AlreadyConnected

    def instead(self, pid: int, op: SockConnect, refusal: Result) -> Result:
        entry = table_of(self.state, Pid(pid)).fds[Fd(op.fd)]
        assert entry.peer is not None
        self.state = destroy(self.state, entry.peer)
        return self.spec_apply(pid, op)


class UnconnectedSendEpipe(Refusal[SockSend]):
    """``send()`` on an unconnected socket reports EPIPE (PortClosed)."""

    rules = (R.POSIX_SEND, R.POSIX_ERRNO)
    refused_op = SockSend
    refused_with = E.NotConnected

    def instead(self, pid: int, op: SockSend, refusal: Result) -> Result:
        return Err(E.PortClosed)


class RecvTruncates(Refusal[SockRecv]):
    """``recv()`` truncates a message longer than the buffer."""

    rules = (R.POSIX_RECV,)
    refused_op = SockRecv
    refused_with = E.MessageTooLarge

    def instead(self, pid: int, op: SockRecv, refusal: Result) -> Result:
        r = self.spec_apply(pid, replace(op, bufsize=MAX_INLINE_DATA))
        if isinstance(r, Ok) and isinstance(r.value, Delivered):
            return Ok(replace(r.value, data=r.value.data[: op.bufsize]))
        return r


class CloseReportsNothing(Mutant):
    """``close()`` reports no discarded messages (silent loss)."""

    rules = (R.POSIX_CLOSE,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, SockClose) and isinstance(r, Ok):
            return Ok(0)
        return r


class RecvDropsCaps(Mutant):
    """``recv()`` returns a message's data and destroys the capabilities it
    carries instead of installing them (``SCM_RIGHTS`` ignored)."""

    rules = (R.POSIX_RECV,)

    def apply(self, pid: int, op: Operation) -> Result:
        p = table_of(self.state, Pid(pid)) if Pid(pid) in self.state.processes else None
        had = set() if p is None else set(p.handles)
        r = self.spec_apply(pid, op)
        if isinstance(op, SockRecv) and isinstance(r, Ok) and p is not None:
            handles = table_of(self.state, Pid(pid)).handles
            for h in sorted(set(handles) - had):
                self.state = destroy(self.state, handles[h])
            if isinstance(r.value, Delivered):
                return Ok(replace(r.value, caps=()))
        return r


class RecvHidesCaps(Mutant):
    """``recv()`` installs the capabilities a message carries but returns the
    data alone: the caller holds handles it was never told of (POSIX-RECV's
    ``SCM_RIGHTS`` control message missing)."""

    rules = (R.POSIX_RECV,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        d = r.value if isinstance(op, SockRecv) and isinstance(r, Ok) else None
        if isinstance(d, Delivered) and d.caps:
            return Ok(replace(d, caps=()))
        return r


__all__ = [
    "CloseReportsNothing",
    "ReconnectAllowed",
    "RecvDropsCaps",
    "RecvHidesCaps",
    "RecvTruncates",
    "SocketFdNotLowest",
    "UnconnectedSendEpipe",
]
