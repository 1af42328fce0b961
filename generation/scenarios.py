"""Scenarios: short sequences that reach what single random steps rarely do.

A single random step rarely lines up what a rule needs: two processes
sharing a port, one of them blocked in a receive when the other sends; a
filter set and then a message at its very edge; a capability derived, sent
and revoked in flight. Each scenario looks at the spec state, picks what it
needs if it exists (else returns one step that creates it) and returns a few
steps (``Steps``) that the state machine runs as one of its rules. Each cites
the rules it reaches. Every choice is drawn through the ``Gen``, so scenarios
shrink like single steps.
"""

from __future__ import annotations

from collections.abc import Callable

from veridian_ipc.spec.state import Kind, Running
from veridian_ipc.vocabulary.names import MAX_INLINE_DATA, MAX_U32
from veridian_ipc.vocabulary.rights import ALL_RIGHTS, PORT_RIGHTS
from veridian_ipc.vocabulary.syscalls import (
    AdvanceClock,
    Bind,
    ChannelReceive,
    ChannelReceiveBatch,
    ChannelSend,
    ChannelSendBatch,
    Close,
    CreateChannel,
    CreatePort,
    Derive,
    Drop,
    Inspect,
    Kill,
    Lookup,
    MapBuffer,
    Operation,
    RateLimit,
    ReadBuffer,
    Receive,
    Resume,
    Revoke,
    Send,
    SetFilter,
    SockClose,
    Socket,
    SockRecv,
    SockSend,
    Spawn,
    TransferBuffer,
    Unbind,
    WriteBuffer,
)

from .context import NAMES, Gen, Steps
from .flows_block import blocked_sends
from .flows_caps import attenuate, chain, socket_caps, travel
from .flows_life import cycle, revoke_queued
from .flows_quota import exhaust
from .flows_repeat import deadlines, names, rate_filter, ring
from .flows_threads import threads
from .ops import GENERATORS
from .registry import OP_GROUP


def _port_holders(g: Gen) -> list[tuple[int, int, int]]:
    """(pid, handle, rights) of every running process's port handles, by object."""
    out = []
    for pid, p in sorted(g.s.processes.items()):
        if isinstance(p.status, Running):
            for h, c in sorted(p.handles.items()):
                cap = g.s.caps[c]
                if cap.kind is Kind.PORT:
                    out.append((cap.obj, pid, h, cap.rights))
    return [(pid, h, r) for _, pid, h, r in sorted(out)]


def _free_name(g: Gen) -> str:
    """A valid name not bound yet."""
    i = len(g.s.namespace)
    while f"r{i}" in g.s.namespace:
        i += 1
    return f"r{i}"


def _idle_port(g: Gen, obj: int) -> bool:
    """An open port with nothing queued: a receive on it blocks."""
    pt = g.s.objects[obj]  # type: ignore[index]
    return not getattr(pt, "closed", True) and not getattr(pt, "queue", ())


