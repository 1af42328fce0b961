"""Seeded spec bugs in buffer ownership (BUF-TRANSFER) and resource quotas.

The mistakes of a transfer the exhaustive check must catch: one that strips
every other holder (the receiver's mapping ends: the seed's own sequence
breaks) and one that lets a delegate transfer; a handle quota checked one
too late; the queued-bytes quota's old rule, where a hand-off's bytes are
free (a send to waiting receivers unchecked, a kept slot uncounted).
``spec_mutants.MUTANTS`` lists them beside the others.
"""

from __future__ import annotations

from veridian_ipc.spec import quotas
from veridian_ipc.spec.caps import authorize, caps_of_object, destroy
from veridian_ipc.spec.messages import check_limits
from veridian_ipc.spec.ports import check_offer, commit_offer
from veridian_ipc.spec.state import KernelState, Kind, Port
from veridian_ipc.spec.store import Step, fail, port
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import ObjId, Pid
from veridian_ipc.vocabulary.results import Ok
from veridian_ipc.vocabulary.rights import GRANT, MANAGE, SEND


def _transfer(
    s: KernelState, pid: Pid, op: sc.TransferBuffer, owner_only: bool, strip: bool
) -> Step:
    """BUF-TRANSFER with its owner check optional and an optional strip of
    every other capability to the buffer (with their mappings)."""
    found = authorize(s, pid, op.handle, Kind.BUFFER, MANAGE | GRANT)
    if isinstance(found, IpcError):
        return fail(s, found)
    root, bcap = found
    if owner_only and bcap.parent is not None:
        return fail(s, IpcError.InsufficientRights)
    pfound = authorize(s, pid, op.port, Kind.PORT, SEND)
    if isinstance(pfound, IpcError):
        return fail(s, pfound)
    err = check_limits(op.msg_type, 0, b"", (), op.port)
    if err is not None:
        return fail(s, err)
    admitted = check_offer(s, pfound[1].obj, op.msg_type, 0)
    if isinstance(admitted, IpcError):
        return fail(s, admitted)
    if strip:
        for other in caps_of_object(s, bcap.obj):
            if other != root:
                s = destroy(s, other)
    body = (op.msg_type, 0, b"")
    return commit_offer(s, pid, pfound[1].obj, admitted, body, (root,)), Ok(None)


def transfer_strips_others(s: KernelState, pid: Pid, op: sc.TransferBuffer) -> Step:
    """BUF-TRANSFER destroying every other capability to the buffer and its
    mappings (the receiver that mapped first loses its mapping)."""
    return _transfer(s, pid, op, owner_only=True, strip=True)


def transfer_by_delegate(s: KernelState, pid: Pid, op: sc.TransferBuffer) -> Step:
    """BUF-TRANSFER without the owner check (a delegate with MANAGE and GRANT
    transfers)."""
    return _transfer(s, pid, op, owner_only=False, strip=False)


def handles_one_over(s: KernelState, pid: Pid, n: int = 1) -> IpcError | None:
    """The handle quota checked one too late: a table may hold one handle
    more than ``max_handles``."""
    if quotas.handles_used(s, pid) + n > s.config.max_handles + 1:
        return IpcError.OutOfMemory
    return None


def handoff_bytes_free(
    s: KernelState, pid: Pid, obj: ObjId, size: int
) -> IpcError | None:
    """The old queued-bytes rule: a send to a port where receivers wait is
    not checked ("a hand-off queues nothing") and only queued messages count,
    so a message queued after every waiter is refused, or given back by a
    killed receiver, can take its sender over ``max_queued_bytes``."""
    if port(s, obj).waiters or size == 0:
        return None
    queued = sum(
        len(m.data)
        for o in s.objects.values()
        if isinstance(o, Port)
        for m in o.queue
        if m.sender == pid
    )
    if queued + size > s.config.max_queued_bytes:
        return IpcError.OutOfMemory
    return None


__all__ = [
    "handles_one_over",
    "handoff_bytes_free",
    "transfer_by_delegate",
    "transfer_strips_others",
]
