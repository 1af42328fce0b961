"""Behaviours of the groups channels (rings), buffers (shared memory), posix
(sockets) and errors (precedence and atomicity).

Part of the catalogue (``behaviours_catalogue``); see ``behaviours_base`` for
what a behaviour and its predicate are.
"""

from __future__ import annotations

from veridian_ipc.spec.state import (
    KernelState,
    Woken,
)
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import MapId, Pid
from veridian_ipc.vocabulary.results import Delivered, Err, Ok, Result
from veridian_ipc.vocabulary.rights import GRANT, MANAGE, READ, WRITE
from veridian_ipc.vocabulary.syscalls import (
    ChannelReceive,
    ChannelReceiveBatch,
    ChannelSend,
    ChannelSendBatch,
    Close,
    Derive,
    Drop,
    Inspect,
    Kill,
    MapBuffer,
    Operation,
    ReadBuffer,
    Receive,
    Resume,
    Revoke,
    Send,
    SockClose,
    SockRecv,
    SockSend,
    TransferBuffer,
    WriteBuffer,
)

from .behaviours_base import (
    History,
    behaviour,
    cap_at,
    cap_id_at,
    channel_of,
    failed_with,
    mapped_size,
    ok,
    refusal,
    travelled_use,
    woken,
)

R = RuleId
S = KernelState
H = History


# -- asynchronous channels ------------------------------------------------------------


refusal(
    "B-CHAN-RING-FULL",
    (R.CHAN_SEND,),
    "a channel send finds the ring full",
    ChannelSend,
    error="WouldBlock",
)


