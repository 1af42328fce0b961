"""Behaviours of the groups caps (processes and capability tables), rights
(derivation and revocation) and namespace: authority, where it comes from and
how it is taken back.

Part of the catalogue (``behaviours_catalogue``); see ``behaviours_base`` for
what a behaviour and its predicate are.
"""

from __future__ import annotations

from collections.abc import Callable

from veridian_ipc.spec.state import (
    AtHandle,
    KernelState,
    Kind,
    Port,
    Waiting,
)
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.results import Ok, Result
from veridian_ipc.vocabulary.rights import GRANT, MANAGE, RECEIVE, SEND
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    ChannelReceive,
    ChannelSend,
    Close,
    Connect,
    Derive,
    Drop,
    Inspect,
    Kill,
    Lookup,
    MapBuffer,
    Operation,
    Receive,
    Revoke,
    Send,
    SetFilter,
    SockBind,
    SockConnect,
    TransferBuffer,
    Unbind,
)

from .behaviours_base import (
    History,
    behaviour,
    cap_at,
    cap_id_at,
    depth,
    destroyed,
    failed_with,
    ok,
    refusal,
    travelled,
    travelled_use,
    woken,
)

R = RuleId
S = KernelState
H = History


# -- caps: processes and capability tables -------------------------------------------