def rendezvous(g: Gen) -> Steps:
    """Processes meet on one port (shared by bind + lookup if need be); one
    or two block in a receive and are woken by a send (FIFO hand-off), a
    deadline, a close, a revoke, or the receiver is killed (before or after
    a hand-off reached it); then they resume (PORT-HANDOFF, TIME-DEADLINE,
    PORT-RESUME, PORT-CLOSE, RIGHTS-REVOKE, PROC-KILL, PROC-STATUS)."""
    running = sorted(
        int(p) for p, q in g.s.processes.items() if isinstance(q.status, Running)
    )
    if len(running) < 2:
        return [(0, Spawn())]
    by_obj: dict[int, dict[int, list[tuple[int, int]]]] = {}
    for pid in running:
        for h, c in g.s.processes[pid].handles.items():  # type: ignore[index]
            cap = g.s.caps[c]
            if cap.kind is Kind.PORT:
                holders = by_obj.setdefault(int(cap.obj), {})
                holders.setdefault(pid, []).append((int(h), cap.rights))
    pairs = [
        (obj, pa, ha, pb, hb)
        for obj, holders in sorted(by_obj.items())
        for pa, hs_a in sorted(holders.items())
        for ha, ra in hs_a
        for pb, hs_b in sorted(holders.items())
        for hb, rb in hs_b
        if pa != pb and ra & 0x1 and rb & 0x2 and _idle_port(g, obj)
    ]
    steps: Steps = []
    third: list[tuple[int, int]] = []
    if pairs and g.roll() < 70:
        obj, pa, ha, pb, hb = g.pick(pairs)
        third = [
            (pc, hc)
            for pc, hs in sorted(by_obj[obj].items())
            if pc not in (pa, pb)
            for hc, rc in hs
            if rc & 0x2
        ]
    elif "namespace" in g.groups:
        pa = int(g.pick(running))
        pb = int(g.pick([p for p in running if p != pa]))
        ha, hb, name = g.fresh_handle(pa), g.fresh_handle(pb), _free_name(g)
        bind = Bind(ha, name, 0, PORT_RIGHTS)  # published to receive (NS-BIND)
        steps += [(pa, CreatePort(2)), (pa, bind), (pb, Lookup(name))]
        others = [p for p in running if p not in (pa, pb)]
        if others:
            pc = int(g.pick(others))
            steps.append((pc, Lookup(name)))
            third = [(pc, g.fresh_handle(pc))]
    else:
        return [GENERATORS["CreatePort"](g)]
    timeout = g.pick([2, 1, None]) if "timeouts" in g.groups else None
    steps.append((pb, Receive(hb, timeout)))
    if g.roll() < 20:  # a blocked process can only resume (PROC-STATUS)
        tries = _claimed(g, [Inspect(hb), CreatePort(1), Drop(hb)])
        steps.append((pb, g.pick(tries)))
    if third and g.roll() < 50:  # two receivers wait: FIFO hand-off
        pc, hc = g.pick(third)
        steps += [
            (pc, Receive(hc, None)),
            (pa, Send(ha, 1, 0, b"1")),
            (pa, Send(ha, 2, 0, b"2")),
            (pc, Resume()),
        ]
    how = int(g.pick([0, 1, 2, 3, 4]))
    if how == 0:
        steps.append((pa, Send(ha, g.msg_type(), 0, g.data())))
    elif how == 1 and "timeouts" in g.groups:
        steps.append((0, AdvanceClock(int(g.pick([1, 2, 3])))))
    elif how == 2:
        steps.append((pa, Close(ha)))
    elif how == 3 and "rights" in g.groups:
        steps.append((pa, Revoke(ha)))
    elif "caps" in g.groups and g.roll() < 50:  # killed holding a hand-off:
        # it keeps its slot (a full port refuses), then goes back (PORT-HANDOFF)
        sends = [Send(ha, 3 + i, 0, d) for i, d in enumerate((b"h", b"q", b"f"))]
        steps += [(pa, x) for x in sends] + [(0, Kill(pb))]
    elif "caps" in g.groups:  # then a send: for the next waiter, not the dead
        steps += [(0, Kill(pb)), (pa, Send(ha, 0, 0, b"k"))]
    else:  # Kill is of group caps, which the target does not claim
        steps.append((pa, Close(ha)))
    steps.append((pb, Resume()))
    if "timeouts" in g.groups and g.roll() < 50:
        steps += [(0, AdvanceClock(3)), (pb, Resume())]
    return steps


def filtered_sends(g: Gen) -> Steps:
    """A valid filter is set on a port, then messages at its edges are offered
    (FILTER-SET, FILTER-CHECK, FILTER-RATE); invalid filters are the
    ``SetFilter`` rule's business."""
    ports = _held(g, Kind.PORT, 0x5)
    if not ports:
        return [GENERATORS["CreatePort"](g)]
    pid, h = g.pick(ports)
    types = None
    if g.roll() < 50:
        types = frozenset(g.pick([[0], [0, 1], [1, 2]]))
    size = g.pick([None, 2, 0, 3])
    rate = None
    if g.roll() < 50:
        rate = RateLimit(int(g.pick([1, 2])), int(g.pick([1, 2])), int(g.pick([2, 1])))
    steps: Steps = [(pid, SetFilter(h, types, size, rate))]
    allowed = sorted(types or {0, 1, 2})
    for _ in range(int(g.pick([3, 2, 4]))):
        if size is not None:
            data = bytes(int(g.pick([size + 1, size, 0])))
        else:
            data = g.data(4)
        msg_type = int(g.pick([*allowed, 3]))
        steps.append((pid, Send(h, msg_type, 0, data)))
        r = g.roll()
        if r < 20:
            steps.append((0, AdvanceClock(int(g.pick([1, 2])))))
        elif r < 50:
            steps.append((pid, Receive(h, 0)))
    return steps