@behaviour(
    "B-CHAN-BATCH-PARTIAL-RECEIVE",
    (R.CHAN_RECEIVE_BATCH,),
    "a batch receive takes fewer messages than asked for",
    ChannelReceiveBatch,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return (
        isinstance(r, Ok)
        and isinstance(r.value, tuple)
        and len(r.value) < getattr(op, "max_count", 0)
    )


@behaviour(
    "B-CHAN-BATCH-NO-ROOM",
    (R.CHAN_SEND_BATCH,),
    "a batch send that does not fit a ring with free slots sends nothing",
    ChannelSendBatch,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    ch = channel_of(pre, pid, getattr(op, "handle", None))
    return (
        failed_with(r, "WouldBlock")
        and ch is not None
        and ch.write_idx - ch.read_idx < ch.capacity
    )


@behaviour(
    "B-CHAN-BATCH-FILLS",
    (R.CHAN_SEND_BATCH,),
    "a batch send fills the ring exactly",
    ChannelSendBatch,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    ch = channel_of(post, pid, getattr(op, "handle", None))
    return ok(r) and ch is not None and ch.write_idx - ch.read_idx == ch.capacity


@behaviour(
    "B-CHAN-WRAP",
    (R.CHAN_SEND,),
    "a channel send wraps around the ring (write index past capacity)",
    ChannelSend,
    ChannelSendBatch,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    ch = channel_of(post, pid, getattr(op, "handle", None))
    return ok(r) and ch is not None and ch.write_idx > ch.capacity


@behaviour(
    "B-CHAN-DRAIN-CLOSED",
    (R.CHAN_CLOSE, R.CHAN_RECEIVE),
    "receive what is left on a closed channel",
    ChannelReceive,
    ChannelReceiveBatch,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    ch = channel_of(pre, pid, getattr(op, "handle", None))
    return ok(r) and ch is not None and ch.closed


# -- zero-copy shared buffers ---------------------------------------------------------


@behaviour(
    "B-BUF-TRANSFER-ATTENUATED",
    (R.BUF_TRANSFER, R.RIGHTS_DERIVE),
    "a transfer by a holder with MANAGE and GRANT but without READ or WRITE",
    TransferBuffer,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    c = cap_at(pre, pid, getattr(op, "handle", None))
    return (
        ok(r)
        and c is not None
        and c.rights & (MANAGE | GRANT) == MANAGE | GRANT
        and c.rights & (READ | WRITE) != READ | WRITE
    )


@behaviour(
    "B-BUF-TRANSFER-NO-DATA-RIGHTS",
    (R.BUF_TRANSFER,),
    "a transfer by a holder with MANAGE and GRANT and neither READ nor WRITE",
    TransferBuffer,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    """Ownership moves on MANAGE and GRANT alone: a transfer that also asks
    for a data right refuses this one."""
    c = cap_at(pre, pid, getattr(op, "handle", None))
    return (
        ok(r)
        and c is not None
        and c.rights & (MANAGE | GRANT) == MANAGE | GRANT
        and c.rights & (READ | WRITE) == 0
    )


@behaviour(
    "B-BUF-TRANSFER-MAPPED-ELSEWHERE",
    (R.BUF_TRANSFER, R.BUF_MAP),
    "transfer a buffer another process has mapped",
    TransferBuffer,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    c = cap_at(pre, pid, getattr(op, "handle", None))
    return (
        ok(r)
        and c is not None
        and any(
            m.buf == c.obj
            for q, p in pre.processes.items()
            if q != pid
            for m in p.mappings.values()
        )
    )


@behaviour(
    "B-BUF-READ-AT-END",
    (R.BUF_READ,),
    "read bytes that end exactly at the buffer's end",
    ReadBuffer,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    assert isinstance(op, ReadBuffer)
    size = mapped_size(pre, pid, op.mapping)
    return (
        ok(r) and size is not None and op.length >= 1 and op.offset + op.length == size
    )


@behaviour(
    "B-BUF-WRITE-AT-END",
    (R.BUF_WRITE,),
    "write bytes that end exactly at the buffer's end",
    WriteBuffer,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    assert isinstance(op, WriteBuffer)
    size = mapped_size(pre, pid, op.mapping)
    n = len(op.data)
    return ok(r) and size is not None and n >= 1 and op.offset + n == size


@behaviour(
    "B-BUF-ONE-PAST-END",
    (R.BUF_READ, R.BUF_WRITE),
    "an access that leaves the buffer by exactly one byte",
    ReadBuffer,
    WriteBuffer,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    size = mapped_size(pre, pid, getattr(op, "mapping", None))
    length = op.length if isinstance(op, ReadBuffer) else len(getattr(op, "data", b""))
    return (
        failed_with(r, "OutOfBounds")
        and size is not None
        and getattr(op, "offset", 0) + length == size + 1
    )


@behaviour(
    "B-BUF-READ-SHARED",
    (R.BUF_READ, R.BUF_MAP),
    "read a buffer another process also has mapped",
    ReadBuffer,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    assert isinstance(op, ReadBuffer)
    if not ok(r):
        return False
    m = pre.processes[Pid(pid)].mappings.get(MapId(op.mapping))
    return m is not None and any(
        x.buf == m.buf
        for q, o in pre.processes.items()
        if q != pid
        for x in o.mappings.values()
    )


travelled_use(
    "B-BUF-MAP-TRAVELLED",
    (R.BUF_MAP, R.MSG_TRANSFER),
    "map a buffer through a capability received from another process",
    MapBuffer,
)


@behaviour(
    "B-BUF-TRANSFER-HANDOFF",
    (R.BUF_TRANSFER, R.PORT_HANDOFF),
    "a buffer transfer is handed straight to a blocked receiver",
    TransferBuffer,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return ok(r) and bool(woken(pre, post))


# -- POSIX layer ----------------------------------------------------------------------


refusal(
    "B-POSIX-RECV-TOO-LONG",
    (R.POSIX_RECV,),
    "recv of a datagram longer than the buffer (it stays queued)",
    SockRecv,
    error="MessageTooLarge",
)


@behaviour(
    "B-POSIX-CLOSE-QUEUED",
    (R.POSIX_CLOSE,),
    "close a socket with messages queued (they are discarded and counted)",
    SockClose,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return isinstance(r, Ok) and r.value != 0


@behaviour(
    "B-POSIX-CLOSE-DISCONNECTS",
    (R.POSIX_CLOSE, R.POSIX_CONNECT),
    "close a socket another socket is connected to",
    SockClose,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    closed = (pid, getattr(op, "fd", None))
    return ok(r) and any(
        e.peer is None
        for q, p in post.processes.items()
        for fd, e in p.fds.items()
        if (q, fd) != closed
        and (pp := pre.processes.get(q)) is not None
        and (old := pp.fds.get(fd)) is not None
        and old.peer is not None
    )


refusal(
    "B-POSIX-SEND-FULL",
    (R.POSIX_SEND, R.POSIX_ERRNO),
    "a socket send finds the peer's queue full",
    SockSend,
    error="PortFull",
)


@behaviour(
    "B-POSIX-RECV-CAPS",
    (R.POSIX_RECV, R.MSG_TRANSFER),
    "recv of a message that carries capabilities (installed, and named in the"
    " result as SCM_RIGHTS would)",
    SockRecv,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return (
        isinstance(r, Ok)
        and isinstance(r.value, Delivered)
        and any(c is not None for c in r.value.caps)
    )


@behaviour(
    "B-POSIX-KILL-BOUND",
    (R.POSIX_CLOSE, R.PROC_KILL),
    "kill a process with a bound socket (its name goes)",
    Kill,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    p = pre.processes.get(Pid(getattr(op, "target", 0)))
    return ok(r) and p is not None and any(e.name is not None for e in p.fds.values())


# -- errors ---------------------------------------------------------------------------


@behaviour(
    "B-ERR-ATOMIC-SEND-CAPS",
    (R.ERR_ATOMIC, R.MSG_TRANSFER),
    "a send carrying valid, grantable capabilities fails at the port (none moves)",
    Send,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return (
        isinstance(r, Err)
        and bool(getattr(op, "caps", ()))
        and r.error.name
        in (
            "PortClosed",
            "Filtered",
            "RateLimited",
            "PortFull",
        )
    )


@behaviour(
    "B-ERR-ATOMIC-TRANSFER",
    (R.ERR_ATOMIC, R.BUF_TRANSFER),
    "a buffer transfer fails at the port (no capability destroyed)",
    TransferBuffer,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return isinstance(r, Err) and r.error.name in (
        "PortClosed",
        "Filtered",
        "RateLimited",
        "PortFull",
    )


@behaviour(
    "B-ERR-RESUME-ERROR",
    (R.ERR_ATOMIC, R.PORT_RESUME),
    "a Resume returns the receive's error and the process runs again",
    Resume,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    p = pre.processes.get(Pid(pid))
    return isinstance(r, Err) and p is not None and isinstance(p.status, Woken)


@behaviour(
    "B-ERR-BLOCKED-BEFORE-HANDLE",
    (R.ERR_PRECEDENCE, R.PROC_STATUS),
    "a blocked process issues an operation with a bad handle: ProcessBlocked wins",
    Inspect,
    Drop,
    Send,
    Receive,
    Derive,
    Revoke,
    Close,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return (
        failed_with(r, "ProcessBlocked")
        and cap_id_at(pre, pid, getattr(op, "handle", None)) is None
    )


@behaviour(
    "B-ERR-RIGHTS-BEFORE-ARGS",
    (R.ERR_PRECEDENCE, R.RIGHTS_REQUIRED),
    "a receive without RECEIVE and with a negative timeout: InsufficientRights wins",
    Receive,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    t = getattr(op, "timeout", 0)
    return failed_with(r, "InsufficientRights") and t is not None and t < 0
