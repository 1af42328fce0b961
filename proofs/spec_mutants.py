"""Seeded bugs in the spec: realistic mistakes the formal layer must catch.

Each ``SpecMutant`` replaces one function of ``veridian_ipc.spec`` at run time
(``spec_mutants_patch.patched``) by a copy with one small, plausible mistake:
a check dropped, a comparison off by one, two checks swapped, a location
forgotten. The first seventeen are the bugs issue 13 lists; the rest are more
of the same kind. ``veridian-ipc check --spec-mutants`` runs the formal layer
on each (``spec_campaign``); every one must be caught by the exhaustive check.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace

from veridian_ipc.spec import (
    blocking,
    buffers,
    caps,
    channels,
    filters,
    messages,
    namespace,
    ports,
    processes,
    quotas,
    reclaim,
    sockets,
    timeouts,
)
from veridian_ipc.spec.caps import (
    authorize,
    descendants,
    destroy,
    detach,
    new_handle,
    resolve,
)
from veridian_ipc.spec.state import (
    RUNNING,
    AtHandle,
    Binding,
    Channel,
    Filter,
    InFlight,
    InSocket,
    KernelState,
    Kind,
    QueuedMessage,
    Waiting,
)
from veridian_ipc.spec.store import (
    Step,
    fail,
    port,
    proc,
    put_cap,
    put_obj,
    put_proc,
    wake,
)
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import CapId, Fd, ObjId, Pid
from veridian_ipc.vocabulary.results import BLOCKED, Err, Ok
from veridian_ipc.vocabulary.rights import (
    ALL_RIGHTS,
    GRANT,
    MANAGE,
    PORT_RIGHTS,
    RECEIVE,
    SEND,
    has,
)

from .spec_mutants_blocking import (
    block_deadline_late,
    close_leaves_senders,
    expire_receivers_only,
    serve_newest,
)
from .spec_mutants_handoff import give_back_nothing, offer_ignoring_handed
from .spec_mutants_patch import patched
from .spec_mutants_resources import (
    handles_one_over,
    handoff_bytes_free,
    transfer_by_delegate,
    transfer_strips_others,
)
from .spec_mutants_threads import kill_named_thread_only, thread_own_task

#: The originals, for mutants that wrap them (the patch replaces the module's).
_receive = ports.receive
_derive = caps.derive
_transfer_buffer = buffers.transfer_buffer
_bind = namespace.bind
_lookup = namespace.lookup


@dataclass(frozen=True)
class SpecMutant:
    """One seeded bug: what it breaks, and how to apply it."""

    id: str
    description: str
    apply: Callable[[], AbstractContextManager[None]]


# -- capabilities and rights --------------------------------------------------------


def derive_gains_grant(s: KernelState, pid: Pid, op: sc.Derive) -> Step:
    """RIGHTS-DERIVE whose subset check forgets GRANT: a child may gain it."""
    found = resolve(s, pid, op.handle)
    if isinstance(found, IpcError):
        return fail(s, found)
    if not 0 <= op.rights <= ALL_RIGHTS:
        return fail(s, IpcError.InvalidArgument)
    if op.rights & ~GRANT & ~found[1].rights:
        return fail(s, IpcError.InsufficientRights)
    s, h = new_handle(s, pid, found[1].obj, found[1].kind, op.rights, found[0])
    return s, Ok(h)


def derive_no_parent(s: KernelState, pid: Pid, op: sc.Derive) -> Step:
    """RIGHTS-DERIVE that forgets the parent link (revoke cannot reach it)."""
    found = resolve(s, pid, op.handle)
    if isinstance(found, IpcError):
        return fail(s, found)
    if not 0 <= op.rights <= ALL_RIGHTS:
        return fail(s, IpcError.InvalidArgument)
    if op.rights & ~found[1].rights:
        return fail(s, IpcError.InsufficientRights)
    s, h = new_handle(s, pid, found[1].obj, found[1].kind, op.rights, None)
    return s, Ok(h)


def _descendants_skipping(where: type) -> Callable[[KernelState, CapId], list[CapId]]:
    def skipping(s: KernelState, cap_id: CapId) -> list[CapId]:
        return [
            c for c in descendants(s, cap_id) if not isinstance(s.caps[c].at, where)
        ]

    place = "sockets" if where is InSocket else "messages in flight"
    skipping.__doc__ = f"RIGHTS-REVOKE skipping descendants held in {place}."
    return skipping


def destroy_no_reparent(s: KernelState, cap_id: CapId) -> KernelState:
    """CAP-DROP that leaves the children pointing at their destroyed parent."""
    s = detach(s, cap_id)
    cap = s.caps[cap_id]
    if cap.parent is not None:
        pc = s.caps[cap.parent]
        s = put_cap(s, cap.parent, replace(pc, children=pc.children - {cap_id}))
    return replace(s, caps=s.caps.delete(cap_id))


def detach_keeps_mappings(s: KernelState, cap_id: CapId) -> KernelState:
    """A capability leaving a table keeps the mappings made through it."""
    at = s.caps[cap_id].at
    if isinstance(at, AtHandle):
        p = proc(s, at.pid)
        s = put_proc(s, at.pid, replace(p, handles=p.handles.delete(at.handle)))
        st = proc(s, at.pid).status
        if isinstance(st, Waiting) and st.cap == cap_id:
            s = wake(s, at.pid, Err(IpcError.InvalidCapability))
        return s
    return detach(s, cap_id)


def lookup_full_rights(s: KernelState, pid: Pid, binding: Binding) -> Step:
    """NS-LOOKUP handing out every port right, not the binding's."""
    bc = s.caps[binding.cap]
    s, h = new_handle(s, pid, bc.obj, bc.kind, PORT_RIGHTS, binding.cap)
    return s, Ok(h)


