"""Flows of blocked senders (PORT-SEND-BLOCK, CHAN-SEND-BLOCK).

A random walk seldom fills a port and then sends to it with a timeout, and
almost never lines up what ends such a wait. This flow writes each ending as
a short story on a port of capacity 1 that process ``r`` receives from and
two others, ``a`` and ``b``, send to (a name bound by ``r`` and looked up):
the port is filled, ``a`` (then ``b``) blocks sending, and then one of

- ``r`` receives: the first blocked sender is served (FIFO), and after the
  next receive the second one;
- the clock passes the deadline (TIME-DEADLINE), with receives that end at
  the same tick;
- ``r`` closes the port (PORT-CLOSE);
- ``a`` is killed while blocked (PROC-KILL);
- ``r`` revokes the port's root, taking the looked-up copies (RIGHTS-REVOKE);
- ``r`` is killed: nobody can receive, the port is abandoned (PORT-CLOSE);
- ``r`` blocks while a hand-off keeps the only slot and another receiver
  waits, until the hand-off is collected (PORT-HANDOFF);

and, with channels, a ring shared by a message blocks a sender until ``r``
reads it, or until the deadline (and then waits again until read). Each
run of the flow tells most of these stories, in turn, each on a fresh port;
the choices are drawn through the ``Gen`` and shrink like the rest.
"""

from __future__ import annotations

from collections.abc import Callable

from veridian_ipc.vocabulary.rights import GRANT, RECEIVE, SEND
from veridian_ipc.vocabulary.syscalls import (
    AdvanceClock,
    Bind,
    ChannelReceive,
    ChannelSend,
    Close,
    CreateChannel,
    CreatePort,
    Derive,
    Kill,
    Lookup,
    Receive,
    Resume,
    Revoke,
    Send,
    Spawn,
)

from .context import Gen, Steps
from .plan import Plan


def _port(p: Plan, r: int, senders: list[int]) -> tuple[int, list[int]] | None:
    """A full port of capacity 1: ``r``'s handle and each sender's."""
    hr = p.handle(r, CreatePort(1))
    if hr is None:
        return None
    name = _name(p)
    p.do(r, Bind(hr, name, 0, SEND | GRANT))
    if p.g.roll() < 10:  # a process spawned without the namespace authority
        barred = p.value(0, Spawn(may_bind=False, may_lookup=False))
        if type(barred) is int:  # cannot reach the port (NS-LOOKUP, NS-BIND)
            p.do(barred, Lookup(name))
            p.do(barred, Bind(1, _name(p), 0, SEND))
    hs = [p.handle(x, Lookup(name)) for x in senders]
    if any(h is None for h in hs):
        return None
    p.do(r, Send(hr, 0, 0, b"f"))
    return hr, [h for h in hs if h is not None]


def _timeout(g: Gen) -> int | None:
    return g.pick([None, 3])  # type: ignore[no-any-return]


def _served(p: Plan, r: int, a: int, b: int) -> None:
    got = _port(p, r, [a, b])
    if got is None:
        return
    hr, (ha, hb) = got
    p.do(a, Send(ha, 0, 0, b"a", (), _timeout(p.g)))
    p.do(b, Send(hb, 0, 0, b"b", (), _timeout(p.g)))
    p.do(r, Receive(hr))  # room: a is served first (FIFO)
    p.do(a, Resume())
    p.do(r, Receive(hr))  # then b
    p.do(b, Resume())
    p.do(r, Receive(hr))


def _deadline(p: Plan, r: int, a: int, b: int) -> None:
    got = _port(p, r, [a])
    if got is None:
        return
    _, (ha,) = got
    p.do(a, Send(ha, 0, 0, b"a", (), 2))
    p.do(a, Resume())  # still waiting: WouldBlock
    waiting = []
    for x in (r, b):  # receives with the same deadline end at the same tick
        h = p.handle(x, CreatePort(1))
        if h is not None and p.do(x, Receive(h, 2)) is not None:
            waiting.append(x)
    p.do(0, AdvanceClock(2))
    p.do(a, Resume())
    for x in waiting:
        p.do(x, Resume())


def _closed(p: Plan, r: int, a: int, b: int) -> None:
    got = _port(p, r, [a])
    if got is None:
        return
    hr, (ha,) = got
    p.do(a, Send(ha, 0, 0, b"a", (), None))
    p.do(r, Close(hr))
    p.do(a, Resume())


def _revoked(p: Plan, r: int, a: int, b: int) -> None:
    got = _port(p, r, [a])
    if got is None:
        return
    hr, (ha,) = got
    p.do(a, Send(ha, 0, 0, b"a", (), None))
    p.do(r, Revoke(hr))
    p.do(a, Resume())


