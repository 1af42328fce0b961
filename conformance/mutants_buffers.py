"""Mutants of shared buffers (BUF-*): ownership kept after a transfer, a
writable mapping without WRITE, a write through a read-only mapping, a read
one byte past the end, a transfer that also demands READ, a transferred
buffer that arrives with every right, a transfer that strips the other holders
of their capabilities and mappings, a transfer by a delegate.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.spec import IpcError as E
from veridian_ipc.spec import RuleId as R
from veridian_ipc.spec.caps import caps_of_object, destroy
from veridian_ipc.spec.state import Kind, Mapping
from veridian_ipc.spec.store import put_cap
from veridian_ipc.spec.tasks import table_of
from veridian_ipc.vocabulary.names import CapId, Handle, MapId, Pid
from veridian_ipc.vocabulary.results import Err, Ok, Result
from veridian_ipc.vocabulary.rights import BUFFER_RIGHTS, GRANT, MANAGE, READ, WRITE
from veridian_ipc.vocabulary.syscalls import (
    MapBuffer,
    Operation,
    ReadBuffer,
    TransferBuffer,
    WriteBuffer,
)

from .mutants_base import Mutant, Refusal


class TransferKeepsOwnership(Mutant):
    """After a buffer transfer the sender keeps a capability to it."""

    rules = (R.BUF_TRANSFER,)

    def apply(self, pid: int, op: Operation) -> Result:
        c = (
            self.cap(pid, op.handle, Kind.BUFFER)
            if isinstance(op, TransferBuffer)
            else None
        )
        r = self.spec_apply(pid, op)
        if c is not None and isinstance(r, Ok):
            self.copy_cap(pid, c)
        return r


class MapWithoutWrite(Refusal[MapBuffer]):
    """A writable mapping is granted without the WRITE right."""

    rules = (R.BUF_MAP,)
    refused_op = MapBuffer
    refused_with = E.InsufficientRights

    def instead(self, pid: int, op: MapBuffer, refusal: Result) -> Result:
        if not op.writable:
            return refusal
        return self.apply_with_right(pid, op, Kind.BUFFER, WRITE)


class WriteReadOnly(Refusal[WriteBuffer]):
    """A write through a read-only mapping succeeds."""

    rules = (R.BUF_WRITE,)
    refused_op = WriteBuffer
    refused_with = E.InsufficientRights

    def instead(self, pid: int, op: WriteBuffer, refusal: Result) -> Result:
        mid = MapId(op.mapping)
        m = table_of(self.state, Pid(pid)).mappings[mid]
        self._put_mapping(pid, mid, replace(m, writable=True))
        r = self.spec_apply(pid, op)
        self._put_mapping(pid, mid, m)
        return r

    def _put_mapping(self, pid: int, mid: MapId, m: Mapping) -> None:
        self.edit_table(pid, lambda p: replace(p, mappings=p.mappings.set(mid, m)))


class ReadPastEnd(Refusal[ReadBuffer]):
    """A read may run one byte past the end of the buffer (reads a zero)."""

    rules = (R.BUF_READ,)
    refused_op = ReadBuffer
    refused_with = E.OutOfBounds

    def instead(self, pid: int, op: ReadBuffer, refusal: Result) -> Result:
        if op.length < 1:
            return refusal
        inner = self.spec_apply(pid, replace(op, length=op.length - 1))
        if isinstance(inner, Ok) and isinstance(inner.value, bytes):
            return Ok(inner.value + b"\0")
        return refusal


class TransferNeedsRead(Mutant):
    """A buffer transfer also demands READ (ownership taken to mean every
    right): a holder with MANAGE and GRANT but no READ cannot give the buffer
    away."""

    rules = (R.BUF_TRANSFER,)

    def apply(self, pid: int, op: Operation) -> Result:
        c = (
            self.cap(pid, op.handle, Kind.BUFFER)
            if isinstance(op, TransferBuffer) and self.running(pid)
            else None
        )
        if c is not None and not c.rights & READ:
            return Err(E.InsufficientRights)
        return self.spec_apply(pid, op)


class TransferFullRights(Mutant):
    """A transferred buffer's capability arrives with every buffer right, not
    the owner's: an owner whose root was attenuated (a promoted child) hands
    on more than it had."""

    rules = (R.BUF_TRANSFER,)

    def apply(self, pid: int, op: Operation) -> Result:
        root = self._root(pid, op)
        r = self.spec_apply(pid, op)
        if root is not None and isinstance(r, Ok):
            full = replace(self.state.caps[root], rights=BUFFER_RIGHTS)
            self.state = put_cap(self.state, root, full)
        return r

    def _root(self, pid: int, op: Operation) -> CapId | None:
        if not isinstance(op, TransferBuffer) or self.cap(pid, op.handle) is None:
            return None
        return table_of(self.state, Pid(pid)).handles[Handle(op.handle)]


class TransferStripsOthers(TransferFullRights):
    """A buffer transfer also destroys every other capability to the buffer,
    with their mappings: the receiver that mapped first (the seed's sequence)
    loses its mapping."""

    def apply(self, pid: int, op: Operation) -> Result:
        root = self._root(pid, op)
        r = self.spec_apply(pid, op)
        if root is not None and isinstance(r, Ok):
            for other in caps_of_object(self.state, self.state.caps[root].obj):
                if other != root and other in self.state.caps:
                    self.state = destroy(self.state, other)
        return r


class TransferByDelegate(TransferFullRights):
    """A delegate holding MANAGE and GRANT on a derived capability transfers
    the buffer (the owner check is skipped)."""

    def apply(self, pid: int, op: Operation) -> Result:
        root = self._root(pid, op) if self.running(pid) else None
        if root is None:
            return self.spec_apply(pid, op)
        c = self.state.caps[root]
        if c.parent is None or c.rights & (MANAGE | GRANT) != MANAGE | GRANT:
            return self.spec_apply(pid, op)
        self.state = put_cap(self.state, root, replace(c, parent=None))
        r = self.spec_apply(pid, op)
        moved = self.state.caps[root]
        self.state = put_cap(self.state, root, replace(moved, parent=c.parent))
        return r


__all__ = [
    "MapWithoutWrite",
    "ReadPastEnd",
    "TransferByDelegate",
    "TransferFullRights",
    "TransferKeepsOwnership",
    "TransferNeedsRead",
    "TransferStripsOthers",
    "WriteReadOnly",
]
