"""Behaviours of the groups ports, messages (synchronous messages), filters and
timeouts: what happens to a message between its send and its delivery.

Part of the catalogue (``behaviours_catalogue``); see ``behaviours_base`` for
what a behaviour and its predicate are.
"""

from __future__ import annotations

from veridian_ipc.spec.state import (
    InFlight,
    KernelState,
    Port,
    Waiting,
    Woken,
)
from veridian_ipc.spec.store import handed as _handed
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import MAX_INLINE_DATA, MAX_MESSAGE_CAPS, Pid
from veridian_ipc.vocabulary.results import Err, Ok, Result
from veridian_ipc.vocabulary.rights import SEND
from veridian_ipc.vocabulary.syscalls import (
    AdvanceClock,
    Close,
    Kill,
    Operation,
    Receive,
    Resume,
    Revoke,
    Send,
    SetFilter,
    SockRecv,
    SockSend,
    TransferBuffer,
)

from .behaviours_base import (
    History,
    behaviour,
    cap_at,
    cap_id_at,
    delivered,
    destroyed,
    failed_with,
    ok,
    port_of,
    refusal,
    target_port,
    travelled,
    travelled_use,
    woken,
)

R = RuleId
S = KernelState
H = History


# -- ports ----------------------------------------------------------------------------


travelled_use(
    "B-CAP-TRAVELLED-SEND",
    (R.PORT_SEND, R.MSG_TRANSFER),
    "a capability received from another process is used to send",
    Send,
)