# -- messages -------------------------------------------------------------------------


def transfer_no_grant(
    s: KernelState, pid: Pid, hs: tuple[int, ...]
) -> tuple[CapId, ...] | IpcError:
    """MSG-TRANSFER without the GRANT check."""
    ids: list[CapId] = []
    for h in hs:
        found = resolve(s, pid, h)
        if isinstance(found, IpcError):
            return found
        ids.append(found[0])
    return tuple(ids)


def transfer_grant_first(
    s: KernelState, pid: Pid, hs: tuple[int, ...]
) -> tuple[CapId, ...] | IpcError:
    """MSG-TRANSFER checking GRANT on the first capability only."""
    ids = transfer_no_grant(s, pid, hs)
    if isinstance(ids, IpcError) or not ids:
        return ids
    return ids if has(s.caps[ids[0]].rights, GRANT) else IpcError.InsufficientRights


def send_moves_on_failure(s: KernelState, pid: Pid, op: sc.Send) -> Step:
    """PORT-SEND that moves the capabilities before the port-side checks."""
    found = authorize(s, pid, op.handle, Kind.PORT, SEND)
    if isinstance(found, IpcError):
        return fail(s, found)
    err = messages.check_limits(op.msg_type, op.flags, op.data, op.caps, op.handle)
    if err is not None:
        return fail(s, err)
    moved = messages.check_transfer(s, pid, op.caps)
    if isinstance(moved, IpcError):
        return fail(s, moved)
    s = messages.put_in_flight(s, moved, found[1].obj)
    admitted = ports.check_offer(s, found[1].obj, op.msg_type, len(op.data))
    if isinstance(admitted, IpcError):
        return s, Err(admitted)
    return ports.commit_offer(
        s, pid, found[1].obj, admitted, (op.msg_type, op.flags, op.data), moved
    ), Ok(None)


def receive_newest(s: KernelState, pid: Pid, op: sc.Receive) -> Step:
    """PORT-RECEIVE taking the newest queued message (LIFO)."""
    found = authorize(s, pid, op.handle, Kind.PORT, RECEIVE)
    bad_timeout = op.timeout is not None and op.timeout < 0
    if isinstance(found, IpcError) or bad_timeout or not port(s, found[1].obj).queue:
        return _receive(s, pid, op)
    pt = port(s, found[1].obj)
    s = put_obj(s, found[1].obj, replace(pt, queue=pt.queue[:-1]))
    s, d = messages.take_delivery(s, pid, pt.queue[-1])
    return s, Ok(d)


def receive_keeps_message(s: KernelState, pid: Pid, op: sc.Receive) -> Step:
    """PORT-RECEIVE delivering the oldest message without dequeuing it."""
    found = authorize(s, pid, op.handle, Kind.PORT, RECEIVE)
    bad_timeout = op.timeout is not None and op.timeout < 0
    if isinstance(found, IpcError) or bad_timeout or not port(s, found[1].obj).queue:
        return _receive(s, pid, op)
    s, d = messages.take_delivery(s, pid, port(s, found[1].obj).queue[0])
    return s, Ok(d)


_calls = itertools.count()


def derive_flaky(s: KernelState, pid: Pid, op: sc.Derive) -> Step:
    """RIGHTS-DERIVE reading hidden state: every other call refuses (not a function)."""
    if next(_calls) % 2:
        return fail(s, IpcError.OutOfMemory)
    return _derive(s, pid, op)


