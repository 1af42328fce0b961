"""Flows that repeat operations on one object, and let time pass.

A rate filter only refills if it is set and then several sends cross a whole
period; a name is only bound again after an unbind on the same name; two timed
receives only end together if both are waiting when the clock crosses their
deadlines. Random single steps spread over many objects and rarely come back
to one. Each flow here keeps to one object (a port, a name, a clock) for
several steps, written as a ``Plan`` (``plan``) with every choice
drawn through the ``Gen``. The scenarios (``scenarios``) run them.
"""

from __future__ import annotations

from veridian_ipc.spec.state import Kind
from veridian_ipc.vocabulary.results import Ok
from veridian_ipc.vocabulary.rights import PORT_RIGHTS, RECEIVE, SEND
from veridian_ipc.vocabulary.syscalls import (
    AdvanceClock,
    Bind,
    ChannelReceive,
    ChannelReceiveBatch,
    ChannelSend,
    ChannelSendBatch,
    Close,
    Connect,
    CreateChannel,
    Derive,
    Inspect,
    Kill,
    Lookup,
    Operation,
    RateLimit,
    Receive,
    Resume,
    Revoke,
    Send,
    SetFilter,
    SockConnect,
    Socket,
    SockSend,
    Spawn,
    TransferBuffer,
    Unbind,
)

from .context import Gen, Steps
from .plan import Plan


def rate_filter(g: Gen) -> Steps:
    """One port, one rate filter, many sends: the burst is spent (FILTER-RATE
    refuses), a clock advance of a whole period >= 2 refills it, messages queued
    before the filter stay (FILTER-SET), a socket connected to the port is
    refused too (POSIX-SEND, FILTER-CHECK), and the filter is cleared."""
    p = Plan(g)
    procs = p.processes(1)
    if procs is None:
        return p.steps
    a = procs[0]
    h = p.create(a, Kind.PORT)
    if h is None:
        return p.steps
    if g.roll() < 50:  # a message already queued when the filter is set
        p.do(a, Send(h, 0, 0, b"q"))
    period = int(g.pick([2, 3]))
    burst = int(g.pick([1, 2]))
    types = frozenset(g.pick([[0, 1], [1], [0]])) if g.roll() < 40 else None
    size = int(g.pick([2, 1])) if g.roll() < 40 else None
    p.do(a, SetFilter(h, types, size, RateLimit(burst, 1, period)))
    if p.has("namespace", "posix") and g.roll() < 60:
        _socket_peer(p, a, h)
    spare: int | None = None  # a capability some sends carry (MSG-TRANSFER)
    for _round in range(int(g.pick([2, 3]))):
        for i in range(burst + 1):
            caps: tuple[int, ...] = ()
            if p.has("messages") and g.roll() < 40:
                spare = spare if spare is not None else p.create(a, Kind.PORT)
                caps = () if spare is None else (spare,)
            data = bytes(int(g.pick([0, 1 if size is None else size + 1, 3])))
            if isinstance(p.do(a, Send(h, int(g.pick([0, 1, 2])), 0, data, caps)), Ok):
                spare = None if caps else spare
            if i % 2:
                p.do(a, Receive(h, 0))
        if g.roll() < 70:
            p.do(a, Receive(h, 0))
        p.do(0, AdvanceClock(int(g.pick([period, 1, period + 1]))))
    if g.roll() < 80:
        p.do(a, SetFilter(h, None, None, None))
        for i in range(4):  # the queue fills; the last send carries a capability
            x = p.create(a, Kind.PORT) if i == 3 and p.has("messages") else None
            p.do(a, Send(h, 2, 0, b"after", () if x is None else (x,)))
        if g.roll() < 50:
            p.do(a, Close(h))
            p.do(a, Receive(h, 0))
            buf = p.create(a, Kind.BUFFER) if p.has("buffers") else None
            if buf is not None:  # refused by the closed port, nothing lost
                p.do(a, TransferBuffer(buf, h, 0))
    return p.steps


def _socket_peer(p: Plan, a: int, h: int) -> None:
    """``a`` binds its port ``h`` to a name; a socket of another process
    connects to it and sends into its filter."""
    others = [q for q in p.running() if q != a]
    name = p.free_name()
    p.do(a, Bind(h, name, 0))
    c = int(p.g.pick(others)) if others else a
    fd = p.value(c, Socket(None))
    if type(fd) is int:
        p.do(c, SockConnect(fd, name))
        for _ in range(int(p.g.pick([3, 1, 2]))):  # the last one out of tokens
            p.do(c, SockSend(fd, bytes(int(p.g.pick([0, 3])))))