@behaviour(
    "B-PORT-TWO-WAITERS-SEND",
    (R.PORT_HANDOFF,),
    "two receivers blocked on one port, then a send",
    Send,
    TransferBuffer,
    SockSend,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    pt = target_port(pre, pid, op)
    return ok(r) and pt is not None and len(pt.waiters) >= 2


@behaviour(
    "B-PORT-FULL-WITH-CAPS",
    (R.PORT_SEND, R.MSG_TRANSFER),
    "a send carrying capabilities fails with PortFull",
    Send,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return failed_with(r, "PortFull") and bool(getattr(op, "caps", ()))


@behaviour(
    "B-PORT-FULL-HANDED",
    (R.PORT_SEND, R.PORT_HANDOFF),
    "a send finds the port full with a hand-off not yet collected",
    Send,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    c = cap_at(pre, pid, getattr(op, "handle", None))
    return failed_with(r, "PortFull") and c is not None and _handed(pre, c.obj) > 0


@behaviour(
    "B-PORT-HANDOFF-KILLED",
    (R.PORT_HANDOFF, R.PROC_KILL),
    "a receiver woken by a hand-off is killed before Resume: the message goes back",
    Kill,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    target = pre.processes.get(Pid(getattr(op, "target", 0)))
    return (
        ok(r)
        and target is not None
        and isinstance(target.status, Woken)
        and target.status.handed is not None
    )


@behaviour(
    "B-PORT-HANDOFF-KILLED-NO-ROOM",
    (R.PORT_HANDOFF, R.PROC_KILL),
    "a hand-off given back by a kill skips a next waiter with no handle room",
    Kill,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    """The waiter is woken with OutOfMemory, as it would be at a send: the
    message given back never puts a table over its quota."""
    target = pre.processes.get(Pid(getattr(op, "target", 0)))
    if not ok(r) or target is None or not isinstance(target.status, Woken):
        return False
    pt = pre.objects.get(target.status.handed) if target.status.handed else None
    if not isinstance(pt, Port):
        return False
    refused = Err(IpcError.OutOfMemory)
    return any(
        (q := post.processes.get(w)) is not None
        and isinstance(q.status, Woken)
        and q.status.result == refused
        for w in pt.waiters
    )


@behaviour(
    "B-PORT-CLOSE-QUEUED", (R.PORT_CLOSE,), "close a port with messages queued", Close
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return (
        isinstance(r, Ok)
        and r.value != 0
        and port_of(pre, pid, getattr(op, "handle", None)) is not None
    )


@behaviour(
    "B-PORT-CLOSE-WAITERS",
    (R.PORT_CLOSE, R.PORT_RECEIVE),
    "close a port with receivers blocked on it",
    Close,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    pt = port_of(pre, pid, getattr(op, "handle", None))
    return ok(r) and pt is not None and bool(pt.waiters)


@behaviour(
    "B-PORT-RESUME-DELIVERED",
    (R.PORT_RESUME, R.PORT_HANDOFF),
    "a Resume collects a real message",
    Resume,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return delivered(r) is not None


@behaviour(
    "B-PORT-RESUME-DELIVERED-CAPS",
    (R.PORT_RESUME, R.MSG_TRANSFER),
    "a Resume collects a message carrying capabilities",
    Resume,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    d = delivered(r)
    return d is not None and any(c is not None for c in d.caps)


refusal(
    "B-PORT-RESUME-CLOSED",
    (R.PORT_RESUME, R.PORT_CLOSE),
    "a Resume reports the close that woke the receive",
    Resume,
    error="PortClosed",
)


refusal(
    "B-PORT-RESUME-STILL-WAITING",
    (R.PORT_RESUME,),
    "Resume while the receive still waits",
    Resume,
    error="WouldBlock",
)


@behaviour(
    "B-PORT-DRAIN-CLOSED",
    (R.PORT_CLOSE, R.PORT_RECEIVE),
    "receive a message left on a closed port",
    Receive,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    pt = port_of(pre, pid, getattr(op, "handle", None))
    return ok(r) and pt is not None and pt.closed


# -- synchronous messages -------------------------------------------------------------


@behaviour(
    "B-CAP-TRAVELLED-FORWARD",
    (R.MSG_TRANSFER,),
    "a capability received from another process is sent on",
    Send,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return ok(r) and any(travelled(pre, pid, c, h) for c in getattr(op, "caps", ()))


@behaviour(
    "B-MSG-INFLIGHT-REVOKED",
    (R.MSG_INFLIGHT_REVOKE,),
    "a message is delivered with a capability revoked while in flight",
    Receive,
    Resume,
    SockRecv,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    d = delivered(r)
    return d is not None and None in d.caps


@behaviour(
    "B-MSG-REVOKE-IN-FLIGHT",
    (R.MSG_INFLIGHT_REVOKE, R.RIGHTS_REVOKE),
    "revoke strips a capability from a queued message",
    Revoke,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return ok(r) and any(
        isinstance(pre.caps[c].at, InFlight) for c in destroyed(pre, post)
    )


@behaviour(
    "B-MSG-FOUR-CAPS",
    (R.MSG_LIMITS, R.MSG_TRANSFER),
    "a send carries the most capabilities a message holds",
    Send,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return ok(r) and len(getattr(op, "caps", ())) == MAX_MESSAGE_CAPS


@behaviour(
    "B-MSG-MAX-DATA", (R.MSG_LIMITS,), "a send carries exactly 64 bytes of data", Send
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return ok(r) and len(getattr(op, "data", b"")) == MAX_INLINE_DATA


@behaviour(
    "B-MSG-CAP-WITHOUT-GRANT",
    (R.MSG_TRANSFER, R.RIGHTS_REQUIRED),
    "a send is refused because a carried capability lacks GRANT",
    Send,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    c = cap_at(pre, pid, getattr(op, "handle", None))
    return (
        failed_with(r, "InsufficientRights") and c is not None and bool(c.rights & SEND)
    )


@behaviour(
    "B-MSG-CROSS-PROCESS",
    (R.MSG_SENDER,),
    "a message is delivered to a process other than its sender",
    Receive,
    Resume,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    d = delivered(r)
    return d is not None and d.sender != pid


@behaviour(
    "B-MSG-SEND-MAPPED-BUFFER",
    (R.MSG_TRANSFER, R.BUF_MAP),
    "send away a buffer capability the sender has a mapping through",
    Send,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    if not ok(r):
        return False
    carried = {cap_id_at(pre, pid, c) for c in getattr(op, "caps", ())}
    return any(m.cap in carried for m in pre.processes[Pid(pid)].mappings.values())


# -- filters --------------------------------------------------------------------------


@behaviour(
    "B-FILTER-RATE-REFILL",
    (R.FILTER_RATE,),
    "a rate filter refills after a full period, with period >= 2",
    Send,
    TransferBuffer,
    SockSend,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    pt = target_port(pre, pid, op)
    f = None if pt is None else pt.filter
    return (
        ok(r)
        and f is not None
        and f.rate is not None
        and f.rate.period >= 2
        and f.tokens == 0
    )


@behaviour(
    "B-FILTER-RATE-PART-PERIOD",
    (R.FILTER_RATE,),
    "a drained rate filter still refuses after part of a period, with period >= 2",
    Send,
    TransferBuffer,
    SockSend,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    """Time has passed since the bucket's stamp, but not a whole period: no
    token yet (a bucket refilled per tick, or rounding up, admits here)."""
    pt = target_port(pre, pid, op)
    f = None if pt is None else pt.filter
    return (
        failed_with(r, "RateLimited")
        and f is not None
        and f.rate is not None
        and f.rate.period >= 2
        and 0 < pre.clock - f.stamp < f.rate.period
    )


refusal(
    "B-FILTER-RATE-LIMITED",
    (R.FILTER_RATE,),
    "a message is refused for want of a token",
    Send,
    TransferBuffer,
    SockSend,
    error="RateLimited",
)


@behaviour(
    "B-FILTER-REFUSED-WITH-CAPS",
    (R.FILTER_CHECK, R.MSG_TRANSFER),
    "a filter refuses a message carrying capabilities",
    Send,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return bool(getattr(op, "caps", ())) and (
        failed_with(r, "Filtered")
        or failed_with(r, "RateLimited")
        or (
            failed_with(r, "MessageTooLarge")
            and len(getattr(op, "data", b"")) <= MAX_INLINE_DATA
        )
    )


@behaviour(
    "B-FILTER-SIZE",
    (R.FILTER_CHECK,),
    "a filter's size limit refuses a message the 64-byte limit allows",
    Send,
    SockSend,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    pt = target_port(pre, pid, op)
    return (
        failed_with(r, "MessageTooLarge")
        and len(getattr(op, "data", b"")) <= MAX_INLINE_DATA
        and pt is not None
        and pt.filter is not None
    )


@behaviour(
    "B-FILTER-SET-QUEUED",
    (R.FILTER_SET,),
    "set a filter on a port with messages queued (they stay)",
    SetFilter,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    pt = port_of(pre, pid, getattr(op, "handle", None))
    return ok(r) and pt is not None and bool(pt.queue)


@behaviour("B-FILTER-CLEAR", (R.FILTER_SET,), "clear a port's filter", SetFilter)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    pt = port_of(pre, pid, getattr(op, "handle", None))
    after = port_of(post, pid, getattr(op, "handle", None))
    return (
        ok(r)
        and pt is not None
        and pt.filter is not None
        and after is not None
        and after.filter is None
    )


@behaviour(
    "B-FILTER-SOCKET",
    (R.FILTER_CHECK, R.POSIX_SEND),
    "a socket send is refused by the peer port's filter",
    SockSend,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return (
        failed_with(r, "Filtered")
        or failed_with(r, "RateLimited")
        or (
            failed_with(r, "MessageTooLarge")
            and len(getattr(op, "data", b"")) <= MAX_INLINE_DATA
        )
    )


# -- timeouts -------------------------------------------------------------------------


refusal(
    "B-TIME-RESUME-AFTER-DEADLINE",
    (R.TIME_DEADLINE, R.PORT_RESUME),
    "a Resume after the deadline reports Timeout",
    Resume,
    error="Timeout",
)


@behaviour(
    "B-TIME-DEADLINE-FIRES",
    (R.TIME_DEADLINE, R.TIME_ADVANCE),
    "advancing the clock ends a timed receive",
    AdvanceClock,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return ok(r) and bool(woken(pre, post))


@behaviour(
    "B-TIME-DEADLINE-SEVERAL",
    (R.TIME_DEADLINE,),
    "one clock advance ends two timed receives or more",
    AdvanceClock,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return ok(r) and len(woken(pre, post)) >= 2


@behaviour(
    "B-TIME-ADVANCE-SHORT",
    (R.TIME_ADVANCE, R.TIME_DEADLINE),
    "the clock moves but stops short of a waiting receive's deadline",
    AdvanceClock,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return (
        ok(r)
        and post.clock > pre.clock
        and any(
            isinstance(p.status, Waiting) and p.status.deadline is not None
            for p in post.processes.values()
        )
    )


@behaviour(
    "B-TIME-HANDOFF-TIMED",
    (R.TIME_DEADLINE, R.PORT_HANDOFF),
    "a message reaches a timed receive before its deadline",
    Send,
    TransferBuffer,
    SockSend,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return ok(r) and any(
        isinstance(st := pre.processes[Pid(q)].status, Waiting)
        and st.deadline is not None
        for q, _w in woken(pre, post)
    )