def receive_timeout_first(s: KernelState, pid: Pid, op: sc.Receive) -> Step:
    """PORT-RECEIVE checking the timeout before the capability (precedence swap)."""
    if op.timeout is not None and op.timeout < 0:
        return fail(s, IpcError.InvalidArgument)
    return _receive(s, pid, op)


def receive_negative_timeout(s: KernelState, pid: Pid, op: sc.Receive) -> Step:
    """PORT-RECEIVE accepting a negative timeout (a deadline in the past)."""
    if op.timeout is not None and op.timeout < 0:
        found = authorize(s, pid, op.handle, Kind.PORT, RECEIVE)
        if isinstance(found, IpcError):
            return fail(s, found)
        pt = port(s, found[1].obj)
        if pt.queue or pt.closed:
            return _receive(s, pid, replace(op, timeout=1))
        s = put_obj(s, found[1].obj, replace(pt, waiters=(*pt.waiters, pid)))
        st = Waiting(found[1].obj, found[0], s.clock + op.timeout)
        return put_proc(s, pid, replace(proc(s, pid), status=st)), Ok(BLOCKED)
    return _receive(s, pid, op)


def receive_closed_first(s: KernelState, pid: Pid, op: sc.Receive) -> Step:
    """A closed port that does not drain: PortClosed even with messages queued."""
    found = authorize(s, pid, op.handle, Kind.PORT, RECEIVE)
    valid = op.timeout is None or op.timeout >= 0
    if not isinstance(found, IpcError) and port(s, found[1].obj).closed and valid:
        return fail(s, IpcError.PortClosed)
    return _receive(s, pid, op)


def hand_off_newest(s: KernelState, obj: ObjId, msg: QueuedMessage) -> KernelState:
    """PORT-HANDOFF to the newest waiter instead of the first."""
    receiver = port(s, obj).waiters[-1]
    s, d = messages.take_delivery(s, receiver, msg)
    return wake(s, receiver, Ok(d))


def close_port_wakes_none(s: KernelState, obj: ObjId) -> Step:
    """PORT-CLOSE that leaves its waiters blocked."""
    pt = port(s, obj)
    if pt.closed:
        return fail(s, IpcError.PortClosed)
    return put_obj(s, obj, replace(pt, closed=True)), Ok(len(pt.queue))


def kill_keeps_waiter(s: KernelState, op: sc.Kill) -> Step:
    """PROC-KILL that leaves the dead process in its port's waiter queue."""
    target = Pid(op.target)
    if target not in s.processes:
        return fail(s, IpcError.NoSuchProcess)
    for fd in sorted(proc(s, target).fds):
        s, _ = sockets.close_socket(s, target, fd)
    for cap_id in list(proc(s, target).handles.values()):
        st = proc(s, target).status
        if isinstance(st, Waiting) and st.cap == cap_id:
            s = put_proc(s, target, replace(proc(s, target), status=RUNNING))
        s = destroy(s, cap_id)
    return replace(s, processes=s.processes.delete(target)), Ok(None)


# -- filters, time, channels, buffers, sockets --------------------------------------


def filter_size_first(f: Filter, msg_type: int, size: int) -> IpcError | None:
    """FILTER-CHECK testing the size before the type."""
    if f.max_size is not None and size > f.max_size:
        return IpcError.MessageTooLarge
    if f.allowed_types is not None and msg_type not in f.allowed_types:
        return IpcError.Filtered
    return None


def refill_early(f: Filter, now: int) -> Filter:
    """FILTER-RATE refilling one tick early (off by one)."""
    if f.rate is None:
        return f
    periods = (now - f.stamp + 1) // f.rate.period
    if periods <= 0:
        return f
    tokens = min(f.rate.burst, f.tokens + periods * f.rate.refill)
    return replace(f, tokens=tokens, stamp=f.stamp + periods * f.rate.period)


def expire_late(s: KernelState) -> KernelState:
    """TIME-DEADLINE one tick late (``<`` for ``<=``)."""
    for pid, p in sorted(s.processes.items()):
        st = p.status
        if (
            isinstance(st, Waiting)
            and st.deadline is not None
            and st.deadline < s.clock
        ):
            s = wake(s, pid, Err(IpcError.Timeout))
    return s


def ring_one_extra(
    s: KernelState, pid: Pid, handle: int, items: tuple[bytes, ...], *, batch: bool
) -> Step:
    """CHAN-SEND admitting one message more than the ring's capacity."""
    found = channels._endpoint(s, pid, handle, SEND)
    if isinstance(found, IpcError):
        return fail(s, found)
    obj, ring = found
    if not items:
        return fail(s, IpcError.InvalidArgument)
    if any(len(d) > ring.max_message for d in items):
        return fail(s, IpcError.MessageTooLarge)
    if ring.closed:
        return fail(s, IpcError.PortClosed)
    if ring.write_idx - ring.read_idx + len(items) > ring.capacity + 1:
        return fail(s, IpcError.WouldBlock)
    return put_obj(s, obj, channels.push(ring, items)), Ok(
        len(items) if batch else None
    )


