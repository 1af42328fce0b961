"""Step properties of delivery: conservation, order, hand-off, close, time, errors.

Each function is a check over one ``Transition`` (see ``step_properties``,
which lists them with their IDs and rules): no message lost or duplicated
(PORT-SEND, PORT-RECEIVE, PORT-CLOSE, PROC-KILL, CHAN-*), FIFO per port and
channel, hand-off to the first waiter (PORT-HANDOFF), drain after close
(PORT-CLOSE), deadlines (TIME-DEADLINE), the documented error order
(ERR-PRECEDENCE, read from the rules' docstrings) and the token bucket
(FILTER-RATE).
"""

from __future__ import annotations

from veridian_ipc.spec import RULES, IpcError, KernelState
from veridian_ipc.spec.state import (
    AtHandle,
    Channel,
    InSocket,
    Port,
    Running,
    Waiting,
    Woken,
)
from veridian_ipc.spec.tasks import table_of, task_of, threads_of
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Fd, ObjId, Pid
from veridian_ipc.vocabulary.results import Delivered, Err, Ok
from veridian_ipc.vocabulary.rights import RECEIVE

from .precedence_cascades import CASCADES
from .precedence_conds import Cascade, Cond
from .step_properties_base import (
    SENDS,
    Transition,
    cap_behind,
    in_rings,
    in_transit,
    ok,
    port_of_send,
)
from .step_properties_blocking import blocked, served


def _receivable_by_someone(s: KernelState, obj: ObjId) -> bool:
    """A process holds RECEIVE to port ``obj`` in a handle table or a socket."""
    return any(
        c.obj == obj and c.rights & RECEIVE and isinstance(c.at, AtHandle | InSocket)
        for c in s.caps.values()
    )


def _dead(s: KernelState, obj: ObjId) -> bool:
    """Port ``obj`` is closed, empty, and nobody can receive from it; or it
    is gone (CAP-RECLAIM)."""
    o = s.objects.get(obj)
    return o is None or (
        isinstance(o, Port)
        and o.closed
        and not o.queue
        and not _receivable_by_someone(s, obj)
    )


def abandoned_messages(t: Transition) -> int:
    """Messages the step destroyed with a port no one can receive from any
    more (PORT-CLOSE's clause on abandoned ports, item of ``spec.orphans``):
    the queues, before the step, of the ports it left dead, and the message a
    send put on a port the same step left dead (a capability sent into its
    own port)."""
    gone = 0
    for obj, o in t.pre.objects.items():
        if isinstance(o, Port) and o.queue and _dead(t.post, obj):
            gone += len(o.queue)
    if ok(t) and isinstance(t.op, SENDS):
        obj = _sent_obj(t)
        before = t.pre.objects[obj]
        if isinstance(before, Port) and not before.closed and _dead(t.post, obj):
            gone += 1
    return gone


def _expected_change(t: Transition) -> int | None:
    """How ``in_transit`` must change (None: the step says nothing)."""
    op, r = t.op, t.result
    if not isinstance(r, Ok):
        return 0 if not isinstance(op, sc.Resume) else None
    gone = abandoned_messages(t) - served(t, Port)  # PORT-SEND-BLOCK's room
    if isinstance(op, SENDS):
        return (0 if blocked(t) else 1) - gone
    if isinstance(op, sc.Receive | sc.Resume):
        return (-1 if isinstance(r.value, Delivered) else 0) - gone
    if isinstance(op, sc.SockRecv):
        return -1 - gone
    if isinstance(op, sc.SockClose):
        return -r.value if isinstance(r.value, int) else None
    if isinstance(op, sc.Kill):
        victim = table_of(t.pre, Pid(op.target))
        lost = 0
        for thread in threads_of(t.pre, task_of(t.pre, Pid(op.target))):
            st = t.pre.processes[thread].status  # every thread dies (PROC-KILL)
            if (
                isinstance(st, Woken)
                and st.handed is not None
                and _dead(t.post, st.handed)
            ):
                # an uncollected hand-off goes back to its port (PORT-HANDOFF),
                # and is destroyed with it only if the kill leaves the port dead
                lost += 1
            elif (
                isinstance(st, Woken)
                and st.handed is None
                and isinstance(st.result, Ok)
                and isinstance(st.result.value, Delivered)
            ):
                lost += 1  # its port was reclaimed: the message goes with it
        for entry in victim.fds.values():
            obj = t.pre.caps[entry.own].obj
            own = t.pre.objects[obj]
            if isinstance(own, Port) and not _dead(t.post, obj):
                lost += len(own.queue)  # counted below when the port is dead
        return -lost - gone
    return -gone


