"""The scopes of the explicit-state search: what ``explore`` enumerates.

A ``Scope`` bounds the search: the processes at the start, the ``Config``, the
depth (steps from the initial state), the operations enabled and, for each, the
argument values to try. Handle, mapping and descriptor arguments are not
listed: they are drawn from the state (the issuer's live handles of the right
kind, its mappings, its sockets), so every reachable object is exercised
through every capability that names it. Object creation stops at
``max_objects`` so that the state space is finite at every depth.

The scopes are chosen so that each group's interesting cases are inside them
(the small-scope hypothesis, as in Alloy and TLC): two-capability sends and
rights without GRANT (``messages``), three processes for waiter order
(``waiters``), two threads of one task (``threads``), a thread blocked
sending while its sibling receives, drops, closes or is killed
(``threads-blocking``), negative and zero
timeouts and a rate with period 2 (``time``),
a buffer mapped by two processes and transferred (``buffers``), sockets bound,
connected and closed (``posix``). ``CI_SCOPES`` run in CI; ``DEEP_SCOPES`` on
demand.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from veridian_ipc.spec import KernelState
from veridian_ipc.spec.state import Kind, Running
from veridian_ipc.spec.tasks import table_of
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Config, Pid
from veridian_ipc.vocabulary.rights import (
    GRANT,
    MANAGE,
    PORT_RIGHTS,
    READ,
    RECEIVE,
    SEND,
    WRITE,
)

#: A small system: every bound at its smallest useful value.
SMALL = Config(
    max_port_capacity=2,
    max_channel_capacity=2,
    max_channel_message=2,
    max_buffer_size=4,
    max_io=4,
    max_name_length=4,
    default_socket_capacity=2,
)


@dataclass(frozen=True)
class Scope:
    """One bounded search: initial processes, config, depth, operations."""

    name: str
    description: str
    processes: int = 2
    depth: int = 4
    deep_depth: int = 6
    config: Config = SMALL
    max_objects: int = 2
    ops: frozenset[str] = frozenset()
    port_capacities: tuple[int, ...] = (1,)
    rights: tuple[int, ...] = ()
    data: tuple[bytes, ...] = (b"a",)
    timeouts: tuple[int | None, ...] = (0,)
    send_timeouts: tuple[int | None, ...] = (0,)
    ticks: tuple[int, ...] = (1,)
    names: tuple[str, ...] = ("n",)
    filters: tuple[sc.SetFilter, ...] = ()
    max_carried: int = 1
    kill: bool = False
    invalid_handles: tuple[int, ...] = ()
    setup: tuple[tuple[Pid, sc.Operation], ...] = ()
    env_pid: int = 1
    published: tuple[int, ...] = (SEND,)

    def with_depth(self, depth: int) -> Scope:
        """The same scope searched to another depth."""
        return replace(self, depth=depth)


def _handles(s: KernelState, pid: Pid, kind: Kind | None) -> list[int]:
    p = table_of(s, pid)  # the task's table (PROC-THREAD)
    return [
        h
        for h, c in sorted(p.handles.items())
        if kind is None or s.caps[c].kind is kind
    ]


def candidates(scope: Scope, s: KernelState) -> Iterator[tuple[Pid, sc.Operation]]:
    """Every (issuer, operation) the scope tries in state ``s``."""
    on = scope.ops
    room = len(s.objects) < scope.max_objects
    for pid, p in sorted(s.processes.items()):
        if not isinstance(p.status, Running):
            yield pid, sc.Resume()
            continue
        ports = _handles(s, pid, Kind.PORT) + list(scope.invalid_handles)
        every = _handles(s, pid, None)
        if room and "CreatePort" in on:
            for c in scope.port_capacities:
                yield pid, sc.CreatePort(c)
        if "Derive" in on:
            for h in every:
                for r in scope.rights:
                    yield pid, sc.Derive(h, r)
        for name in ("Drop", "Revoke"):
            if name in on:
                cls = getattr(sc, name)
                for h in every:
                    yield pid, cls(h)
        if "Send" in on:
            for h in ports:
                others = [x for x in every if x != h]
                carried: list[tuple[int, ...]] = [()]
                carried += [(x,) for x in others]
                if scope.max_carried >= 2:
                    carried += [(a, b) for a in others for b in others if a < b]
                for d in scope.data:
                    for cs in carried:
                        for t in scope.send_timeouts:
                            yield pid, sc.Send(h, 1, 0, d, cs, t)
        if "Receive" in on:
            for h in ports:
                for t in scope.timeouts:
                    yield pid, sc.Receive(h, t)
        if "Close" in on:
            for h in ports + _handles(s, pid, Kind.CHANNEL):
                yield pid, sc.Close(h)
        if "SetFilter" in on:
            for h in ports:
                for f in scope.filters:
                    yield pid, sc.SetFilter(h, f.allowed_types, f.max_size, f.rate)
        yield from _names(scope, s, pid, ports)
        yield from _channels(scope, s, pid, room)
        yield from _buffers(scope, s, pid, room, ports)
        yield from _sockets(scope, s, pid, room)
    yield from _environment(scope, s)


def _names(
    scope: Scope, s: KernelState, pid: Pid, ports: list[int]
) -> Iterator[tuple[Pid, sc.Operation]]:
    on = scope.ops
    for n in scope.names:
        if "Bind" in on:
            for h in ports:
                for r in scope.published:
                    yield pid, sc.Bind(h, n, 0, r)
        if "Unbind" in on:
            for h in ports:
                yield pid, sc.Unbind(h, n)
        if "Lookup" in on:
            yield pid, sc.Lookup(n)
        if "Connect" in on:
            yield pid, sc.Connect(n, 1)


def _channels(
    scope: Scope, s: KernelState, pid: Pid, room: bool
) -> Iterator[tuple[Pid, sc.Operation]]:
    on = scope.ops
    chans = _handles(s, pid, Kind.CHANNEL)
    if room and "CreateChannel" in on:
        yield pid, sc.CreateChannel(2, 1)
    for h in chans:
        if "ChannelSend" in on:
            for t in scope.send_timeouts:
                yield pid, sc.ChannelSend(h, b"a", t)
                yield pid, sc.ChannelSend(h, b"b", t)
        if "ChannelSendBatch" in on:
            yield pid, sc.ChannelSendBatch(h, (b"a", b"b"))
        if "ChannelReceive" in on:
            yield pid, sc.ChannelReceive(h)
        if "ChannelReceiveBatch" in on:
            yield pid, sc.ChannelReceiveBatch(h, 2)


def _buffers(
    scope: Scope, s: KernelState, pid: Pid, room: bool, ports: list[int]
) -> Iterator[tuple[Pid, sc.Operation]]:
    on = scope.ops
    bufs = _handles(s, pid, Kind.BUFFER)
    if room and "CreateBuffer" in on:
        yield pid, sc.CreateBuffer(2)
    for h in bufs:
        if "MapBuffer" in on:
            yield pid, sc.MapBuffer(h, True)
        if "TransferBuffer" in on:
            for pt in ports:
                yield pid, sc.TransferBuffer(h, pt, 0)
    for m in sorted(table_of(s, pid).mappings):
        if "WriteBuffer" in on:
            yield pid, sc.WriteBuffer(m, 0, b"x")
        if "ReadBuffer" in on:
            yield pid, sc.ReadBuffer(m, 0, 1)
        if "Unmap" in on:
            yield pid, sc.Unmap(m)


def _sockets(
    scope: Scope, s: KernelState, pid: Pid, room: bool
) -> Iterator[tuple[Pid, sc.Operation]]:
    on = scope.ops
    if room and "Socket" in on:
        yield pid, sc.Socket(1)
    for fd in sorted(table_of(s, pid).fds):
        for n in scope.names:
            if "SockBind" in on:
                yield pid, sc.SockBind(fd, n)
            if "SockConnect" in on:
                yield pid, sc.SockConnect(fd, n)
        if "SockSend" in on:
            yield pid, sc.SockSend(fd, b"a")
        if "SockRecv" in on:
            yield pid, sc.SockRecv(fd, 1)
        if "SockClose" in on:
            yield pid, sc.SockClose(fd)


def _environment(scope: Scope, s: KernelState) -> Iterator[tuple[Pid, sc.Operation]]:
    if "AdvanceClock" in scope.ops:
        for t in scope.ticks:
            yield Pid(scope.env_pid), sc.AdvanceClock(t)
    if scope.kill:
        for pid in sorted(s.processes):
            yield Pid(scope.env_pid), sc.Kill(pid)
    if "SpawnThread" in scope.ops and len(s.processes) <= scope.processes + 1:
        for pid in sorted(s.processes):
            yield Pid(scope.env_pid), sc.SpawnThread(pid)


def _ops(*names: str) -> frozenset[str]:
    return frozenset(names)


CORE = _ops("CreatePort", "Derive", "Drop", "Revoke", "Send", "Receive", "Close")

SCOPES: dict[str, Scope] = {
    s.name: s
    for s in (
        Scope(
            "core",
            "ports, derive, revoke, one-capability sends, close, kill",
            depth=5,
            deep_depth=6,
            ops=CORE,
            rights=(SEND | RECEIVE, SEND | RECEIVE | MANAGE | GRANT),
            timeouts=(0, None),
            kill=True,
        ),
        Scope(
            "cycles",
            "a port's own capabilities sent into its queue, a ring of two"
            " ports, the last capability dropped: reclamation (CAP-RECLAIM)",
            depth=5,
            deep_depth=6,
            max_objects=2,
            processes=1,
            setup=((Pid(1), sc.CreatePort(1)), (Pid(1), sc.CreatePort(1))),
            ops=_ops("Derive", "Send", "Drop", "Receive"),
            rights=(SEND | GRANT,),
            timeouts=(0,),
        ),
        Scope(
            "messages",
            "two-capability sends, capabilities without GRANT, revoke in flight",
            depth=5,
            deep_depth=6,
            max_objects=1,
            ops=_ops("CreatePort", "Derive", "Send", "Receive", "Revoke"),
            rights=(SEND | GRANT, SEND),
            max_carried=2,
            port_capacities=(2,),
            data=(b"", b"a"),
        ),
        Scope(
            "waiters",
            "three processes: waiter order, hand-off, close and kill of waiters",
            processes=3,
            depth=6,
            deep_depth=8,
            max_objects=1,
            setup=(
                (Pid(1), sc.CreatePort(1)),
                (Pid(1), sc.Bind(1, "n", 0, PORT_RIGHTS)),
                (Pid(2), sc.Lookup("n")),
                (Pid(3), sc.Lookup("n")),
            ),
            ops=_ops("Send", "Receive", "Close", "Revoke", "AdvanceClock"),
            timeouts=(None, 1),
            kill=True,
            data=(b"",),
        ),
        Scope(
            "time",
            "negative, zero and positive timeouts; a rate with period 2",
            depth=8,
            deep_depth=12,
            max_objects=1,
            ops=_ops("CreatePort", "Send", "Receive", "SetFilter", "AdvanceClock"),
            timeouts=(-1, 0, 1, 2),
            invalid_handles=(9,),
            ticks=(1,),
            filters=(
                sc.SetFilter(0, None, None, sc.RateLimit(1, 1, 2)),
                sc.SetFilter(0, frozenset({2}), 0, None),
            ),
            data=(b"", b"a"),
            processes=1,
        ),
        Scope(
            "buffers",
            "buffers mapped by two processes, sent, transferred",
            depth=6,
            deep_depth=8,
            max_objects=2,
            ops=_ops(
                "CreatePort",
                "CreateBuffer",
                "MapBuffer",
                "Send",
                "Receive",
                "TransferBuffer",
                "WriteBuffer",
                "Derive",
            ),
            rights=(READ | GRANT,),
            timeouts=(0,),
        ),
        Scope(
            "names",
            "bind, lookup, connect, unbind, revoke of bindings",
            depth=6,
            deep_depth=7,
            max_objects=1,
            ops=_ops(
                "CreatePort",
                "Bind",
                "Unbind",
                "Lookup",
                "Connect",
                "Revoke",
                "Derive",
                "Drop",
            ),
            rights=(SEND,),
            published=(SEND, SEND | RECEIVE),
        ),
        Scope(
            "authority",
            "namespace authority: a process spawned without may_bind and"
            " may_lookup next to one with both (NS-BIND, NS-LOOKUP)",
            processes=1,
            depth=4,
            deep_depth=5,
            max_objects=2,
            setup=((Pid(1), sc.Spawn(may_bind=False, may_lookup=False)),),
            ops=_ops("CreatePort", "Bind", "Lookup", "Connect", "Socket", "SockBind"),
            published=(SEND, SEND | RECEIVE | MANAGE | GRANT),
        ),
        Scope(
            "channels",
            "rings of two one-byte slots, batches, close and drain",
            depth=8,
            deep_depth=12,
            max_objects=1,
            processes=1,
            ops=_ops(
                "CreateChannel",
                "ChannelSend",
                "ChannelSendBatch",
                "ChannelReceive",
                "ChannelReceiveBatch",
                "Close",
            ),
        ),
        Scope(
            "posix",
            "sockets bound, connected, sent to, closed; native sends to a socket",
            depth=7,
            deep_depth=8,
            max_objects=2,
            ops=_ops(
                "Socket",
                "SockBind",
                "SockConnect",
                "SockSend",
                "SockRecv",
                "SockClose",
                "Lookup",
                "Revoke",
            ),
        ),
        Scope(
            "transfer",
            "a buffer delegated, mapped through the delegate, transferred by"
            " its owner or by the delegate (BUF-TRANSFER)",
            processes=1,
            depth=5,
            deep_depth=6,
            max_objects=2,
            ops=_ops(
                "CreatePort",
                "CreateBuffer",
                "MapBuffer",
                "TransferBuffer",
                "Derive",
            ),
            rights=(READ | WRITE, MANAGE | GRANT),
        ),
        Scope(
            "blocking",
            "a full port of capacity 1 that pid 1 receives from and pids 2"
            " and 3 send to: sends block, are served in order by receives,"
            " time out, and are ended by close, revoke and kill"
            " (PORT-SEND-BLOCK)",
            processes=3,
            depth=4,
            deep_depth=5,
            max_objects=1,
            setup=(
                (Pid(1), sc.CreatePort(1)),
                (Pid(1), sc.Bind(1, "n", 0, SEND)),
                (Pid(2), sc.Lookup("n")),
                (Pid(3), sc.Lookup("n")),
                (Pid(1), sc.Send(1, 1, 0, b"a")),
            ),
            ops=_ops("Send", "Receive", "Close", "Revoke", "AdvanceClock"),
            send_timeouts=(0, None, 1),
            kill=True,
        ),
        Scope(
            "blocking-ring",
            "a full ring of one slot that pid 1 reads and pid 2 holds a SEND"
            " copy of (sent in a message): channel sends block, are served by"
            " reads, time out, and end by close and kill (CHAN-SEND-BLOCK)",
            processes=2,
            depth=4,
            deep_depth=5,
            max_objects=2,
            setup=(
                (Pid(1), sc.CreateChannel(1, 1)),
                (Pid(1), sc.Derive(1, SEND | GRANT)),
                (Pid(2), sc.CreatePort(1)),
                (Pid(2), sc.Bind(1, "n", 0, SEND)),
                (Pid(1), sc.Lookup("n")),
                (Pid(1), sc.Send(3, 1, 0, b"", (2,))),
                (Pid(2), sc.Receive(1)),
                (Pid(1), sc.Drop(3)),
                (Pid(2), sc.Drop(1)),
                (Pid(1), sc.ChannelSend(1, b"a")),
            ),
            ops=_ops("ChannelSend", "ChannelReceive", "Close", "AdvanceClock"),
            send_timeouts=(0, None, 1),
            kill=True,
        ),
        Scope(
            "quota",
            "handles, objects and queued bytes at their quotas: creates,"
            " derives, sends and receives refused with OutOfMemory; a send"
            " to a waiter without handle room, a hand-off given back by a"
            " kill (its bytes count until collected)",
            processes=2,
            depth=5,
            deep_depth=6,
            config=replace(SMALL, max_handles=2, max_objects=2, max_queued_bytes=1),
            max_objects=3,
            # process 1 sends to (and may receive from) process 2's port
            setup=(
                (Pid(2), sc.CreatePort(1)),
                (Pid(2), sc.Bind(1, "n", 0, SEND | RECEIVE)),
                (Pid(1), sc.Lookup("n")),
            ),
            ops=_ops("CreatePort", "Derive", "Send", "Receive", "Drop"),
            rights=(SEND | GRANT,),
            data=(b"a", b"ab"),
            timeouts=(None,),
            kill=True,
        ),
        Scope(
            "threads",
            "two threads of one process and another process: both wait on"
            " one port, a sibling acts while one waits, kill ends every"
            " thread (PROC-THREAD, PROC-STATUS, PROC-KILL)",
            processes=2,
            depth=4,
            deep_depth=6,
            max_objects=1,
            setup=(
                (Pid(1), sc.SpawnThread(1)),
                (Pid(1), sc.CreatePort(1)),
                (Pid(1), sc.Bind(1, "n", 0, PORT_RIGHTS)),
                (Pid(2), sc.Lookup("n")),
                (Pid(1), sc.Derive(1, SEND)),
            ),
            ops=_ops("Send", "Receive", "Drop", "SpawnThread"),
            timeouts=(None,),
            kill=True,
        ),
        Scope(
            "threads-blocking",
            "two threads of one task and another process on the task's full"
            " port: one thread blocks sending while its sibling receives,"
            " drops the handle, closes the port, or the task is killed"
            " (PROC-THREAD, PORT-SEND-BLOCK, PROC-KILL)",
            processes=2,
            depth=6,
            deep_depth=7,
            max_objects=1,
            setup=(
                (Pid(1), sc.SpawnThread(1)),
                (Pid(1), sc.CreatePort(1)),
                (Pid(1), sc.Bind(1, "n", 0, SEND)),
                (Pid(2), sc.Lookup("n")),
                (Pid(1), sc.Send(1, 1, 0, b"a")),
            ),
            ops=_ops("Send", "Receive", "Close", "Drop", "AdvanceClock"),
            send_timeouts=(None, 1),
            kill=True,
        ),
    )
}

CI_SCOPES: tuple[str, ...] = tuple(SCOPES)

__all__ = ["CI_SCOPES", "SCOPES", "SMALL", "Scope", "candidates"]
