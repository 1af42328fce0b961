"""Capability tables and the derivation tree (CAP-*, RIGHTS-DERIVE, RIGHTS-REVOKE).

A handle table maps handle -> ``Cap``; the tree links are object references, so
resolving a handle is one dict lookup and a rights check one ``&``. ``detach``
takes a capability out of wherever it is held (handle table, message in flight,
binding, socket) with that place's consequences; ``destroy`` also removes the
node and re-attaches its children to its parent (CAP-DROP).
"""

from __future__ import annotations

from veridian_ipc.vocabulary.results import CapInfo, Ok, Result
from veridian_ipc.vocabulary.rights import ALL_RIGHTS
from veridian_ipc.vocabulary.syscalls import Derive, Drop, Inspect, Revoke

from . import quotas
from .blocking import wake_through
from .state import (
    AT_HANDLE,
    IN_BINDING,
    IN_FLIGHT,
    IN_SOCKET_OWN,
    IN_SOCKET_PEER,
    NOWHERE,
    Buffer,
    Cap,
    KObject,
    Port,
    Process,
    State,
    end_mapping,
)
from .store import (
    E_INSUFFICIENT_RIGHTS,
    E_INVALID_ARGUMENT,
    E_INVALID_CAPABILITY,
    OK_NONE,
    wake,
)
from .waiting import notify


def inspect_handle(st: State, p: Process, op: Inspect) -> Result:
    """CAP-INSPECT: kind and rights behind a handle (CAP-HANDLE)."""
    cap = p.handles.get(op.handle)
    if cap is None:
        return E_INVALID_CAPABILITY
    return Ok(CapInfo(cap.obj.kind, cap.rights))


def derive(st: State, p: Process, op: Derive) -> Result:
    """RIGHTS-DERIVE: a child capability with a subset of the rights."""
    cap = p.handles.get(op.handle)
    if cap is None:
        return E_INVALID_CAPABILITY
    rights = op.rights
    if not 0 <= rights <= ALL_RIGHTS:
        return E_INVALID_ARGUMENT
    if rights & ~cap.rights:
        return E_INSUFFICIENT_RIGHTS
    if (quota := quotas.check_handles(st, p)) is not None:
        return quota
    return Ok(install(p, new_cap(cap.obj, rights, cap)))


def drop(st: State, p: Process, op: Drop) -> Result:
    """CAP-DROP: destroy one capability; its children move up to its parent."""
    cap = p.handles.get(op.handle)
    if cap is None:
        return E_INVALID_CAPABILITY
    destroy(st, cap)
    return OK_NONE


def revoke(st: State, p: Process, op: Revoke) -> Result:
    """RIGHTS-REVOKE: destroy every descendant, wherever it is held.

    Result: how many were destroyed.
    """
    cap = p.handles.get(op.handle)
    if cap is None:
        return E_INVALID_CAPABILITY
    doomed = descendants(cap)
    for c in reversed(doomed):
        destroy(st, c)
    return Ok(len(doomed))


# -- bookkeeping ------------------------------------------------------------------


def descendants(cap: Cap) -> list[Cap]:
    """Every strict descendant of ``cap``, parents before children."""
    out: list[Cap] = []
    if not cap.children:
        return out
    todo = list(cap.children)
    i = 0
    while i < len(todo):
        c = todo[i]
        i += 1
        out.append(c)
        if c.children:
            todo.extend(c.children)
    return out


def new_cap(obj: KObject, rights: int, parent: Cap | None) -> Cap:
    """A new capability node (held nowhere yet), a child of ``parent``."""
    cap = Cap(obj, rights, parent)
    if parent is not None:
        if parent.children is None:
            parent.children = {cap}
        else:
            parent.children.add(cap)
    if obj.caps is not None:
        obj.caps.add(cap)
    return cap