def _sender_killed(p: Plan, r: int, a: int, b: int) -> None:
    got = _port(p, r, [a, b])
    if got is None:
        return
    hr, (ha, hb) = got
    p.do(a, Send(ha, 0, 0, b"a", (), None))
    p.do(b, Send(hb, 0, 0, b"b", (), None))
    p.do(0, Kill(a))
    p.do(r, Receive(hr))  # b, the only one left, is served
    p.do(b, Resume())


def _receiver_killed(p: Plan, r: int, a: int, b: int) -> None:
    got = _port(p, r, [a])
    if got is None:
        return
    _, (ha,) = got
    p.do(a, Send(ha, 0, 0, b"a", (), None))
    p.do(0, Kill(r))  # the last RECEIVE goes: the port is closed
    p.do(a, Resume())


def _handed_full(p: Plan, r: int, a: int, b: int) -> None:
    """``a`` waits to receive and ``r`` sends to it: the hand-off keeps the
    only slot, so ``r``'s next send without a timeout finds the port full;
    ``b`` waits too and ``r`` blocks sending: the one time a port has both.
    ``a``'s ``Resume`` frees the slot and ``r``'s message goes straight to
    ``b``; or ``a`` is killed first: its message goes back, to
    ``b``, and ``b``'s ``Resume`` frees the slot for ``r``'s. Either way
    ``a`` ends killed with a hand-off it did not collect (PROC-KILL gives it
    back)."""
    hr = p.handle(r, CreatePort(1))
    if hr is None:
        return
    name = _name(p)
    p.do(r, Bind(hr, name, 0, SEND | RECEIVE | GRANT))
    ha = p.handle(a, Lookup(name))
    hb = p.handle(b, Lookup(name))
    if ha is None or hb is None:
        return
    p.do(a, Receive(ha, None))
    p.do(r, Send(hr, 0, 0, b"h"))
    p.do(r, Send(hr, 0, 0, b"y"))  # PortFull: the hand-off keeps its slot
    p.do(b, Receive(hb, None))
    p.do(r, Send(hr, 0, 0, b"x", (), None))
    resumed = p.g.roll() < 50
    if resumed:
        p.do(a, Resume())
    else:
        p.do(0, Kill(a))
    p.do(b, Resume())
    p.do(r, Resume())
    if resumed:  # a takes a hand-off and is killed before collecting it
        p.do(a, Receive(ha, None))
        p.do(r, Send(hr, 0, 0, b"k"))
        p.do(0, Kill(a))
        p.do(b, Receive(hb, 0))  # the message came back to the port


def _ring(p: Plan, r: int, a: int, b: int) -> None:
    """``r``'s ring of one slot reaches ``a`` in a message (through ``a``'s
    own bound port); ``a`` blocks sending to the full ring until ``r``
    reads it, or until the deadline."""
    if not p.has("channels", "messages"):
        return
    hc = p.handle(r, CreateChannel(1, 4))
    if hc is None:
        return
    copy = p.handle(r, Derive(hc, SEND | GRANT))
    ha_port = p.handle(a, CreatePort(1))
    if copy is None or ha_port is None:
        return
    name = _name(p)
    p.do(a, Bind(ha_port, name, 0, SEND | GRANT))
    to_a = p.handle(r, Lookup(name))
    if to_a is None:
        return
    p.do(r, Send(to_a, 0, 0, b"", (copy,)))
    got = p.delivered(a, Receive(ha_port))
    if not got:
        return
    p.do(r, ChannelSend(hc, b"f"))
    if p.g.roll() < 70:
        p.do(a, ChannelSend(got[0], b"a", None))
        p.do(r, ChannelReceive(hc))  # a slot frees: a's message goes in
        p.do(a, Resume())
        p.do(r, ChannelReceive(hc))
    else:
        p.do(a, ChannelSend(got[0], b"a", 1))
        p.do(0, AdvanceClock(1))
        p.do(a, Resume())
        # the ring is still full: a waits again, with no deadline, until read
        p.do(a, ChannelSend(got[0], b"b", None))
        p.do(r, ChannelReceive(hc))
        p.do(a, Resume())


ENDINGS: tuple[Callable[[Plan, int, int, int], None], ...] = (
    _served,
    _deadline,
    _closed,
    _revoked,
    _sender_killed,
    _handed_full,
    _ring,
    _receiver_killed,
)


def blocked_sends(g: Gen) -> Steps:
    """Senders block on full ports and rings, and every way their wait ends
    follows, each most of the time (see the module)."""
    p = Plan(g)
    if not p.has("ports", "timeouts", "namespace", "caps"):
        return p.steps
    for ending in ENDINGS:
        procs = p.processes(3)
        if procs is None:
            break
        if g.roll() < 85:
            ending(p, *procs)
    return p.steps


def _name(p: Plan) -> str:
    """A name not bound now, outside the pool the other flows draw from, so
    that these bindings do not crowd theirs."""
    i = 0
    while f"blk{i}" in p.s.namespace:
        i += 1
    return f"blk{i}"


__all__ = ["blocked_sends"]
