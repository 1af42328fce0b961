"""Flows of object lifetime: the last capability dropped, a port's own
RECEIVE sent into its queue (a self-cycle) or into a ring of two ports, and a
revoke while messages sent through the revoked copies are queued.

A random walk seldom lines these up: a self-cycle needs a derived SEND copy
with GRANT and the root sent through it; a revoke that matters to queued
messages needs another process to have sent, through a copy of the revoker's
capability, a message carrying a capability of its own. Each flow writes the
story as a ``Plan``; every choice is drawn through the ``Gen``, so the flows
shrink like the rest (CAP-RECLAIM, PORT-CLOSE, RIGHTS-REVOKE,
MSG-INFLIGHT-REVOKE).
"""

from __future__ import annotations

from veridian_ipc.spec.state import Kind
from veridian_ipc.vocabulary.rights import GRANT, SEND
from veridian_ipc.vocabulary.syscalls import (
    Derive,
    Drop,
    Inspect,
    Receive,
    Revoke,
    Send,
)

from .context import Gen, Steps
from .plan import Plan


def cycle(g: Gen) -> Steps:
    """A port's root (with RECEIVE) is sent into its own queue through a SEND
    copy, or two ports' roots each into the other's: nobody can reach them
    to receive, so the send closes them (later sends get ``PortClosed``) and
    dropping the copies reclaims them; or an object's last handle is simply
    dropped (its number then names nothing: ``InvalidCapability``)."""
    p = Plan(g)
    procs = p.processes(1)
    if procs is None:
        return p.steps
    a = procs[0]
    kinds = [Kind.PORT]
    if p.has("channels"):
        kinds.append(Kind.CHANNEL)
    if p.has("buffers"):
        kinds.append(Kind.BUFFER)
    root = p.create(a, Kind.PORT)
    if root is None:
        return p.steps
    if not (p.has("rights", "messages") and g.roll() < 85):
        last = p.create(a, g.pick(kinds))
        if last is not None:
            p.do(a, Drop(last))
            p.do(a, Inspect(last))
        p.do(a, Drop(root))
        return p.steps
    via = p.handle(a, Derive(root, SEND | GRANT))
    if via is None:
        return p.steps
    ring = g.roll() < 25
    if ring:
        other = p.create(a, Kind.PORT)
        back = None if other is None else p.handle(a, Derive(other, SEND | GRANT))
        if other is None or back is None:
            return p.steps
        p.do(a, Send(back, 0, 0, b"", (root,)))
        p.do(a, Send(via, 0, 0, b"", (other,)))
        p.do(a, Send(back, 0, 0, b"r"))
        p.do(a, Drop(back))
        _self_cycle(p, a)  # the ring, and beside it a self-cycle (no draw)
    else:
        p.do(a, Send(via, 0, 0, b"", (root,)))  # a self-cycle
    p.do(a, Send(via, 0, 0, b"s"))
    p.do(a, Drop(via))
    return p.steps


def _self_cycle(p: Plan, a: int) -> None:
    """A new port's root sent into its own queue through a SEND copy, the copy
    then dropped: the smallest unreachable cycle (CAP-RECLAIM, PORT-CLOSE).
    It draws nothing, so the run's other choices do not move."""
    own = p.create(a, Kind.PORT)
    via = None if own is None else p.handle(a, Derive(own, SEND | GRANT))
    if own is None or via is None:
        return
    p.do(a, Send(via, 0, 0, b"", (own,)))
    p.do(a, Drop(via))


def revoke_queued(g: Gen) -> Steps:
    """P2 sends P1, through its looked-up copy of P1's port, a message that
    carries a capability of P2's own (and maybe a copy derived from the
    looked-up one); P1 revokes its root, which destroys P2's copies, then
    receives: the message is delivered, P2's own capability installed, the
    revoked copy ``None`` (RIGHTS-REVOKE, MSG-INFLIGHT-REVOKE)."""
    p = Plan(g)
    if not p.has("rights", "messages"):
        return p.steps
    procs = p.processes(2)
    if procs is None:
        return p.steps
    a, b = procs
    link = p.link(b, a)
    if link is None:
        return p.steps
    hb, ha = link
    own = p.create(b, Kind.PORT)
    if own is None:
        return p.steps
    carried = [own]
    if g.roll() < 50:
        relay = p.handle(b, Derive(hb, SEND | GRANT))
        if relay is not None:
            carried.append(relay)
    p.do(b, Send(hb, 1, 0, b"q", tuple(carried)))
    if g.roll() < 50:
        p.do(b, Send(hb, 2, 0, b"r"))
    p.do(a, Revoke(ha))
    got = p.delivered(a, Receive(ha, 0))
    for h in got:
        p.do(a, Inspect(h))
    p.do(a, Receive(ha, 0))
    return p.steps


__all__ = ["cycle", "revoke_queued"]