def messages_conserved(t: Transition) -> str | None:
    """No step loses or duplicates a message, on a port or in a ring."""
    want = _expected_change(t)
    if want is not None:
        got = in_transit(t.post) - in_transit(t.pre)
        if got != want:
            return f"messages held changed by {got}, expected {want}"
    ring = in_rings(t.post) - in_rings(t.pre)
    op, r = t.op, t.result
    ring_want = 0
    if isinstance(r, Ok):
        if isinstance(op, sc.ChannelSend):
            ring_want = 0 if blocked(t) else 1
        elif isinstance(op, sc.ChannelSendBatch):
            ring_want = len(op.items)
        elif isinstance(op, sc.ChannelReceive):
            ring_want = -1
        elif isinstance(op, sc.ChannelReceiveBatch) and isinstance(r.value, tuple):
            ring_want = -len(r.value)
    ring_want += served(t, Channel)  # blocked sends the step completed
    for obj, o in t.pre.objects.items():  # a reclaimed ring's messages go
        if isinstance(o, Channel) and obj not in t.post.objects:
            ring_want -= len(o.held)
    if ring != ring_want:
        return f"ring messages changed by {ring}, expected {ring_want}"
    return None


def _same(d: Delivered, m: object) -> bool:
    return (d.sender, d.msg_type, d.flags, d.data) == (
        getattr(m, "sender", None),
        getattr(m, "msg_type", None),
        getattr(m, "flags", None),
        getattr(m, "data", None),
    )


def fifo(t: Transition) -> str | None:
    """Ports and channels deliver in the order sent."""
    op, r, pre = t.op, t.result, t.pre
    if not isinstance(r, Ok):
        return None
    if isinstance(op, sc.Receive) and isinstance(r.value, Delivered):
        found = cap_behind(pre, t.pid, op.handle)
        pt = None if found is None else pre.objects[found[1].obj]
        if not isinstance(pt, Port) or not pt.queue or not _same(r.value, pt.queue[0]):
            return "Receive did not deliver the oldest queued message"
    if isinstance(op, sc.SockRecv):
        own = pre.caps[table_of(pre, t.pid).fds[Fd(op.fd)].own]
        pt = pre.objects[own.obj]
        if (
            not isinstance(pt, Port)
            or not pt.queue
            or not isinstance(r.value, Delivered)
            or not _same(r.value, pt.queue[0])
        ):
            return "SockRecv did not deliver the oldest queued message"
    if isinstance(op, sc.ChannelReceive | sc.ChannelReceiveBatch):
        found = cap_behind(pre, t.pid, op.handle)
        held = () if found is None else getattr(pre.objects[found[1].obj], "held", ())
        got = r.value if isinstance(r.value, tuple) else (r.value,)
        if tuple(held[: len(got)]) != got:
            return "a channel receive did not deliver the oldest messages"
    port = port_of_send(t)
    if port is not None and not port.waiters and not _dead(t.post, _sent_obj(t)):
        after = t.post.objects[_sent_obj(t)]
        if not isinstance(after, Port) or after.queue[:-1] != port.queue:
            return "a send did not append its message at the tail of the queue"
    return None


def _sent_obj(t: Transition) -> ObjId:
    op, pre = t.op, t.pre
    if isinstance(op, sc.SockSend):
        peer = table_of(pre, t.pid).fds[Fd(op.fd)].peer
        assert peer is not None
        return pre.caps[peer].obj
    h = op.port if isinstance(op, sc.TransferBuffer) else op.handle  # type: ignore[attr-defined]
    found = cap_behind(pre, t.pid, h)
    assert found is not None
    return found[1].obj


def _carried(op: object) -> int:
    """The capabilities a send carries (a buffer transfer carries one)."""
    if isinstance(op, sc.TransferBuffer):
        return 1
    return len(op.caps) if isinstance(op, sc.Send) else 0


def _refused(t: Transition, pid: Pid) -> bool:
    """Waiter ``pid`` had no handle room for the message's capabilities and
    was woken with ``OutOfMemory`` (spec/quotas.py ``refuse_unfit_waiters``)."""
    status = t.post.processes[pid].status
    room = len(table_of(t.pre, pid).handles) + _carried(t.op)
    return (
        isinstance(status, Woken)
        and status.result == Err(IpcError.OutOfMemory)
        and room > t.pre.config.max_handles
    )


