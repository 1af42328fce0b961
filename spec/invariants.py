"""Invariants of the state: what every reachable state satisfies.

Each is a small named predicate, registered under an ``InvId`` (seL4's
``invs`` are composed the same way). ``violations(state)`` returns the IDs of
those that fail, which is more useful than a bare bool in a failing test. The
proofs (proofs/) prove them inductively over an encoding of the rules; the
conformance suite runs them as monitors on every step of every target.
"""

from __future__ import annotations

from collections.abc import Callable

from veridian_ipc.vocabulary._registry import invariant
from veridian_ipc.vocabulary.ids import InvId
from veridian_ipc.vocabulary.names import (
    MAX_INLINE_DATA,
    MAX_MESSAGE_CAPS,
    Handle,
    ObjId,
)
from veridian_ipc.vocabulary.results import Delivered, Ok
from veridian_ipc.vocabulary.rights import (
    BUFFER_RIGHTS,
    PORT_RIGHTS,
    READ,
    WRITE,
    has,
    is_subset,
)

from .blocking import has_room
from .orphans import receivable
from .reclaim import reachable
from .state import (
    AtHandle,
    Buffer,
    Channel,
    InBinding,
    InFlight,
    InSocket,
    KernelState,
    Kind,
    Port,
    Sending,
    Waiting,
    Woken,
)
from .tasks import table_of, task_of


@invariant(InvId.HANDLES_LIVE)
def valid_handles(s: KernelState) -> bool:
    """Every handle names a live capability recorded as held under that handle,
    and handle numbers are below the process's next handle (never reused).

    And every thread's task is alive (INV-TASKS, a clause of
    INV-HANDLES-LIVE, spec/tasks.py): a thread that is not its task's first
    names a live first thread, and its own record holds no table (its task's
    tables are the only ones it reads, PROC-THREAD)."""
    for p in s.processes.values():
        if p.task is None:
            continue
        first = s.processes.get(p.task)
        if first is None or first.task is not None:
            return False
        if p.handles or p.mappings or p.fds:
            return False
    for pid, p in s.processes.items():
        for h, cap_id in p.handles.items():
            cap = s.caps.get(cap_id)
            if cap is None or cap.at != AtHandle(pid, h) or not 0 < h < p.next_handle:
                return False
    return True


@invariant(InvId.CAP_LOCATION)
def valid_locations(s: KernelState) -> bool:
    """Every capability is held in exactly the one place its location names.
    And every live object is reachable from a root (INV-NO-UNREACHABLE, a
    clause of INV-CAP-LOCATION, spec/reclaim.py): an object nobody can reach
    has been destroyed (CAP-RECLAIM)."""
    alive = reachable(s)
    if any(obj not in alive for obj in s.objects):
        return False
    for cap_id, cap in s.caps.items():
        at = cap.at
        if isinstance(at, AtHandle):
            p = s.processes.get(at.pid)
            if p is None or p.handles.get(at.handle) != cap_id:
                return False
        elif isinstance(at, InFlight):
            pt = s.objects.get(at.port)
            if not isinstance(pt, Port):
                return False
            if sum(m.caps.count(cap_id) for m in pt.queue) != 1:
                return False
        elif isinstance(at, InBinding):
            b = s.namespace.get(at.name)
            if b is None or b.cap != cap_id:
                return False
        elif isinstance(at, InSocket):
            p = s.processes.get(at.pid)
            entry = None if p is None else p.fds.get(at.fd)
            if entry is None or (entry.peer if at.peer else entry.own) != cap_id:
                return False
    return True


@invariant(InvId.DERIVATION_TREE)
def valid_tree(s: KernelState) -> bool:
    """Parent and child links agree, parents are live and name the same object,
    and following parents always ends (no cycles)."""
    for cap_id, cap in s.caps.items():
        if cap.parent is not None:
            parent = s.caps.get(cap.parent)
            if parent is None or cap_id not in parent.children or parent.obj != cap.obj:
                return False
        for child in cap.children:
            c = s.caps.get(child)
            if c is None or c.parent != cap_id:
                return False
        seen = {cap_id}
        cur = cap.parent
        while cur is not None:
            if cur in seen:
                return False
            seen.add(cur)
            cur = s.caps[cur].parent
    return True


@invariant(InvId.RIGHTS_MONOTONE)
def no_rights_amplification(s: KernelState) -> bool:
    """A capability never holds a right its parent lacks."""
    return all(
        cap.parent is None or is_subset(cap.rights, s.caps[cap.parent].rights)
        for cap in s.caps.values()
        if cap.parent is None or cap.parent in s.caps
    )