def _outsider(p: Plan, name: str) -> None:
    """A process spawned without ``may_bind`` or ``may_lookup`` tries to squat a
    name and to look ``name`` up (NS-BIND, NS-LOOKUP: InsufficientRights); on
    the other draw, one spawned without ``may_lookup`` only looks it up."""
    if not p.has("caps"):
        return
    if p.g.roll() >= 70:  # no squat: only a lookup, which draws nothing more
        pid = p.value(0, Spawn(may_lookup=False))
        if type(pid) is int:
            p.do(pid, Lookup(name))
        return
    may_bind, may_lookup = p.g.pick([(False, True), (True, False), (False, False)])
    pid = p.value(0, Spawn(may_bind=may_bind, may_lookup=may_lookup))
    if type(pid) is not int:
        return
    own = p.create(pid, Kind.PORT)
    if own is not None:
        p.do(pid, Bind(own, p.free_name(), 0))
        p.do(pid, g_pick(p, [Bind(own, name, 0), Bind(own, name, 0, RECEIVE)]))
    p.do(pid, g_pick(p, [Lookup(name), Connect(name, 0)]))


def g_pick(p: Plan, ops: list[Operation]) -> Operation:
    """One of ``ops``, drawn."""
    op: Operation = p.g.pick(ops)
    return op


def names(g: Gen) -> Steps:
    """One name, used again and again: bound, looked up (and connected to
    with the wrong type), sent to, unbound while its copies stay, looked up
    after the unbind, bound again, unbound through another port, and looked
    up after its port closed (NS-BIND, NS-LOOKUP, NS-CONNECT, NS-UNBIND); a
    copy without MANAGE tries to unbind the name once it is free
    (RIGHTS-REQUIRED before the name: NS-UNBIND's order). The binding
    publishes SEND (the seed's default), or more, or a right the binder
    lacks; a process spawned without namespace authority tries to squat and
    to look up (NS-BIND, NS-LOOKUP)."""
    p = Plan(g)
    procs = p.processes(2)
    if procs is None:
        return p.steps
    a, b = procs
    h = p.create(a, Kind.PORT)
    if h is None:
        return p.steps
    name = p.free_name()
    rights = int(g.pick([SEND, PORT_RIGHTS, SEND | RECEIVE]))
    p.do(a, Bind(h, name, int(g.pick([0, 1])), rights))
    seen = p.handle(b, g.pick([Lookup(name), Connect(name, 0), Connect(name, 1)]))
    if seen is not None and g.roll() < 50:  # what the lookup was given
        p.do(b, g.pick([Receive(seen, 0), Close(seen), Inspect(seen)]))
    _outsider(p, name)
    if seen is not None:
        p.do(b, Send(seen, 0, 0, b"n"))
    other = p.create(a, Kind.PORT) or h
    p.do(a, Unbind(h, name))
    p.do(b, Lookup(name))
    if seen is not None:  # no MANAGE, no name: the missing right comes first
        weak = p.handle(b, Derive(seen, SEND))
        if weak is not None:
            p.do(b, Unbind(weak, name))
    p.do(a, Bind(h, name, 0))
    p.do(a, Unbind(other, name))
    steps = [
        (a, Bind(h, name, 0)),
        (b, Lookup(name)),
        (a, Unbind(other, name)),
        (a, Unbind(h, name)),
        (a, Revoke(h)),
        (0, Kill(b)),
    ]
    for _ in range(int(g.pick([3, 2, 4]))):
        p.do(*g.pick(steps))
    if g.roll() < 50:
        if name not in p.s.namespace:
            p.do(a, Bind(h, name, 0))
        p.do(a, Close(h))
        p.do(int(g.pick(p.running())), Lookup(name))
    return p.steps


def deadlines(g: Gen) -> Steps:
    """Two or three processes block in timed receives, on ports of their own
    or (``_shared_wait``) on one port; one that is blocked issues something
    with a bad handle (PROC-STATUS wins: ERR-PRECEDENCE); the clock moves
    short of a deadline, then past several at once (TIME-ADVANCE,
    TIME-DEADLINE); every receiver resumes (PORT-RESUME)."""
    p = Plan(g)
    procs = p.processes(int(g.pick([2, 3])))
    if procs is None:
        return p.steps
    if p.has("namespace") and g.roll() < 70:
        _shared_wait(p, procs)
        return p.steps
    waiting: list[int] = []
    for q in procs:
        h = p.create(q, Kind.PORT)
        if h is not None:
            p.do(q, Receive(h, int(g.pick([2, 3]))))
            waiting.append(q)
    _blocked_tries(p, waiting)
    if waiting and g.roll() < 40:
        p.do(0, Kill(int(g.pick(waiting))))
    p.do(0, AdvanceClock(1))
    p.do(0, AdvanceClock(int(g.pick([2, 1, 3]))))
    for q in waiting:
        p.do(q, Resume())
    return p.steps