@behaviour(
    "B-PROC-KILL-BLOCKED-RECEIVER",
    (R.PROC_KILL,),
    "kill a process blocked in a receive",
    Kill,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    assert isinstance(op, Kill)
    p = pre.processes.get(Pid(op.target))
    return ok(r) and p is not None and isinstance(p.status, Waiting)


@behaviour(
    "B-PROC-KILL-ONLY-RECEIVE",
    (R.PROC_KILL, R.PORT_RECEIVE),
    "kill the holder of the only RECEIVE capability of a port",
    Kill,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    assert isinstance(op, Kill)
    if not ok(r):
        return False
    held = {
        c.obj
        for cid in pre.processes[Pid(op.target)].handles.values()
        if (c := pre.caps[cid]).kind is Kind.PORT and c.rights & RECEIVE
    }
    for c in pre.caps.values():
        if c.obj in held and c.rights & RECEIVE:
            at = c.at
            if not (isinstance(at, AtHandle) and at.pid == op.target):
                held.discard(c.obj)
    return bool(held)


@behaviour(
    "B-PROC-KILL-SENDER-QUEUED",
    (R.PROC_KILL, R.PORT_SEND),
    "kill a process whose sent messages are still queued",
    Kill,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    assert isinstance(op, Kill)
    return ok(r) and any(
        m.sender == op.target
        for o in pre.objects.values()
        if isinstance(o, Port)
        for m in o.queue
    )


@behaviour(
    "B-CAP-DROP-MAPPED",
    (R.CAP_DROP, R.BUF_MAP),
    "drop a buffer capability a mapping was made through",
    Drop,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    assert isinstance(op, Drop)
    cid = cap_id_at(pre, pid, op.handle)
    return ok(r) and any(
        m.cap == cid for m in pre.processes[Pid(pid)].mappings.values()
    )


@behaviour(
    "B-CAP-DROP-MIDDLE",
    (R.CAP_DROP, R.RIGHTS_DERIVE),
    "drop a capability that has both a parent and children",
    Drop,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    c = cap_at(pre, pid, getattr(op, "handle", None))
    return ok(r) and c is not None and c.parent is not None and bool(c.children)


@behaviour(
    "B-CAP-FOREIGN-HANDLE",
    (R.CAP_HANDLE,),
    "use a number that is a live handle of another process only",
    Inspect,
    Drop,
    Send,
    Receive,
    Derive,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    handle = getattr(op, "handle", None)
    return (
        failed_with(r, "InvalidCapability")
        and cap_id_at(pre, pid, handle) is None
        and any(q != pid and handle in p.handles for q, p in pre.processes.items())
    )


travelled_use(
    "B-CAP-INSPECT-TRAVELLED",
    (R.CAP_INSPECT, R.MSG_TRANSFER),
    "inspect a capability received from another process",
    Inspect,
)


@behaviour(
    "B-CAP-RECLAIM-LAST",
    (R.CAP_RECLAIM, R.CAP_DROP),
    "take away the last capability of an object: the object is destroyed",
    Drop,
    Kill,
    Unbind,
    Send,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return ok(r) and any(obj not in post.objects for obj in pre.objects)


@behaviour(
    "B-CAP-RECLAIM-CYCLE",
    (R.CAP_RECLAIM, R.PORT_CLOSE),
    "send a port's own RECEIVE capability into its queue (a self-cycle)",
    Send,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    dest = cap_at(pre, pid, getattr(op, "handle", None))
    carried = [cap_at(pre, pid, x) for x in getattr(op, "caps", ())]
    return (
        ok(r)
        and dest is not None
        and any(
            c is not None and c.obj == dest.obj and c.rights & RECEIVE for c in carried
        )
    )


refusal(
    "B-PROC-BLOCKED-ISSUES",
    (R.PROC_STATUS,),
    "a blocked or woken process issues something other than Resume",
    error="ProcessBlocked",
)


# -- rights and derivation ------------------------------------------------------------


travelled_use(
    "B-CAP-TRAVELLED-DERIVE",
    (R.RIGHTS_DERIVE, R.MSG_TRANSFER),
    "derive from a capability received from another process",
    Derive,
)


@behaviour(
    "B-CAP-TRAVELLED-REVOKE",
    (R.RIGHTS_REVOKE, R.MSG_TRANSFER),
    "revoke, destroying something, through a capability received from another process",
    Revoke,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return (
        isinstance(r, Ok)
        and r.value != 0
        and travelled(pre, pid, getattr(op, "handle", None), h)
    )


@behaviour(
    "B-RIGHTS-REVOKE-THROUGH-DROPPED",
    (R.RIGHTS_REVOKE, R.CAP_DROP),
    "revoke reaches a descendant through a dropped intermediate",
    Revoke,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return (
        ok(r)
        and bool(h.reparented)
        and any(c in h.reparented for c in destroyed(pre, post))
    )


@behaviour(
    "B-RIGHTS-REVOKE-QUEUED",
    (R.RIGHTS_REVOKE, R.MSG_INFLIGHT_REVOKE),
    "revoke a port capability while another process's message carrying"
    " capabilities is queued on the port",
    Revoke,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    c = cap_at(pre, pid, getattr(op, "handle", None))
    o = None if c is None else pre.objects.get(c.obj)
    return (
        isinstance(r, Ok)
        and r.value != 0
        and isinstance(o, Port)
        and any(m.sender != pid and any(m.caps) for m in o.queue)
    )


@behaviour(
    "B-RIGHTS-DERIVE-DEEP",
    (R.RIGHTS_DERIVE,),
    "derive a third generation (from a capability with two ancestors or more)",
    Derive,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    cid = cap_id_at(pre, pid, getattr(op, "handle", None))
    return ok(r) and cid is not None and depth(pre, cid) >= 2


refusal(
    "B-RIGHTS-DERIVE-AMPLIFY",
    (R.RIGHTS_DERIVE,),
    "derive asking for a right the parent lacks",
    Derive,
    error="InsufficientRights",
)


@behaviour(
    "B-RIGHTS-REVOKE-OTHER-PROCESS",
    (R.RIGHTS_REVOKE,),
    "revoke destroys a capability held by another process",
    Revoke,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return ok(r) and any(
        isinstance(at := pre.caps[c].at, AtHandle) and at.pid != pid
        for c in destroyed(pre, post)
    )


@behaviour(
    "B-RIGHTS-REVOKE-WAKES-RECEIVER",
    (R.RIGHTS_REVOKE, R.PORT_RECEIVE),
    "revoke wakes a receiver blocked through a revoked capability",
    Revoke,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return ok(r) and bool(woken(pre, post))


@behaviour(
    "B-RIGHTS-REVOKE-BINDING",
    (R.RIGHTS_REVOKE, R.NS_BIND),
    "revoke removes a namespace binding",
    Revoke,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return ok(r) and len(post.namespace) < len(pre.namespace)


@behaviour(
    "B-RIGHTS-ATTENUATED-REFUSED",
    (R.RIGHTS_REQUIRED, R.RIGHTS_DERIVE),
    "a derived capability is refused for a right it was derived without",
    Send,
    Receive,
    Close,
    SetFilter,
    Bind,
    ChannelSend,
    ChannelReceive,
    MapBuffer,
    TransferBuffer,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    c = cap_at(pre, pid, getattr(op, "handle", None))
    return (
        failed_with(r, "InsufficientRights") and c is not None and c.parent is not None
    )


# -- namespace ------------------------------------------------------------------------


def _published(pre: S, op: Operation) -> int | None:
    """The rights the binding of ``op.name`` publishes, if it is bound."""
    b = pre.namespace.get(getattr(op, "name", ""))
    return None if b is None else pre.caps[b.cap].rights


@behaviour(
    "B-NS-LOOKUP-SEND-ONLY",
    (R.NS_BIND, R.NS_LOOKUP),
    "look up a name published SEND only by a binder holding RECEIVE (the"
    " seed's bind(name, port.capability))",
    Lookup,
    Connect,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    b = pre.namespace.get(getattr(op, "name", ""))
    parent = None if b is None else pre.caps[b.cap].parent
    return (
        ok(r)
        and _published(pre, op) == SEND
        and parent is not None
        and bool(pre.caps[parent].rights & RECEIVE)
    )


@behaviour(
    "B-NS-LOOKUP-PUBLISHED-RECEIVE",
    (R.NS_BIND, R.NS_LOOKUP),
    "look up a name whose binder explicitly published RECEIVE or MANAGE",
    Lookup,
    Connect,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return ok(r) and bool((_published(pre, op) or 0) & (RECEIVE | MANAGE))


@behaviour(
    "B-NS-LOOKED-UP-NO-RECEIVE",
    (R.NS_LOOKUP, R.RIGHTS_REQUIRED),
    "receive from or close a port through a looked-up SEND capability (refused)",
    Receive,
    Close,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    cid = cap_id_at(pre, pid, getattr(op, "handle", None))
    return failed_with(r, "InsufficientRights") and cid in h.looked_up


@behaviour(
    "B-NS-BIND-RIGHTS-NOT-HELD",
    (R.NS_BIND, R.RIGHTS_DERIVE),
    "bind publishing a right the binder's capability lacks (refused)",
    Bind,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    c = cap_at(pre, pid, getattr(op, "handle", None))
    rights = getattr(op, "rights", 0)
    return (
        failed_with(r, "InsufficientRights")
        and c is not None
        and bool(c.rights & GRANT)
        and bool(rights & ~c.rights)
    )


def _barred(attr: str) -> Callable[[S, int, Operation, Result, S, H], bool]:
    def barred(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
        p = pre.processes.get(Pid(pid))
        return (
            failed_with(r, "InsufficientRights")
            and p is not None
            and not getattr(p, attr)
        )

    return barred


behaviour(
    "B-NS-SQUAT-REFUSED",
    (R.NS_BIND, R.PROC_SPAWN),
    "a process spawned without may_bind binds a name (refused)",
    Bind,
    SockBind,
)(_barred("may_bind"))
behaviour(
    "B-NS-LOOKUP-REFUSED",
    (R.NS_LOOKUP, R.PROC_SPAWN),
    "a process spawned without may_lookup looks a name up (refused)",
    Lookup,
    Connect,
    SockConnect,
)(_barred("may_lookup"))


@behaviour(
    "B-NS-UNBIND-THEN-LOOKUP",
    (R.NS_LOOKUP, R.NS_UNBIND),
    "look up (or connect to) a name after it was unbound",
    Lookup,
    Connect,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return failed_with(r, "PortNotFound") and getattr(op, "name", None) in h.unbound


@behaviour(
    "B-NS-LOOKUP-CLOSED-PORT",
    (R.NS_LOOKUP, R.PORT_CLOSE),
    "look up a name whose port was closed (the binding went with it)",
    Lookup,
    Connect,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    name = getattr(op, "name", None)
    return failed_with(r, "PortNotFound") and name in h.closed_names


@behaviour(
    "B-NS-UNBIND-LOOKED-UP-STAYS",
    (R.NS_UNBIND, R.NS_LOOKUP),
    "unbind a name whose capability was looked up (the copies stay)",
    Unbind,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    b = pre.namespace.get(getattr(op, "name", ""))
    return ok(r) and b is not None and bool(pre.caps[b.cap].children)


refusal(
    "B-NS-CONNECT-MISMATCH",
    (R.NS_CONNECT,),
    "typed connect to a binding of another service type",
    Connect,
    error="TypeMismatch",
)


@behaviour(
    "B-NS-REBIND",
    (R.NS_BIND, R.NS_UNBIND),
    "bind a name again after it was unbound",
    Bind,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return ok(r) and getattr(op, "name", None) in h.unbound


@behaviour(
    "B-NS-UNBIND-WRONG-PORT",
    (R.NS_UNBIND, R.RIGHTS_REQUIRED),
    "unbind with MANAGE on another port than the bound one",
    Unbind,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    c = cap_at(pre, pid, getattr(op, "handle", None))
    return (
        failed_with(r, "InsufficientRights")
        and c is not None
        and bool(c.rights & MANAGE)
    )


@behaviour(
    "B-NS-LOOKED-UP-SEND",
    (R.NS_LOOKUP, R.PORT_SEND),
    "send through a capability obtained by lookup",
    Send,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    cid = cap_id_at(pre, pid, getattr(op, "handle", None))
    return ok(r) and cid is not None and cid in h.looked_up