@invariant(InvId.RIGHTS_KIND)
def valid_rights_kind(s: KernelState) -> bool:
    """A capability's rights are those of its object's kind, and its kind is the
    object's."""
    for cap in s.caps.values():
        obj = s.objects.get(cap.obj)
        if cap.kind is Kind.BUFFER:
            if not isinstance(obj, Buffer) or not is_subset(cap.rights, BUFFER_RIGHTS):
                return False
        elif cap.kind is Kind.PORT:
            if not isinstance(obj, Port) or not is_subset(cap.rights, PORT_RIGHTS):
                return False
        elif not isinstance(obj, Channel) or not is_subset(cap.rights, PORT_RIGHTS):
            return False
    return True


@invariant(InvId.QUEUE_BOUND)
def valid_queue_bounds(s: KernelState) -> bool:
    """No port holds more than its capacity: its queued messages plus those
    handed off from it and not yet collected (PORT-HANDOFF), each of which is
    an ``Ok(Delivered)`` waiting for its receiver's ``Resume``."""
    handed: dict[ObjId, int] = {}
    for p in s.processes.values():
        st = p.status
        if isinstance(st, Woken) and st.handed is not None:
            if not isinstance(st.result, Ok) or not isinstance(
                st.result.value, Delivered
            ):
                return False
            handed[st.handed] = handed.get(st.handed, 0) + 1
    if any(not isinstance(s.objects.get(obj), Port) for obj in handed):
        return False
    return all(
        len(o.queue) + handed.get(obj, 0) <= o.capacity
        for obj, o in s.objects.items()
        if isinstance(o, Port)
    )


@invariant(InvId.MESSAGE_LIMITS)
def valid_messages(s: KernelState) -> bool:
    """Every queued message has at most 64 bytes and 4 capabilities, each held
    in flight on that very port."""
    for obj, o in s.objects.items():
        if isinstance(o, Port):
            for m in o.queue:
                if len(m.data) > MAX_INLINE_DATA or len(m.caps) > MAX_MESSAGE_CAPS:
                    return False
                for c in m.caps:
                    if c is not None and s.caps[c].at != InFlight(obj):
                        return False
    return True


@invariant(InvId.WAITERS)
def valid_waiters(s: KernelState) -> bool:
    """A port has waiters only while open with an empty queue; each waiter is a
    distinct thread waiting on that port, and every waiting thread is queued
    there, through a capability its task holds; a waiting thread's deadline
    lies in the future. And a port that is
    open or holds messages is receivable (INV-PORT-RECEIVABLE, spec/orphans.py):
    nobody sends to, or leaves messages in, a port nobody can receive from.
    And the blocked senders (``valid_senders``, PORT-SEND-BLOCK)."""
    alive = receivable(s)
    for obj, o in s.objects.items():
        if isinstance(o, Port) and (not o.closed or o.queue) and obj not in alive:
            return False
    for obj, o in s.objects.items():
        if isinstance(o, Port) and o.waiters:
            if o.queue or o.closed or len(set(o.waiters)) != len(o.waiters):
                return False
            for w in o.waiters:
                p = s.processes.get(w)
                if (
                    p is None
                    or not isinstance(p.status, Waiting)
                    or p.status.port != obj
                ):
                    return False
    for pid, p in s.processes.items():
        st = p.status
        if isinstance(st, Waiting):
            pt = s.objects.get(st.port)
            if not isinstance(pt, Port) or pid not in pt.waiters:
                return False
            if st.deadline is not None and st.deadline <= s.clock:
                return False
            cap = s.caps.get(st.cap)
            if (
                cap is None
                or not isinstance(cap.at, AtHandle)
                or cap.at.pid != task_of(s, pid)
            ):
                return False
    return valid_senders(s)


def valid_senders(s: KernelState) -> bool:
    """INV-WAITERS' clauses for blocked senders (PORT-SEND-BLOCK,
    CHAN-SEND-BLOCK): a port's or channel's blocked senders are distinct
    threads, each ``Sending`` on it, and every ``Sending`` thread is among
    them; the object is open and full (no room: else the step that freed
    room would have served them), so on a port blocked senders and waiting
    receivers coexist only while the queue is empty and uncollected
    hand-offs hold every slot; the deadline lies in the future; the
    capability it sends through is still in its task's handle table
    (spec/tasks.py), under the handle its pending send names (a revoke, or a
    sibling thread's drop or move, would have woken it)."""
    for obj, o in s.objects.items():
        if isinstance(o, Port | Channel) and o.senders:
            if len(set(o.senders)) != len(o.senders) or has_room(s, obj):
                return False
            if o.closed:
                return False
            for q in o.senders:
                p = s.processes.get(q)
                if p is None or not isinstance(p.status, Sending):
                    return False
                if p.status.obj != obj:
                    return False
    for pid, p in s.processes.items():
        st = p.status
        if not isinstance(st, Sending):
            continue
        at = s.objects.get(st.obj)
        if not isinstance(at, Port | Channel) or pid not in at.senders:
            return False
        if st.deadline is not None and st.deadline <= s.clock:
            return False
        if table_of(s, pid).handles.get(Handle(st.op.handle)) != st.cap:
            return False
    return True