def pop_newest(ring: Channel, count: int) -> tuple[Channel, tuple[bytes, ...]]:
    """CHAN-RECEIVE taking the newest messages first."""
    out = tuple(reversed(ring.held[-count:]))
    rest = replace(ring, held=ring.held[:-count], read_idx=ring.read_idx + count)
    return rest, out


def transfer_keeps_others(s: KernelState, pid: Pid, op: sc.TransferBuffer) -> Step:
    """BUF-TRANSFER replacing the owner's capability by a fresh root (the
    capabilities derived from it lose their parent)."""
    found = authorize(s, pid, op.handle, Kind.BUFFER, MANAGE | GRANT)
    pfound = authorize(s, pid, op.port, Kind.PORT, SEND)
    if isinstance(found, IpcError) or isinstance(pfound, IpcError):
        return _transfer_buffer(s, pid, op)
    if messages.check_limits(op.msg_type, 0, b"", (), op.port) is not None:
        return _transfer_buffer(s, pid, op)
    admitted = ports.check_offer(s, pfound[1].obj, op.msg_type, 0)
    if isinstance(admitted, IpcError):
        return fail(s, admitted)
    bcap = found[1]
    s = destroy(s, found[0])
    s, fresh = caps.new_cap(
        s, bcap.obj, Kind.BUFFER, bcap.rights, None, InFlight(pfound[1].obj)
    )
    return ports.commit_offer(
        s, pid, pfound[1].obj, admitted, (op.msg_type, 0, b""), (fresh,)
    ), Ok(None)


def close_socket_no_revoke(s: KernelState, pid: Pid, fd: Fd) -> Step:
    """POSIX-CLOSE that does not revoke what was derived from the socket's port."""
    entry = proc(s, pid).fds[fd]
    obj = s.caps[entry.own].obj
    pt = port(s, obj)
    s = put_obj(s, obj, replace(pt, closed=True, queue=()))
    for msg in pt.queue:
        for carried in msg.caps:
            if carried is not None:
                s = destroy(s, carried)
    if entry.peer is not None:
        s = destroy(s, entry.peer)
    return destroy(s, entry.own), Ok(len(pt.queue))


def unbind_no_manage(s: KernelState, pid: Pid, op: sc.Unbind) -> Step:
    """NS-UNBIND without the MANAGE check."""
    found = resolve(s, pid, op.handle, Kind.PORT)
    if isinstance(found, IpcError):
        return fail(s, found)
    binding = s.namespace.get(op.name)
    if binding is None:
        return fail(s, IpcError.PortNotFound)
    if s.caps[binding.cap].obj != found[1].obj:
        return fail(s, IpcError.InsufficientRights)
    return destroy(s, binding.cap), Ok(None)


def bind_publishes_held(s: KernelState, pid: Pid, op: sc.Bind) -> Step:
    """NS-BIND publishing the binder's own rights, not the rights asked for
    (the seed's bind(name, port.capability) then hands out RECEIVE)."""
    found = resolve(s, pid, op.handle, Kind.PORT)
    if not isinstance(found, IpcError):
        op = replace(op, rights=found[1].rights)
    return _bind(s, pid, op)


def lookup_ambient(s: KernelState, pid: Pid, op: sc.Lookup) -> Step:
    """NS-LOOKUP that forgets the caller's namespace authority (may_lookup)."""
    p = proc(s, pid)
    if p.may_lookup:
        return _lookup(s, pid, op)
    s2, r = _lookup(put_proc(s, pid, replace(p, may_lookup=True)), pid, op)
    if isinstance(r, Err):
        return s, r
    return put_proc(s2, pid, replace(proc(s2, pid), may_lookup=False)), r


def reclaim_never(s: KernelState) -> KernelState:
    """CAP-RECLAIM never runs: an object outlives its last capability."""
    return s


def reachable_from_handles(s: KernelState) -> frozenset[ObjId]:
    """CAP-RECLAIM counts handle tables alone as roots (bindings and sockets
    forgotten): a port held only by its binding is destroyed under it."""
    alive = {c.obj for c in s.caps.values() if isinstance(c.at, AtHandle)}
    grown = True
    while grown:
        grown = False
        for c in s.caps.values():
            at = c.at
            if isinstance(at, InFlight) and at.port in alive and c.obj not in alive:
                alive.add(c.obj)
                grown = True
    return frozenset(alive)


