"""Capability tables and the derivation tree (groups "caps" and "rights").

Seed section "Capability Integration": *all IPC operations require
capabilities*. A process names a capability by a **handle**, a small integer
that is an index into that process's own handle table and means nothing
anywhere else. Authority is obtained only by creating an object, deriving from a
capability one holds, receiving one in a message, or looking a name up; never by
guessing a number (CAP-HANDLE).

Every capability is a node of one **derivation tree**, after seL4's
capability derivation tree (CDT): ``Derive`` adds a child with a subset of its
parent's rights; ``Revoke`` destroys every descendant of a capability, wherever
it is held: in any process's table, in a message in flight, in a namespace
binding, in a socket. ``Drop`` destroys one capability; its children are
re-attached to its parent, so dropping an intermediate capability never lets a
descendant escape a later revoke of an ancestor.

Departure from seL4. In seL4 (reference manual, chapter "Kernel Services and
Objects", section on memory revocation and the CDT) only some capabilities
have children: objects retyped from an untyped capability, and copies of an
untyped capability, are that untyped capability's children, and an *original*
capability (the one a retype
created, or a badged endpoint minted from an unbadged one) may have one level
of derived children; further copies of a derived capability
(``seL4_CNode_Copy``, ``seL4_CNode_Mint``) become its siblings, not its
children. So ``seL4_CNode_Revoke`` on a derived capability removes nothing
that was copied from it. Here every ``Derive`` makes a child at any depth, so
each holder can revoke exactly what it handed out: the seed gives a
capability a ``derive`` operation and rights to narrow (seed "Port Rights"),
and the namespace's promise that a binder controls everything obtained through
its name (NS-BIND) needs revocation below the first level.

Rules, in reading order: CAP-HANDLE, CAP-INSPECT, RIGHTS-DERIVE, CAP-DROP,
RIGHTS-REVOKE. The helpers after them (``new_cap``, ``install``, ``detach``,
``destroy``) are the bookkeeping every chapter uses to create, move and destroy
capabilities.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.vocabulary._registry import rule
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import CapId, Handle, ObjId, Pid
from veridian_ipc.vocabulary.results import CapInfo, Err, Ok
from veridian_ipc.vocabulary.rights import ALL_RIGHTS, has, is_subset
from veridian_ipc.vocabulary.syscalls import Derive, Drop, Inspect, Revoke

from . import quotas
from .state import (
    AtHandle,
    Cap,
    InBinding,
    InFlight,
    InSocket,
    KernelState,
    Kind,
    Location,
    Sending,
    Waiting,
)
from .store import Step, fail, port, proc, put_cap, put_obj, wake
from .tasks import put_table, table_of, task_of, threads_of

# -- rules ------------------------------------------------------------------------


@rule(RuleId.CAP_HANDLE)
def resolve(
    s: KernelState, pid: Pid, handle: int, kind: Kind | None = None
) -> tuple[CapId, Cap] | IpcError:
    """A handle names a capability only in the process that holds it.

    ``handle`` resolves to a capability when it is a key of ``pid``'s handle
    table. Handles are allocated per process from a counter starting at 1 and are
    **never reused**: a handle that was never issued, was dropped, revoked or
    moved away in a message, or belongs to another process resolves to nothing.
    When the operation needs one kind of object, a capability for another kind
    is also refused (seL4 reports a wrong capability type as an invalid
    capability; this spec does the same).

    Errors, in precedence order:

    - ``InvalidCapability``: not a live handle of ``pid``, or the wrong kind.
    """
    cap_id = table_of(s, pid).handles.get(Handle(handle))
    if cap_id is None:
        return IpcError.InvalidCapability
    cap = s.caps[cap_id]
    if kind is not None and cap.kind is not kind:
        return IpcError.InvalidCapability
    return cap_id, cap


def authorize(
    s: KernelState, pid: Pid, handle: int, kind: Kind | None, needed: int
) -> tuple[CapId, Cap] | IpcError:
    """CAP-HANDLE, then RIGHTS-REQUIRED: the capability behind ``handle``
    (of ``kind``, if given), provided it holds every right in ``needed``.

    Errors, in precedence order:

    - ``InvalidCapability``: CAP-HANDLE.
    - ``InsufficientRights``: a right in ``needed`` is missing.
    """
    found = resolve(s, pid, handle, kind)
    if isinstance(found, IpcError):
        return found
    if not has(found[1].rights, needed):
        return IpcError.InsufficientRights
    return found


@rule(RuleId.CAP_INSPECT)
def inspect_handle(s: KernelState, pid: Pid, op: Inspect) -> Step:
    """Report the kind of object and the rights behind a handle; changes nothing.

    Errors, in precedence order:

    - ``InvalidCapability``: CAP-HANDLE.
    """
    found = resolve(s, pid, op.handle)
    if isinstance(found, IpcError):
        return fail(s, found)
    _, cap = found
    return s, Ok(CapInfo(kind=cap.kind.value, rights=cap.rights))


@rule(RuleId.RIGHTS_DERIVE)
def derive(s: KernelState, pid: Pid, op: Derive) -> Step:
    """A new handle, in the caller's table, to the same object with fewer rights.

    The new capability is a child of the old one in the derivation tree and its
    rights are exactly ``op.rights``, which must be a subset of the parent's:
    rights are never amplified. Deriving needs no particular right (attenuating
    one's own authority is always allowed; seL4's ``CNode_Mint`` and Zircon's
    ``zx_handle_replace`` likewise only narrow). Passing a capability to another
    process is what needs GRANT (MSG-TRANSFER), so derive cannot leak authority.

    Errors, in precedence order:

    - ``InvalidCapability``: CAP-HANDLE.
    - ``InvalidArgument``: ``op.rights`` has a bit outside the six defined ones.
    - ``InsufficientRights``: ``op.rights`` is not a subset of the parent's.
    - ``OutOfMemory``: the caller's handle quota is spent (spec/quotas.py).
    """
    found = resolve(s, pid, op.handle)
    if isinstance(found, IpcError):
        return fail(s, found)
    parent_id, parent = found
    if not 0 <= op.rights <= ALL_RIGHTS:
        return fail(s, IpcError.InvalidArgument)
    if not is_subset(op.rights, parent.rights):
        return fail(s, IpcError.InsufficientRights)
    if (err := quotas.check_handles(s, pid)) is not None:
        return fail(s, err)
    s, handle = new_handle(s, pid, parent.obj, parent.kind, op.rights, parent_id)
    return s, Ok(handle)


@rule(RuleId.CAP_DROP)
def drop(s: KernelState, pid: Pid, op: Drop) -> Step:
    """Remove one handle from the caller's table and destroy its capability.

    The capability's children stay valid and move up to its parent, so a revoke
    of any ancestor still reaches them. Mappings made through the capability are
    removed with it (BUF-MAP). Dropping a capability does not close its object:
    closing is an explicit, MANAGE-guarded act (PORT-CLOSE). Two exceptions
    follow from what is left: a port's last usable RECEIVE gone, the port is
    closed and its queue destroyed (PORT-CLOSE, spec/orphans.py); an object's
    last reachable capability gone, the object is destroyed (CAP-RECLAIM,
    spec/reclaim.py).

    Errors, in precedence order:

    - ``InvalidCapability``: CAP-HANDLE.
    """
    found = resolve(s, pid, op.handle)
    if isinstance(found, IpcError):
        return fail(s, found)
    return destroy(s, found[0]), Ok(None)


@rule(RuleId.RIGHTS_REVOKE)
def revoke(s: KernelState, pid: Pid, op: Revoke) -> Step:
    """Destroy every capability derived, directly or transitively, from this one.

    The capability itself stays. Its descendants are destroyed wherever they are:
    handles disappear from every process's table (their mappings with them), a
    process blocked in a receive through one is woken with ``InvalidCapability``,
    copies in flight are stripped from their messages (MSG-INFLIGHT-REVOKE),
    namespace bindings made from them disappear, and sockets connected through
    them become unconnected. (A revoke never leaves a port unreceivable: the
    revoker keeps this capability, whose rights include every descendant's.)
    None can be used or re-obtained afterwards: every
    handle given out later is derived anew. Any holder may revoke (seL4's
    ``seL4_CNode_Revoke`` needs only access to the capability's slot): what was
    derived from a capability is under its holder's control. Unlike seL4, where
    copies of a derived capability are its siblings and survive its revoke,
    every derivation here is a child, at any depth (see the module docstring).
    Result: the number of capabilities
    destroyed.

    Messages in flight. A revoke reaches the capabilities
    that descend from this one and nothing else: a message queued through a
    SEND capability that is then revoked stays queued and is delivered, and
    every capability it carries that does not descend from the revoked one is
    installed at delivery as usual (MSG-INFLIGHT-REVOKE); only the slots of
    descendants read ``None``. A completed send belongs to the port's queue,
    not to the capability it went through: Zircon's channel message owns its
    handles, and Mach's rights in a message are independent of the send right
    used. seL4 destroys derived capabilities wherever they are, as here, and
    ``seL4_CNode_CancelBadgedSends`` aborts the IPCs of *blocked* senders with
    a badge; that is followed only partly: a send here never blocks half-done
    (it is queued or refused), and the message records its sender's pid, not
    the capability (MSG-SENDER), so there is nothing to cancel by. A server
    that must stop reading a revoked client's queued messages gives each
    client its own port and closes it.

    Errors, in precedence order:

    - ``InvalidCapability``: CAP-HANDLE.
    """
    found = resolve(s, pid, op.handle)
    if isinstance(found, IpcError):
        return fail(s, found)
    doomed = descendants(s, found[0])
    for cap_id in reversed(doomed):
        s = destroy(s, cap_id)
    return s, Ok(len(doomed))


# -- bookkeeping ------------------------------------------------------------------


def descendants(s: KernelState, cap_id: CapId) -> list[CapId]:
    """Every strict descendant of ``cap_id``, parents before children."""
    out: list[CapId] = []
    todo = sorted(s.caps[cap_id].children)
    while todo:
        c = todo.pop(0)
        out.append(c)
        todo.extend(sorted(s.caps[c].children))
    return out


def new_cap(
    s: KernelState,
    obj: ObjId,
    kind: Kind,
    rights: int,
    parent: CapId | None,
    at: Location,
) -> tuple[KernelState, CapId]:
    """Add a capability node (a child of ``parent`` if given) held at ``at``.

    The caller puts it into the place ``at`` names (``new_handle`` does both for
    a handle table).
    """
    cap_id = CapId(s.next_cap)
    s = replace(s, next_cap=s.next_cap + 1)
    s = put_cap(s, cap_id, Cap(obj, kind, rights, parent, frozenset(), at))
    if parent is not None:
        pc = s.caps[parent]
        s = put_cap(s, parent, replace(pc, children=pc.children | {cap_id}))
    return s, cap_id


def new_handle(
    s: KernelState, pid: Pid, obj: ObjId, kind: Kind, rights: int, parent: CapId | None
) -> tuple[KernelState, Handle]:
    """A new capability in ``pid``'s table (its task's) under a new handle."""
    at = AtHandle(task_of(s, pid), Handle(table_of(s, pid).next_handle))
    s, cap_id = new_cap(s, obj, kind, rights, parent, at)
    return install(s, pid, cap_id)


def install(s: KernelState, pid: Pid, cap_id: CapId) -> tuple[KernelState, Handle]:
    """Put capability ``cap_id`` (held nowhere) into the table of ``pid``'s
    task (spec/tasks.py) under a new handle."""
    p = table_of(s, pid)
    handle = Handle(p.next_handle)
    s = put_table(
        s,
        pid,
        replace(p, handles=p.handles.set(handle, cap_id), next_handle=handle + 1),
    )
    return relocate(s, cap_id, AtHandle(task_of(s, pid), handle)), handle


def relocate(s: KernelState, cap_id: CapId, at: Location) -> KernelState:
    """Record that ``cap_id`` is now held at ``at``."""
    return put_cap(s, cap_id, replace(s.caps[cap_id], at=at))


def detach(s: KernelState, cap_id: CapId) -> KernelState:
    """Take ``cap_id`` out of the place that holds it (the node itself stays).

    Out of a handle table, the mappings made through it go too, and a receive
    waiting through it ends with ``InvalidCapability`` (the receive of every
    thread of the task waiting through it, PROC-THREAD); out of a message in
    flight, its slot becomes ``None``; out of the namespace, the binding goes; out
    of a socket, the peer side becomes unconnected, or (its own port) the file
    descriptor closes.
    """
    at = s.caps[cap_id].at
    if isinstance(at, AtHandle):
        p = table_of(s, at.pid)
        mappings = p.mappings
        for map_id, m in p.mappings.items():
            if m.cap == cap_id:
                mappings = mappings.delete(map_id)
        s = put_table(
            s,
            at.pid,
            replace(p, handles=p.handles.delete(at.handle), mappings=mappings),
        )
        for thread in threads_of(s, at.pid):
            status = proc(s, thread).status
            if isinstance(status, Waiting | Sending) and status.cap == cap_id:
                s = wake(s, thread, Err(IpcError.InvalidCapability))
    elif isinstance(at, InFlight):
        pt = port(s, at.port)
        queue = tuple(
            replace(m, caps=tuple(None if c == cap_id else c for c in m.caps))
            if cap_id in m.caps
            else m
            for m in pt.queue
        )
        s = put_obj(s, at.port, replace(pt, queue=queue))
    elif isinstance(at, InBinding):
        s = replace(s, namespace=s.namespace.delete(at.name))
    elif isinstance(at, InSocket):
        p = table_of(s, at.pid)
        if at.peer:
            fds = p.fds.set(at.fd, replace(p.fds[at.fd], peer=None))
        else:  # a socket's own port capability goes only when the socket does
            fds = p.fds.delete(at.fd)
        s = put_table(s, at.pid, replace(p, fds=fds))
    return s


def destroy(s: KernelState, cap_id: CapId) -> KernelState:
    """Detach ``cap_id`` and remove its node; its children move up to its parent."""
    s = detach(s, cap_id)
    cap = s.caps[cap_id]
    for child in cap.children:
        s = put_cap(s, child, replace(s.caps[child], parent=cap.parent))
    if cap.parent is not None:
        pc = s.caps[cap.parent]
        s = put_cap(
            s, cap.parent, replace(pc, children=(pc.children - {cap_id}) | cap.children)
        )
    return replace(s, caps=s.caps.delete(cap_id))


def caps_of_object(s: KernelState, obj: ObjId) -> list[CapId]:
    """Every capability naming object ``obj``, in id order."""
    return sorted(cid for cid, c in s.caps.items() if c.obj == obj)


__all__ = [
    "caps_of_object",
    "derive",
    "descendants",
    "destroy",
    "detach",
    "drop",
    "inspect_handle",
    "install",
    "new_cap",
    "relocate",
    "resolve",
    "revoke",
]
