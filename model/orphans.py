"""Ports nobody can receive from are abandoned (PORT-CLOSE; spec/orphans.py).

A port is receivable while a capability with RECEIVE to it is in a handle
table or held by its socket, or is carried by a message queued on a receivable
port (the least fixpoint). An operation that leaves a port unreceivable closes
it (waiters woken with ``PortClosed``, bindings removed, watchers notified, so
a thread blocked in a send for room gets ``PortClosed``) and destroys its
queued messages with the capabilities they carry.

The rules record the objects that lost a capability (``State.suspects``:
``destroy`` and ``put_in_flight`` do); ``reap`` runs once the operation is
complete. A suspect port still held in a table or a socket, or already closed
and empty, is the common case and costs a look at its own capabilities; only
otherwise is the fixpoint computed. Then the objects nobody can reach are
destroyed (model/reclaim.py).
"""

from __future__ import annotations

from veridian_ipc.vocabulary.rights import RECEIVE

from .caps import destroy
from .ports import close_port
from .reclaim import collect
from .state import AT_HANDLE, IN_SOCKET_OWN, Port, State


def held(port: Port) -> bool:
    """Some capability with RECEIVE to ``port`` is in a table or a socket."""
    assert port.caps is not None
    return any(
        c.rights & RECEIVE and (c.where == AT_HANDLE or c.where == IN_SOCKET_OWN)
        for c in port.caps
    )


def receivable(st: State) -> set[Port]:
    """The ports some process can still receive from."""
    alive: list[Port] = []
    carried: dict[Port, list[Port]] = {}
    for o in st.objects.values():
        if type(o) is not Port:
            continue
        if held(o):
            alive.append(o)
        for m in o.queue or ():
            for c in m.caps or ():
                if c is not None and c.rights & RECEIVE and type(c.obj) is Port:
                    carried.setdefault(o, []).append(c.obj)
    seen = set(alive)
    while alive:
        for p in carried.get(alive.pop(), ()):
            if p not in seen:
                seen.add(p)
                alive.append(p)
    return seen


def reap(st: State) -> None:
    """Abandon every port the operation left unreceivable (see the module),
    then destroy every object it left unreachable (CAP-RECLAIM,
    model/reclaim.py)."""
    if not all(
        held(o) or (o.closed and not o.queue) for o in st.suspects if type(o) is Port
    ):
        alive = receivable(st)
        dead = [
            o
            for _, o in sorted(st.objects.items())
            if type(o) is Port and (not o.closed or o.queue) and o not in alive
        ]
        for port in dead:
            abandon(st, port)
    collect(st)


def abandon(st: State, port: Port) -> None:
    """Close ``port`` if open (PORT-CLOSE) and destroy its queued messages with
    the capabilities they carry."""
    if not port.closed:
        close_port(st, port)
    queue = port.queue
    port.queue = None
    for m in queue or ():
        for c in m.caps or ():
            if c is not None:
                destroy(st, c)