def drop_held(g: Gen) -> Steps:
    """A capability with a derived child (and maybe a mapping) is dropped:
    the child stays, re-attached to the grandparent; the mapping goes
    (CAP-DROP, BUF-MAP)."""
    held = sorted(
        (int(pid), int(h))
        for pid, p in g.s.processes.items()
        if isinstance(p.status, Running)
        for h in p.handles
    )
    if not held:  # create something to hold, of a declared group
        make = "CreateBuffer" if "buffers" in g.groups else "CreatePort"
        return [GENERATORS[make](g)]
    pid, h = g.pick(held)
    child = g.fresh_handle(pid)
    steps: Steps = [(pid, Derive(h, g.rights(pid, h)))]
    cap = g.s.caps[g.s.processes[pid].handles[h]]
    if cap.kind is Kind.BUFFER and "buffers" in g.groups:
        steps.append((pid, MapBuffer(h, bool(g.pick([False, True])))))
    steps += [(pid, Drop(h)), (pid, Inspect(child))]
    return steps


def hand_over(g: Gen) -> Steps:
    """A buffer's ownership goes away in a message and is received
    (BUF-TRANSFER, MSG-INFLIGHT-REVOKE)."""
    bufs = _held(g, Kind.BUFFER, 0xC)
    if not bufs:
        return [GENERATORS["CreateBuffer"](g)]
    pid, b = g.pick(bufs)
    ports = [h for q, h in _held(g, Kind.PORT, 0x3) if q == pid]
    steps: Steps = []
    if ports and g.roll() < 60:
        port = int(g.pick(ports))
    else:
        port = g.fresh_handle(pid)
        steps.append((pid, CreatePort(2)))
    steps += [
        (pid, TransferBuffer(b, port, int(g.pick([0, 1])))),
        (pid, Inspect(b)),
        (pid, Receive(port, 0)),
    ]
    return steps


def blocked_acts(g: Gen) -> Steps:
    """A process blocks on an empty port, tries to act (only Resume is
    allowed), times out and resumes (PROC-STATUS, TIME-DEADLINE, PORT-RESUME)."""
    empty = [
        (pid, h)
        for pid, h in _held(g, Kind.PORT, 0x2)
        if not g.s.objects[
            g.s.caps[g.s.processes[pid].handles[h]].obj  # type: ignore[index]
        ].queue  # type: ignore[union-attr]
    ]
    if not empty or "timeouts" not in g.groups:
        return [GENERATORS["CreatePort"](g)]
    pid, h = g.pick(empty)
    t = int(g.pick([1, 2]))
    return [
        (pid, Receive(h, t)),
        (pid, g.pick(_claimed(g, [Inspect(h), CreatePort(1), Derive(h, 0), Resume()]))),
        (0, AdvanceClock(t)),
        (pid, Resume()),
    ]


def carry_caps(g: Gen) -> Steps:
    """Capabilities travel: derive, send them in a message, maybe revoke one in
    flight, receive (MSG-TRANSFER, MSG-INFLIGHT-REVOKE, RIGHTS-DERIVE)."""
    ports = [x for x in _port_holders(g) if x[2] & 0x3 == 0x3]
    if not ports:
        return [GENERATORS["CreatePort"](g)]
    pid, h, _ = g.pick(ports)
    src = g.pick(g.handles(pid))
    p = g.s.processes[pid]
    derived = p.next_handle  # the spec's number for the derived handle
    steps: Steps = [
        (pid, Derive(src, g.rights(pid, src) | 0x8)),
        (pid, Send(h, 0, 0, b"", (derived,))),
    ]
    if g.roll() < 60:
        steps.append((pid, Revoke(src)))
    steps.append((pid, Receive(h, 0)))
    return steps


