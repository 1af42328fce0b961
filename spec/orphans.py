"""Ports nobody can receive from (PORT-ORPHAN, a clause of PORT-CLOSE).

A port is *receivable* while some capability with RECEIVE to it can still be
used to receive: one in a process's handle table, one held by a socket (its own
port), or one carried by a message queued on a port that is itself receivable
(it can still be received, and then used). A namespace binding does not keep a
port receivable: it only hands out capabilities, and a service nobody serves is
dead (Mach's bootstrap server likewise holds send rights only). The definition
is a least fixpoint, so a ring of ports each holding the only RECEIVE of the
next in its queue (a receive right sent, in the end, to itself) is not
receivable: Mach detects such cycles when the message is sent
(``ipc_port_check_circularity``) for the same reason.

When an operation leaves a port unreceivable (the last RECEIVE dropped,
destroyed with its process, its socket or the message carrying it, or sent
into a cycle; a revoke never does, step.py's ``MAY_ORPHAN`` says why), the
port is **abandoned**, exactly when the operation
succeeds and as part of it:

- an open port is closed as by PORT-CLOSE: waiters are woken with
  ``PortClosed`` (there can be none: a waiter holds RECEIVE), every binding of
  it goes (NS-BIND), and every later send gets ``PortClosed``;
- its queued messages can never be received, so they are destroyed with the
  capabilities they carry, as POSIX-CLOSE discards a socket's queue; destroying
  a carried RECEIVE may abandon another port in turn, which the fixpoint has
  already counted.

Nothing is lost silently: the loss is the close, which every sender sees
(``PortClosed``), and the queue is gone only when nobody can ever read it.
Precedents: Mach turns the send rights of a port whose receive right died into
dead names (``MACH_SEND_INVALID_DEST``) and destroys the messages queued on it;
Zircon signals ``ZX_CHANNEL_PEER_CLOSED`` and fails writes with
``ZX_ERR_PEER_CLOSED``. Departure: here the port object stays (its SEND
capabilities remain valid handles to a closed port, as after ``Close``)
instead of becoming dead names, so ``Inspect`` and ``Close`` keep their
meaning (``Close`` then gives ``PortClosed``), until its last capability goes
and it is destroyed (CAP-RECLAIM, spec/reclaim.py). INV-PORT-RECEIVABLE (a clause
of INV-WAITERS) states the result: a port that is open or holds messages is
receivable.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.vocabulary.names import ObjId
from veridian_ipc.vocabulary.rights import RECEIVE, has

from .caps import destroy
from .ports import close_port
from .state import AtHandle, InFlight, InSocket, KernelState, Kind, Port
from .store import port, put_obj


def receivable(s: KernelState) -> frozenset[ObjId]:
    """The ports some process can still receive from (the least fixpoint)."""
    receivers = [
        c for c in s.caps.values() if c.kind is Kind.PORT and has(c.rights, RECEIVE)
    ]
    alive: set[ObjId] = set()
    grown = True
    while grown:
        grown = False
        for c in receivers:
            if c.obj in alive:
                continue
            at = c.at
            if isinstance(at, AtHandle | InSocket) or (
                isinstance(at, InFlight) and at.port in alive
            ):
                alive.add(c.obj)
                grown = True
    return frozenset(alive)


def abandoned(s: KernelState) -> list[ObjId]:
    """The ports to abandon: unreceivable, and open or holding messages."""
    alive = receivable(s)
    return [
        obj
        for obj, o in sorted(s.objects.items())
        if isinstance(o, Port) and (not o.closed or o.queue) and obj not in alive
    ]


def reap(s: KernelState) -> KernelState:
    """Abandon every port that is no longer receivable (see the module)."""
    for obj in abandoned(s):
        s = abandon(s, obj)
    return s


def abandon(s: KernelState, obj: ObjId) -> KernelState:
    """Close port ``obj`` if open (PORT-CLOSE) and destroy its queued messages
    with the capabilities they carry."""
    if not port(s, obj).closed:
        s, _ = close_port(s, obj)
    pt = port(s, obj)
    s = put_obj(s, obj, replace(pt, queue=()))
    for msg in pt.queue:
        for carried in msg.caps:
            if carried is not None and carried in s.caps:
                s = destroy(s, carried)
    return s


__all__ = ["abandon", "abandoned", "reap", "receivable"]
