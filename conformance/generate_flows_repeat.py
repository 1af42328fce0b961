"""Flows that repeat operations on one object, and let time pass.

A rate filter only refills if it is set and then several sends cross a whole
period; a name is only bound again after an unbind on the same name; two timed
receives only end together if both are waiting when the clock crosses their
deadlines. Random single steps spread over many objects and rarely come back
to one. Each flow here keeps to one object (a port, a name, a clock) for
several steps, written as a ``Plan`` (``generate_plan``) with every choice
drawn through the ``Gen``. The scenarios (``generate_scenarios``) run them.
"""

from __future__ import annotations

from veridian_ipc.spec.state import Kind
from veridian_ipc.vocabulary.syscalls import (
    AdvanceClock,
    Bind,
    Close,
    Connect,
    Inspect,
    Lookup,
    RateLimit,
    Receive,
    Resume,
    Send,
    SetFilter,
    SockConnect,
    Socket,
    SockSend,
    Unbind,
)

from .generate_context import Gen, Steps
from .generate_plan import Plan


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
    if p.has("namespace", "posix") and g.roll() < 40:
        _socket_peer(p, a, h)
    for _round in range(int(g.pick([2, 3]))):
        for i in range(burst + 1):
            p.do(a, Send(h, int(g.pick([0, 1, 2])), 0, bytes(int(g.pick([0, 1, 3])))))
            if i % 2:
                p.do(a, Receive(h, 0))
        p.do(a, Receive(h, 0))
        p.do(0, AdvanceClock(int(g.pick([period, 1, period + 1]))))
    if g.roll() < 80:
        p.do(a, SetFilter(h, None, None, None))
        p.do(a, Send(h, 2, 0, b"after"))
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
        p.do(c, SockSend(fd, bytes(int(p.g.pick([0, 3])))))


def names(g: Gen) -> Steps:
    """One name, used again and again: bound, looked up (and connected to
    with the wrong type), sent to, unbound while its copies stay, looked up
    after the unbind, bound again, unbound through another port, and looked
    up after its port closed (NS-BIND, NS-LOOKUP, NS-CONNECT, NS-UNBIND)."""
    p = Plan(g)
    procs = p.processes(2)
    if procs is None:
        return p.steps
    a, b = procs
    h = p.create(a, Kind.PORT)
    if h is None:
        return p.steps
    name = p.free_name()
    p.do(a, Bind(h, name, int(g.pick([0, 1]))))
    seen = p.handle(b, g.pick([Lookup(name), Connect(name, 0), Connect(name, 1)]))
    if seen is not None:
        p.do(b, Send(seen, 0, 0, b"n"))
    other = p.create(a, Kind.PORT) or h
    steps = [
        (a, Unbind(h, name)),
        (b, Lookup(name)),
        (a, Bind(h, name, 0)),
        (a, Unbind(other, name)),
    ]
    for _ in range(int(g.pick([4, 3, 5]))):
        p.do(*g.pick(steps))
    if g.roll() < 50:
        if name not in p.s.namespace:
            p.do(a, Bind(h, name, 0))
        p.do(a, Close(h))
        p.do(b, Lookup(name))
    return p.steps


def deadlines(g: Gen) -> Steps:
    """Two or three processes block in timed receives on idle ports; one
    that is blocked issues something with a bad handle (PROC-STATUS wins:
    ERR-PRECEDENCE); the clock moves short of a deadline, then past several
    at once (TIME-ADVANCE, TIME-DEADLINE); every receiver resumes
    (PORT-RESUME)."""
    p = Plan(g)
    procs = p.processes(int(g.pick([2, 3])))
    if procs is None:
        return p.steps
    waiting: list[tuple[int, int]] = []
    for q in procs:
        h = p.create(q, Kind.PORT)
        if h is not None:
            p.do(q, Receive(h, int(g.pick([2, 3]))))
            waiting.append((q, h))
    if waiting and g.roll() < 50:
        q, _h = g.pick(waiting)
        bad = p.fresh(q)
        p.do(q, g.pick([Inspect(bad), Send(bad, 0, 0, b""), Inspect(0)]))
    p.do(0, AdvanceClock(1))
    p.do(0, AdvanceClock(int(g.pick([2, 1, 3]))))
    for q, _h in waiting:
        p.do(q, Resume())
    return p.steps


__all__ = ["deadlines", "names", "rate_filter"]