def socket_exchange(g: Gen) -> Steps:
    """A datagram goes from a connected socket to its peer's owner, who
    receives it with a buffer that may be too small (POSIX-SEND, POSIX-RECV)."""
    owners = {
        int(g.s.caps[e.own].obj): (int(pid), int(fd))
        for pid, p in g.s.processes.items()
        for fd, e in p.fds.items()
    }
    links = sorted(
        (int(pid), int(fd), owners[int(g.s.caps[e.peer].obj)])
        for pid, p in g.s.processes.items()
        for fd, e in p.fds.items()
        if e.peer is not None and int(g.s.caps[e.peer].obj) in owners
    )
    if not links:
        return [(g.pid(), Socket(None))]
    pid, fd, (owner, ofd) = g.pick(links)
    data = g.data()
    steps: Steps = [(pid, SockSend(fd, data))]
    if g.roll() < 30:  # closed with a message queued: reported, not lost
        steps.append((owner, SockClose(ofd)))
    bufsize = int(g.pick([MAX_INLINE_DATA, max(len(data) - 1, 0), 1]))
    steps.append((owner, SockRecv(ofd, bufsize)))
    return steps


def socket_churn(g: Gen) -> Steps:
    """Sockets opened and closed in one process: fds are the lowest free
    number (POSIX-SOCKET, POSIX-CLOSE)."""
    pid = g.pid()
    p = g.s.processes.get(pid)  # type: ignore[call-overload]
    low = 0
    if p is not None:
        while low in p.fds:
            low += 1
    return [
        (pid, Socket(None)),
        (pid, Socket(None)),
        (pid, SockClose(low)),
        (pid, Socket(None)),
    ]


def _held(g: Gen, kind: Kind, rights: int = 0) -> list[tuple[int, int]]:
    """(pid, handle) of running processes' handles of ``kind`` with ``rights``,
    open objects only most of the time."""
    out = sorted(
        (int(pid), int(h))
        for pid, p in g.s.processes.items()
        if isinstance(p.status, Running)
        for h, c in p.handles.items()
        if g.s.caps[c].kind is kind and g.s.caps[c].rights & rights == rights
    )
    if g.roll() < 85:
        out = [x for x in out if g.is_open(*x)] or out
    return out


def queue_traffic(g: Gen) -> Steps:
    """Messages queue up on a port, the port may close, receivers drain it
    (PORT-SEND, PORT-RECEIVE FIFO, PORT-CLOSE)."""
    ports = _held(g, Kind.PORT, 0x3)
    if not ports:
        return [GENERATORS["CreatePort"](g)]
    pid, h = g.pick(ports)
    steps: Steps = [
        (pid, Send(h, i, 0, bytes([i]))) for i in range(int(g.pick([2, 3, 4])))
    ]
    if g.roll() < 20:
        steps.append((pid, Close(h)))
    steps += [(pid, Receive(h, 0)), (pid, Receive(h, 0))]
    return steps


def channel_traffic(g: Gen) -> Steps:
    """A ring filled by batches, drained by batches, maybe closed first
    (CHAN-SEND-BATCH, CHAN-RECEIVE-BATCH, CHAN-SEND, CHAN-CLOSE)."""
    chans = _held(g, Kind.CHANNEL, 0x3)
    steps: Steps = []
    if chans and g.roll() < 70:
        pid, h = g.pick(chans)
    else:
        pid = g.pid()
        if pid not in g.s.processes:
            return [GENERATORS["CreateChannel"](g)]
        h = g.fresh_handle(pid)
        steps.append((pid, CreateChannel(int(g.pick([2, 3])), 4)))
    n = int(g.pick([2, 3, 4, 1]))
    steps += [
        (pid, ChannelSendBatch(h, tuple(bytes([i]) for i in range(n)))),
        (pid, ChannelSend(h, b"x")),
    ]
    if g.roll() < 25:
        steps.append((pid, Close(h)))
    steps += [
        (pid, ChannelReceiveBatch(h, int(g.pick([1, 2])))),
        (pid, ChannelReceive(h)),
    ]
    r = g.roll()
    if r < 40:  # more than is left: fewer are taken
        steps.append((pid, ChannelReceiveBatch(h, int(g.pick([2, 3])))))
    elif r < 60 and "caps" in g.groups:
        steps.append((pid, Inspect(h)))
    return steps