def install(p: Process, cap: Cap) -> int:
    """Put ``cap`` (held nowhere) into ``p``'s table (its task's) under a new
    handle."""
    p = p.task
    handle = p.next_handle
    p.next_handle = handle + 1
    p.handles[handle] = cap
    cap.where = AT_HANDLE
    cap.proc = p
    cap.handle = handle
    return handle


def install_all(p: Process, caps: list[Cap | None]) -> list[int | None]:
    """``install`` each capability of a delivered message, in order; a slot
    emptied in flight (None) stays None."""
    p = p.task
    table = p.handles
    handle = p.next_handle
    out: list[int | None] = []
    for cap in caps:
        if cap is None:
            out.append(None)
        else:
            table[handle] = cap
            cap.where = AT_HANDLE
            cap.proc = p
            cap.handle = handle
            out.append(handle)
            handle += 1
    p.next_handle = handle
    return out


def detach(st: State, cap: Cap) -> None:
    """Take ``cap`` out of the place that holds it (the node stays).

    Out of a handle table its mappings go and receives waiting through it end
    with ``InvalidCapability``; out of a message its slot becomes ``None``; out
    of the namespace the binding goes; out of a socket the peer becomes
    unconnected or (its own port) the file descriptor closes.
    """
    where = cap.where
    if where == AT_HANDLE:
        p = cap.proc
        assert p is not None
        del p.handles[cap.handle]
        if cap.mappings:
            for map_id in cap.mappings:
                end_mapping(p.mappings.pop(map_id))
            cap.mappings = None
        obj = cap.obj
        if type(obj) is Port and obj.waiters:  # receives waiting through it end
            for w in [w for w in obj.waiters if w.cap is cap]:
                wake(st, w, E_INVALID_CAPABILITY)
        if obj.senders:  # sends blocked through it end (PORT-SEND-BLOCK)
            wake_through(st, obj, cap, E_INVALID_CAPABILITY)
        if obj.watchers:  # threads waiting for room or data retry, find it gone
            notify(obj)
        cap.proc = None
        cap.handle = 0
    elif where == IN_FLIGHT:
        msg = cap.msg
        assert msg is not None
        assert isinstance(msg.caps, list)
        msg.caps[msg.caps.index(cap)] = None
        cap.msg = None
    elif where == IN_BINDING:
        assert cap.name is not None
        del st.namespace[cap.name]
        cap.name = None
    elif where == IN_SOCKET_PEER:
        assert cap.sock is not None
        cap.sock.peer = None
        cap.sock = None
        cap.proc = None
    elif where == IN_SOCKET_OWN:
        assert cap.sock is not None
        assert cap.proc is not None
        del cap.proc.fds[cap.sock.fd]
        cap.sock = None
        cap.proc = None
    cap.where = NOWHERE


def destroy(st: State, cap: Cap) -> None:
    """Detach ``cap`` and remove its node; its children move up to its parent.

    Its object is a suspect, unless its parent is held in a table or a
    socket: once the operation is complete,
    model/orphans.py closes a port nobody can receive from (PORT-CLOSE) and
    model/reclaim.py destroys an object nobody can reach (CAP-RECLAIM)."""
    detach(st, cap)
    parent = cap.parent
    if parent is None or not (
        parent.where == AT_HANDLE or parent.where == IN_SOCKET_OWN
    ):
        # a parent held in a table or a socket has the same object and every
        # right its child had: the object stays reachable and receivable
        st.suspects.add(cap.obj)
    children = cap.children
    if children:
        for child in children:
            child.parent = parent
    if parent is not None:
        assert parent.children is not None
        parent.children.discard(cap)
        if children:
            parent.children |= children
    cap.children = None
    cap.parent = None
    obj = cap.obj
    if obj.caps is not None:
        obj.caps.discard(cap)
        if not obj.caps and isinstance(obj, Buffer) and obj.mem is not None:
            obj.mem.free()  # unreachable now (BUF-TRANSFER keeps its new cap)
            obj.mem = None