def _blocked_tries(p: Plan, waiting: list[int]) -> None:
    """Half the time, a blocked process issues an operation on a handle it
    never had (PROC-STATUS before CAP-HANDLE: ERR-PRECEDENCE)."""
    if waiting and p.g.roll() < 50:
        q = int(p.g.pick(waiting))
        bad = p.fresh(q)
        p.do(q, p.g.pick([Inspect(bad), Send(bad, 0, 0, b""), Inspect(0)]))


def _shared_wait(p: Plan, procs: list[int]) -> None:
    """The first process creates and binds a port; the others look it up and
    block on it (timed or not), twice. The first time the owner sends (to
    the first waiter in line: PORT-HANDOFF, two waiters; sometimes more
    sends fill the port and the first woken is killed before it resumes), the
    clock passes
    or a waiter is killed (PROC-KILL) before a send; the second time the owner revokes
    (RIGHTS-REVOKE wakes them) or closes (PORT-CLOSE). All resume
    (PORT-RESUME)."""
    g = p.g
    owner, others = procs[0], procs[1:]
    spare = [x for x in p.running() if x not in procs]
    if len(others) == 1 and spare:
        others.append(int(g.pick(spare)))
    h = p.create(owner, Kind.PORT)
    if h is None:
        return
    name = p.free_name()
    p.do(owner, Bind(h, name, 0, PORT_RIGHTS))  # lookups receive too
    held = [(q, w) for q in others if (w := p.handle(q, Lookup(name))) is not None]
    for round_ in (0, 1):
        waiting = [q for q, _ in held if q in p.running()]
        for q, w in held:
            if q in waiting:
                t = g.pick([2, 3, None]) if p.has("timeouts") else None
                p.do(q, Receive(w, t))
        if round_ == 0:
            _blocked_tries(p, waiting)
        end = int(g.pick([0, 2, 1] if round_ == 0 else [4, 3]))
        if end == 0:
            p.do(owner, Send(h, 0, 0, b"s"))
            if waiting and g.roll() < 50:  # hand-offs keep their slots until
                # collected (a full port refuses); the first woken dies before
                # Resume and its message goes back (PORT-HANDOFF, PROC-KILL)
                for data in (b"t", b"u", b"v"):
                    p.do(owner, Send(h, 0, 0, data))
                p.do(0, Kill(waiting[0]))
        elif end == 1:
            p.do(0, AdvanceClock(int(g.pick([3, 1]))))
        elif end == 2 and waiting:
            p.do(0, Kill(int(g.pick(waiting))))
            p.do(owner, Send(h, 0, 0, b"k"))  # to the next waiter, not the dead
        elif end == 3:
            p.do(owner, Revoke(h))
        else:
            p.do(owner, Close(h))
        for q in waiting:
            p.do(q, Resume())


def ring(g: Gen) -> Steps:
    """One channel, filled and drained around its ring: a batch fills it
    exactly, a send finds it full, a receive frees a slot and the next send
    wraps the write index, a batch that does not fit sends nothing, a batch
    receive asks for more than is held, and what is left is drained after a
    close (CHAN-SEND, CHAN-SEND-BATCH, CHAN-RECEIVE-BATCH, CHAN-CLOSE)."""
    p = Plan(g)
    procs = p.processes(1)
    if procs is None:
        return p.steps
    a = procs[0]
    cap = int(g.pick([2, 3]))
    h = p.handle(a, CreateChannel(cap, 4))
    if h is None:
        return p.steps
    p.do(a, ChannelSendBatch(h, tuple(bytes([i]) for i in range(cap))))
    p.do(a, ChannelSend(h, b"full"))
    p.do(a, ChannelReceiveBatch(h, 1))
    for _ in range(int(g.pick([2, 1, 3]))):
        p.do(a, ChannelSend(h, b"w"))
        p.do(a, ChannelSendBatch(h, (b"1", b"2")))
        p.do(a, ChannelReceiveBatch(h, int(g.pick([cap + 1, 1, 2]))))
    if p.has("caps") and g.roll() < 50:
        p.do(a, Inspect(h))
    p.do(a, ChannelSend(h, b"last"))
    p.do(a, Close(h))
    p.do(a, g.pick([ChannelReceive(h), ChannelReceiveBatch(h, 2)]))
    return p.steps


__all__ = ["deadlines", "names", "rate_filter", "ring"]