def buffer_io(g: Gen) -> Steps:
    """Writes and reads at the edges of a mapped buffer, through writable and
    read-only mappings (BUF-WRITE, BUF-READ)."""
    maps = sorted(
        (int(pid), int(m), int(g.s.objects[mp.buf].size))  # type: ignore[union-attr]
        for pid, p in g.s.processes.items()
        if isinstance(p.status, Running)
        for m, mp in p.mappings.items()
    )
    if not maps:
        bufs = _held(g, Kind.BUFFER, 0x10)
        if not bufs:
            return [GENERATORS["CreateBuffer"](g)]
        pid, h = g.pick(bufs)
        return [(pid, MapBuffer(h, bool(g.pick([False, True]))))]
    pid, m, size = g.pick(maps)
    return [
        (pid, WriteBuffer(m, size - 2, b"\x07\x09")),
        (pid, ReadBuffer(m, size - 1, int(g.pick([1, 2])))),
        (pid, ReadBuffer(m, int(g.pick([size - 2, 0])), 2)),
    ]


def attenuated(g: Gen) -> Steps:
    """A handle derived without MANAGE (or GRANT) tries what needs it
    (RIGHTS-REQUIRED: SetFilter, Unbind, Close, Bind, Derive)."""
    bufs = _held(g, Kind.BUFFER, 0x10) if "buffers" in g.groups else []
    if bufs and g.roll() < 30:
        pid, h = g.pick(bufs)
        weak = g.fresh_handle(pid)
        return [(pid, Derive(h, 0x18)), (pid, MapBuffer(weak, True))]
    ports = _held(g, Kind.PORT)
    if not ports:
        return [GENERATORS["CreatePort"](g)]
    pid, h = g.pick(ports)
    weak = g.fresh_handle(pid)
    obj = g.s.caps[g.s.processes[pid].handles[h]].obj
    names = sorted(n for n, b in g.s.namespace.items() if g.s.caps[b.cap].obj == obj)
    name = str(g.pick(names or list(NAMES)))
    tries = _claimed(
        g,
        [
            Unbind(weak, name),
            SetFilter(weak, None, 1, None),
            Close(weak),
            Bind(weak, name, 0),
        ],
    )
    return [(pid, Derive(h, int(g.pick([0x3, 0x1, 0x9])))), (pid, g.pick(tries))]


def double_fault(g: Gen) -> Steps:
    """Operations wrong in two ways at once: the error reported must be the
    first in precedence order (ERR-PRECEDENCE)."""
    pid = g.pid()
    nxt = g.fresh_handle(pid) if pid in g.s.processes else 1
    ports = [h for q, h in _held(g, Kind.PORT) if q == pid] or [nxt]
    h = int(g.pick(ports))
    big = bytes(MAX_INLINE_DATA + 1)
    faults = [
        Send(nxt, 0, 0, big),
        Send(h, MAX_U32 + 1, 0, big),
        Send(h, 0, 0, big, (nxt, nxt)),
        Derive(nxt, ALL_RIGHTS + 1),
        ChannelSend(h, big),
        TransferBuffer(h, nxt, MAX_U32 + 1),
        Bind(nxt, "", -1),
        Receive(nxt, -1),
        Drop(True),  # ill-typed and (as 1) maybe a live handle
        Receive(h, False),
    ]
    return [(pid, g.pick(_claimed(g, faults)))]


def _claimed(g: Gen, ops: list[Operation]) -> list[Operation]:
    """The operations of ``ops`` whose group the target claims."""
    return [op for op in ops if OP_GROUP[type(op).__name__] in g.groups]


def _or_flow(
    old: Callable[[Gen], Steps],
    flow: Callable[[Gen], Steps] | None = None,
    needs: frozenset[str] = frozenset(),
    share: int = 0,
) -> Callable[[Gen], Steps]:
    """The scenario ``old``, or (``share`` times in 100, when the target claims
    ``needs``) the longer ``flow`` of the same concern (``flows_*``),
    or (35 times in 100) any flow the target's groups allow: the
    machine's scenario rules stay the same while every flow comes up under
    many rules, so that a rule disabled in an example (swarm testing) does
    not take its flow away. An empty flow falls back to ``old``. Steps of a
    group the target does not claim (an old scenario's ``Kill`` or
    ``AdvanceClock``) are left out: the harness must never send them."""

    def gen(g: Gen) -> Steps:
        r = g.roll()
        if flow is not None and needs <= g.groups and r < share:
            steps = flow(g)
        elif r >= 65:
            steps = _any_flow(g)
        else:
            steps = []
        steps = steps or old(g)
        # only what the target claims: the harness may send nothing else
        return [
            (pid, op) for pid, op in steps if OP_GROUP[type(op).__name__] in g.groups
        ]

    gen.__name__ = old.__name__
    gen.__doc__ = (
        old.__doc__ if flow is None else f"{old.__doc__}\n\nOr: {flow.__doc__}"
    )
    return gen