def hand_off_first(t: Transition) -> str | None:
    """A message sent while receivers wait goes to the first of them with
    room for its capabilities (those before it are refused, spec/quotas.py)."""
    if not ok(t):
        return None
    port = port_of_send(t)
    if port is None or not port.waiters:
        return None
    # a waiter whose capability the send carries away (a sibling thread's
    # send, PROC-THREAD) has its receive ended first (CAP-DROP's detach)
    moved = {
        found[0]
        for h in getattr(t.op, "caps", ())
        if (found := cap_behind(t.pre, t.pid, h)) is not None
    }
    waiters = [
        w
        for w in port.waiters
        if getattr(t.pre.processes[w].status, "cap", None) not in moved
    ]
    while waiters and _refused(t, waiters[0]):
        waiters = waiters[1:]
    if not waiters:
        return None  # every waiter refused: the message is queued
    first = waiters[0]
    status = t.post.processes[first].status
    if not (
        isinstance(status, Woken)
        and isinstance(status.result, Ok)
        and isinstance(status.result.value, Delivered)
    ):
        return f"the first waiter {first} was not woken by the send"
    for other in waiters[1:]:
        if not isinstance(t.post.processes[other].status, Waiting):
            return f"waiter {other} woken before the first waiter {first}"
    return None


def drain_after_close(t: Transition) -> str | None:
    """Close keeps queued messages; receivers drain them before PortClosed."""
    op, r, pre = t.op, t.result, t.pre
    if isinstance(op, sc.Close) and isinstance(r, Ok):
        found = cap_behind(pre, t.pid, op.handle)
        assert found is not None
        before = pre.objects[found[1].obj]
        after = t.post.objects[found[1].obj]
        if isinstance(before, Port) and isinstance(after, Port):
            if after.queue != before.queue or r.value != len(before.queue):
                return "Close dropped queued messages"
            for w in before.waiters:
                st = t.post.processes[w].status
                if st != Woken(Err(IpcError.PortClosed)):
                    return f"Close left waiter {w} as {st}"
    if isinstance(op, sc.Receive) and r == Err(IpcError.PortClosed):
        found = cap_behind(pre, t.pid, op.handle)
        pt = None if found is None else pre.objects[found[1].obj]
        if isinstance(pt, Port) and pt.queue:
            return "Receive reported PortClosed with messages still queued"
    return None


def deadline_wakeup(t: Transition) -> str | None:
    """Every blocked receive ends by its deadline; none ends early."""
    post, pre = t.post, t.pre
    for pid, p in post.processes.items():
        st = p.status
        if (
            isinstance(st, Waiting)
            and st.deadline is not None
            and st.deadline <= post.clock
        ):
            return f"process {pid} still waits past its deadline {st.deadline}"
        was = pre.processes.get(pid)
        if (
            isinstance(st, Woken)
            and st.result == Err(IpcError.Timeout)
            and was is not None
            and isinstance(was.status, Waiting)
            and (was.status.deadline is None or was.status.deadline > post.clock)
        ):
            return f"process {pid} timed out before its deadline"
    op = t.op
    if (
        isinstance(op, sc.Receive)
        and isinstance(t.result, Ok)
        and not isinstance(t.result.value, Delivered)
    ):
        st = post.processes[t.pid].status
        want = None if op.timeout is None else pre.clock + op.timeout
        if (
            not isinstance(st, Waiting)
            or st.deadline != want
            or (want is not None and want <= pre.clock)
        ):
            got = getattr(st, "deadline", None)
            return f"Receive blocked with deadline {got}, want {want}"
    return None


def _documented(c: Cascade) -> list[Cond]:
    pool = list(c.conds)
    order: list[Cond] = []
    for name in RULES[c.rule].errors:
        match = next((x for x in pool if x.error == name), None)
        if match is not None:
            pool.remove(match)
            order.append(match)
    return order


_ORDER: dict[type, list[Cond]] = {c.op: _documented(c) for c in CASCADES}


def precedence(t: Transition) -> str | None:
    """The error of a failing step is the first documented one that applies."""
    order = _ORDER.get(type(t.op))
    p = t.pre.processes.get(t.pid)
    if order is None or p is None or not isinstance(p.status, Running):
        return None
    for cond in order:
        try:
            holds = cond.holds(t.pre, t.pid, t.op)
        except (AttributeError, KeyError, TypeError, AssertionError):
            return None  # not evaluable in this state
        if holds:
            if t.result != Err(IpcError[cond.error]):
                first = f"{cond.error} ({cond.label})"
                return f"documented first error {first}, got {t.result}"
            return None
    return None


def filter_rate(t: Transition) -> str | None:
    """A rate-limited port admits a message only with a token (FILTER-RATE)."""
    port = port_of_send(t) if ok(t) else None
    if port is None or port.filter is None or port.filter.rate is None:
        return None
    f = port.filter
    rate = f.rate
    assert rate is not None
    periods = max(0, (t.pre.clock - f.stamp) // rate.period)
    tokens = min(rate.burst, f.tokens + periods * rate.refill)
    if tokens < 1:
        return f"a send was admitted with an empty bucket ({f.tokens} at {f.stamp})"
    return None


__all__ = [
    "deadline_wakeup",
    "drain_after_close",
    "fifo",
    "filter_rate",
    "hand_off_first",
    "messages_conserved",
    "precedence",
]