@invariant(InvId.RING_BOUNDS)
def valid_rings(s: KernelState) -> bool:
    """``0 <= write_idx - read_idx <= capacity``, and exactly the slots between
    the indices (mod capacity) hold messages, each within ``max_message``."""
    for o in s.objects.values():
        if isinstance(o, Channel):
            held = o.write_idx - o.read_idx
            if not (o.read_idx >= 0 and 0 <= held <= o.capacity):
                return False
            if len(o.slots) != o.capacity:
                return False
            full = {(o.read_idx + i) % o.capacity for i in range(held)}
            for i, slot in enumerate(o.slots):
                if (slot is not None) != (i in full):
                    return False
                if slot is not None and len(slot) > o.max_message:
                    return False
    return True


@invariant(InvId.BUFFER_BOUNDS)
def valid_buffers(s: KernelState) -> bool:
    """A buffer's stored bytes lie inside ``[0, size)`` and are bytes (1..255)."""
    for o in s.objects.values():
        if isinstance(o, Buffer):
            for off, b in o.contents.items():
                if not (0 <= off < o.size and 0 < b < 256):
                    return False
    return True


@invariant(InvId.MAPPINGS_LIVE)
def valid_mappings(s: KernelState) -> bool:
    """Every mapping goes through a capability its process holds, to that buffer,
    with READ, and WRITE if writable; mapping ids are never reused."""
    for pid, p in s.processes.items():
        for map_id, m in p.mappings.items():
            cap = s.caps.get(m.cap)
            if cap is None or not isinstance(cap.at, AtHandle) or cap.at.pid != pid:
                return False
            needed = READ | WRITE if m.writable else READ
            if cap.obj != m.buf or not has(cap.rights, needed):
                return False
            if not 0 < map_id < p.next_mapping:
                return False
    return True


@invariant(InvId.NAMESPACE_LIVE)
def valid_namespace(s: KernelState) -> bool:
    """Every binding holds a live port capability located in that binding, and
    its port is open: a binding dies with its port (NS-BIND, PORT-CLOSE)."""
    for name, b in s.namespace.items():
        cap = s.caps.get(b.cap)
        if cap is None or cap.kind is not Kind.PORT or cap.at != InBinding(name):
            return False
        pt = s.objects.get(cap.obj)
        if not isinstance(pt, Port) or pt.closed:
            return False
    return True


@invariant(InvId.SOCKETS_LIVE)
def valid_sockets(s: KernelState) -> bool:
    """Every socket's own capability is a live root port capability with every
    port right, and its peer (if any) a live SEND-only port capability."""
    for p in s.processes.values():
        for entry in p.fds.values():
            own = s.caps.get(entry.own)
            if own is None or own.parent is not None or own.rights != PORT_RIGHTS:
                return False
            if entry.peer is not None:
                peer = s.caps.get(entry.peer)
                if peer is None or peer.kind is not Kind.PORT:
                    return False
    return True


@invariant(InvId.BUCKET_BOUND)
def valid_buckets(s: KernelState) -> bool:
    """A rate limit's bucket holds between 0 and ``burst`` tokens, as of a tick
    not after the clock."""
    for o in s.objects.values():
        f = o.filter if isinstance(o, Port) else None
        if (
            f is not None
            and f.rate is not None
            and not (0 <= f.tokens <= f.rate.burst and f.stamp <= s.clock)
        ):
            return False
    return True


@invariant(InvId.IDS_FRESH)
def valid_fresh_ids(s: KernelState) -> bool:
    """Every pid, object id and capability id in use is below its counter, so
    the next one handed out is fresh."""
    return (
        all(0 < pid < s.next_pid for pid in s.processes)
        and all(0 < o < s.next_obj for o in s.objects)
        and all(0 < c < s.next_cap for c in s.caps)
    )


CHECKS: dict[InvId, Callable[[KernelState], bool]] = {
    InvId.HANDLES_LIVE: valid_handles,
    InvId.CAP_LOCATION: valid_locations,
    InvId.DERIVATION_TREE: valid_tree,
    InvId.RIGHTS_MONOTONE: no_rights_amplification,
    InvId.RIGHTS_KIND: valid_rights_kind,
    InvId.QUEUE_BOUND: valid_queue_bounds,
    InvId.MESSAGE_LIMITS: valid_messages,
    InvId.WAITERS: valid_waiters,
    InvId.RING_BOUNDS: valid_rings,
    InvId.BUFFER_BOUNDS: valid_buffers,
    InvId.MAPPINGS_LIVE: valid_mappings,
    InvId.NAMESPACE_LIVE: valid_namespace,
    InvId.SOCKETS_LIVE: valid_sockets,
    InvId.BUCKET_BOUND: valid_buckets,
    InvId.IDS_FRESH: valid_fresh_ids,
}


def violations(s: KernelState) -> list[InvId]:
    """The invariants ``s`` violates (empty for every reachable state)."""
    return [inv for inv, check in CHECKS.items() if not check(s)]


__all__ = ["CHECKS", "violations"]