def _any_flow(g: Gen) -> Steps:
    """One of the flows the target's groups allow (``FLOWS``, with the short
    scenarios of rings, buffers and queues), or nothing."""
    allowed = [f for f, needs in FLOWS if needs <= g.groups]
    return g.pick(allowed)(g) if allowed else []


def _buffer_travel(g: Gen) -> Steps:
    return travel(g, Kind.BUFFER)


_F = frozenset

#: The flows, each with the groups it needs to do anything useful; those
#: that reach the most behaviours come twice.
FLOWS: list[tuple[Callable[[Gen], Steps], frozenset[str]]] = [
    (travel, _F({"ports", "messages", "namespace"})),
    (deadlines, _F({"ports", "timeouts"})),
    (attenuate, _F({"ports", "rights"})),
    (travel, _F({"ports", "messages", "namespace"})),
    (deadlines, _F({"ports", "timeouts"})),
    (attenuate, _F({"ports", "rights"})),
    (chain, _F({"caps", "rights"})),
    (rate_filter, _F({"ports", "filters"})),
    (names, _F({"ports", "namespace"})),
    (deadlines, _F({"ports", "timeouts"})),
    (socket_caps, _F({"posix"})),
    (ring, _F({"channels"})),
    (channel_traffic, _F({"channels"})),
    (buffer_io, _F({"buffers"})),
    (queue_traffic, _F({"ports"})),
    (cycle, _F({"caps", "ports"})),
    (cycle, _F({"caps", "ports"})),
    (revoke_queued, _F({"ports", "rights", "messages", "namespace"})),
    (revoke_queued, _F({"ports", "rights", "messages", "namespace"})),
    (exhaust, _F({"caps", "ports", "rights"})),  # fills the table by Derive
    (exhaust, _F({"caps", "ports", "rights"})),  # fills the table by Derive
    (threads, _F({"caps", "ports"})),
]


def _waits(g: Gen) -> Steps:
    """The flows of processes that wait: receive deadlines, or blocked
    senders (PORT-SEND-BLOCK) when the target claims what they need."""
    if _F({"ports", "timeouts", "namespace", "caps"}) <= g.groups and g.roll() < 40:
        return blocked_sends(g)
    return deadlines(g)


#: Scenario generators (each a rule of the machine).
SCENARIOS: dict[str, Callable[[Gen], Steps]] = {
    "rendezvous": _or_flow(rendezvous, names, _F({"namespace"}), 35),
    "filtered_sends": _or_flow(
        filtered_sends, rate_filter, _F({"ports", "filters"}), 60
    ),
    "carry_caps": _or_flow(carry_caps, travel, _F({"messages", "namespace"}), 75),
    "socket_exchange": _or_flow(socket_exchange, socket_caps, _F({"posix"}), 60),
    "socket_churn": _or_flow(socket_churn),
    "queue_traffic": _or_flow(queue_traffic),
    "channel_traffic": _or_flow(channel_traffic, ring, _F({"channels"}), 40),
    "buffer_io": _or_flow(buffer_io),
    "attenuated": _or_flow(attenuated, attenuate, _F({"ports", "rights"}), 60),
    "double_fault": _or_flow(double_fault),
    "drop_held": _or_flow(drop_held, chain, _F({"caps", "rights"}), 50),
    "blocked_acts": _or_flow(blocked_acts, _waits, _F({"timeouts"}), 50),
    "hand_over": _or_flow(
        hand_over, _buffer_travel, _F({"messages", "namespace", "buffers"}), 50
    ),
    "threads": _or_flow(threads),
}


__all__ = ["SCENARIOS"]
