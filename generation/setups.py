"""Set-ups: what every example starts from.

Before its random steps, each example runs the set-up of each group the
target claims (in random order): a port created, bound and looked up by
other processes, a channel, a mapped buffer, a listening and a connected
socket, with attenuated copies where the target claims ``rights``. Each set-up
may be skipped, and skipping is what it shrinks to, so minimal traces keep
only the set-up they need.
"""

from __future__ import annotations

from collections.abc import Callable

from veridian_ipc.vocabulary.rights import PORT_RIGHTS, READ, RECEIVE, SEND
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    Connect,
    CreateBuffer,
    CreateChannel,
    CreatePort,
    Derive,
    Lookup,
    MapBuffer,
    SockBind,
    SockConnect,
    Socket,
)

from .context import Gen, Steps


def _skip(g: Gen) -> bool:
    return g.roll() < 15


def setup_ports(g: Gen) -> Steps:
    """Process 1 creates a port and publishes it; process 2 looks it up; a
    SEND-only copy exists for attenuation tests."""
    if _skip(g) or 1 not in g.s.processes:
        return []
    h = g.fresh_handle(1)
    steps: Steps = [(1, CreatePort(int(g.pick([2, 3, 1]))))]
    if "rights" in g.groups and g.roll() < 60:
        steps.append((1, Derive(h, int(g.pick([0x9, 0x1, 0x3])))))
    if "namespace" in g.groups and 2 in g.s.processes:
        bind = Bind(h, "a", int(g.pick([0, 1])), PORT_RIGHTS)  # every right
        steps.append((1, bind))
        steps.append((2, g.pick([Lookup("a"), Connect("a", int(g.pick([0, 1])))])))
        if 3 in g.s.processes and g.roll() < 80:
            steps.append((3, Lookup("a")))
    return steps


def setup_channels(g: Gen) -> Steps:
    """Process 1 creates a small channel (and maybe a send-only copy)."""
    if _skip(g) or 1 not in g.s.processes:
        return []
    h = g.fresh_handle(1)
    steps: Steps = [(1, CreateChannel(int(g.pick([2, 3, 1])), int(g.pick([4, 8, 2]))))]
    if "rights" in g.groups and g.roll() < 40:
        steps.append((1, Derive(h, int(g.pick([0x1, 0x2, 0xB])))))
    return steps


def setup_buffers(g: Gen) -> Steps:
    """Process 1 creates a buffer and maps it (and maybe a read-only copy)."""
    if _skip(g) or 1 not in g.s.processes:
        return []
    h = g.fresh_handle(1)
    steps: Steps = [
        (1, CreateBuffer(int(g.pick([8, 4, 16])))),
        (1, MapBuffer(h, bool(g.pick([True, False])))),
    ]
    if "rights" in g.groups and g.roll() < 50:
        steps.append((1, Derive(h, int(g.pick([0x18, 0x10, 0x3C])))))
    return steps


def setup_sockets(g: Gen) -> Steps:
    """Process 2 listens on name "b"; process 3 connects to it."""
    if _skip(g) or not {2, 3} <= set(g.s.processes):
        return []
    return [
        (2, Socket(g.pick([None, 2, 1]))),
        (2, SockBind(0, "b")),
        (3, Socket(None)),
        (3, SockConnect(0, "b")),
    ]


def prologue(processes: int) -> Steps:
    """The fixed set-up of the proofs' runs (``runs.random_run``): every
    process gets port 1, channel 2, buffer 3 (mapped as mapping 1), a SEND and
    RECEIVE copy of its port without GRANT (handle 4) and a read-only copy of
    its buffer (handle 5); process 1 binds its port as "a", process 2 looks it
    up, process 1 opens a socket. Checks that reshape states by handle number
    (the precedence checks' shaping) rely on this layout."""
    steps: Steps = []
    for p in range(1, processes + 1):
        steps += [
            (p, CreatePort(2)),
            (p, CreateChannel(2, 6)),
            (p, CreateBuffer(8)),
            (p, MapBuffer(3, True)),
            (p, Derive(1, SEND | RECEIVE)),
            (p, Derive(3, READ)),
        ]
    return [
        *steps,
        (1, Bind(1, "a", 0, PORT_RIGHTS)),  # lookups get every right
        (2, Lookup("a")),
        (1, Socket(None)),
    ]


#: Set-up generators by the group they need (run first, in random order).
SETUPS: dict[str, Callable[[Gen], Steps]] = {
    "ports": setup_ports,
    "channels": setup_channels,
    "buffers": setup_buffers,
    "posix": setup_sockets,
}


__all__ = ["SETUPS", "prologue"]