def _m(id: str, module: object, name: str, fn: Callable[..., object]) -> SpecMutant:
    doc = (fn.__doc__ or "").strip().splitlines()[0]
    return SpecMutant(id, doc, lambda: patched(module, name, fn))  # type: ignore[arg-type]


MUTANTS: tuple[SpecMutant, ...] = (
    _m("derive-gains-grant", caps, "derive", derive_gains_grant),
    _m("revoke-skips-sockets", caps, "descendants", _descendants_skipping(InSocket)),
    _m("revoke-skips-inflight", caps, "descendants", _descendants_skipping(InFlight)),
    _m("send-without-grant", messages, "check_transfer", transfer_no_grant),
    _m("send-grant-first-only", messages, "check_transfer", transfer_grant_first),
    _m("failed-send-moves-caps", ports, "send", send_moves_on_failure),
    _m("fifo-broken", ports, "receive", receive_newest),
    _m("ring-capacity-off-by-one", channels, "_send_items", ring_one_extra),
    _m("filter-size-before-type", filters, "check_filter", filter_size_first),
    _m(
        "transfer-keeps-other-holders",
        buffers,
        "transfer_buffer",
        transfer_keeps_others,
    ),
    _m("precedence-timeout-before-cap", ports, "receive", receive_timeout_first),
    _m("refill-off-by-one", filters, "refill", refill_early),
    _m("handoff-newest-waiter", ports, "hand_off", hand_off_newest),
    _m("deadline-one-tick-late", timeouts, "expire", expire_late),
    _m("socket-close-no-revoke", sockets, "close_socket", close_socket_no_revoke),
    _m("derive-no-parent-link", caps, "derive", derive_no_parent),
    _m("closed-port-no-drain", ports, "receive", receive_closed_first),
    _m("negative-timeout-accepted", ports, "receive", receive_negative_timeout),
    _m("close-leaves-waiters", ports, "close_port", close_port_wakes_none),
    _m("kill-keeps-waiter", processes, "kill", kill_keeps_waiter),
    _m("drop-no-reparent", caps, "destroy", destroy_no_reparent),
    _m("unmap-missing-on-move", caps, "detach", detach_keeps_mappings),
    _m("lookup-full-rights", namespace, "take_binding", lookup_full_rights),
    _m("channel-lifo", channels, "pop", pop_newest),
    _m("unbind-without-manage", namespace, "unbind", unbind_no_manage),
    _m("receive-keeps-message", ports, "receive", receive_keeps_message),
    _m("derive-nondeterministic", caps, "derive", derive_flaky),
    _m("bind-publishes-held-rights", namespace, "bind", bind_publishes_held),
    _m("lookup-without-authority", namespace, "lookup", lookup_ambient),
    _m("reclaim-never", reclaim, "reclaim", reclaim_never),
    _m("reclaim-handles-only", reclaim, "reachable", reachable_from_handles),
    _m("transfer-strips-others", buffers, "transfer_buffer", transfer_strips_others),
    _m("transfer-by-delegate", buffers, "transfer_buffer", transfer_by_delegate),
    _m("handle-quota-one-over", quotas, "check_handles", handles_one_over),
    _m("handoff-bytes-free", quotas, "check_queued", handoff_bytes_free),
    # the hand-off's slot (PORT-HANDOFF, issue 12 item 4)
    _m("killed-handoff-lost", ports, "give_back", give_back_nothing),
    _m("handoff-frees-slot", ports, "check_offer", offer_ignoring_handed),
    # threads within a process (PROC-THREAD, issue 12 item 12)
    _m("kill-one-thread", processes, "threads_of", kill_named_thread_only),
    _m("thread-own-task", processes, "spawn_thread", thread_own_task),
    # blocked senders (PORT-SEND-BLOCK, CHAN-SEND-BLOCK, issue 12 item 11)
    _m("blocked-senders-lifo", blocking, "serve", serve_newest),
    _m("sender-deadline-ignored", timeouts, "expire", expire_receivers_only),
    _m("close-leaves-senders", ports, "close_port", close_leaves_senders),
    _m("blocked-deadline-late", blocking, "_block", block_deadline_late),
)


@contextmanager
def applied(mutant_id: str) -> Iterator[SpecMutant]:
    """Apply the mutant named ``mutant_id`` for the block (KeyError: unknown)."""
    m = {x.id: x for x in MUTANTS}[mutant_id]
    with m.apply():
        yield m


__all__ = ["MUTANTS", "SpecMutant", "applied"]
