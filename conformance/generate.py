"""Operation generators: valid and invalid operations drawn from the spec's state.

Each generator draws ``(pid, operation)`` in the spec's numbering, looking at
the current spec state so that most operations are meaningful: handles are
mostly live handles of the right kind, sometimes of the wrong kind, stale
(dropped, revoked, moved away) or never issued; sizes sit around every limit
of the configuration (``checker.SMALL_CONFIG``) and of the fixed limits
(64 bytes, 4 capabilities); names come from a small pool plus invalid ones.
Hypothesis shrinks the draws, so small and valid choices come first.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st

from veridian_ipc.conformance.surface import OP_GROUP
from veridian_ipc.spec.names import MAX_INLINE_DATA, MAX_MESSAGE_CAPS, MAX_U32
from veridian_ipc.spec.rights import ALL_RIGHTS
from veridian_ipc.spec.state import KernelState, Kind, Running
from veridian_ipc.spec.syscalls import (
    AdvanceClock,
    Bind,
    ChannelReceive,
    ChannelReceiveBatch,
    ChannelSend,
    ChannelSendBatch,
    Close,
    Connect,
    CreateBuffer,
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
    SockBind,
    SockClose,
    SockConnect,
    Socket,
    SockRecv,
    SockSend,
    Spawn,
    TransferBuffer,
    Unbind,
    Unmap,
    WriteBuffer,
)

Draw = Callable[[st.SearchStrategy[Any]], Any]

NAMES = ("a", "b", "svc")
BAD_NAMES = ("", "x\0", "toolong!")


@lru_cache(maxsize=256)
def _index(n: int) -> st.SearchStrategy[int]:
    return st.integers(0, n - 1)


_ROLL = st.integers(0, 99)


class Gen:
    """Draws arguments from one spec state."""

    def __init__(self, draw: Draw, s: KernelState, groups: frozenset[str]) -> None:
        self.draw = draw
        self.s = s
        self.groups = groups

    def roll(self) -> int:
        """0..99; shrinks to 0, the most ordinary choice."""
        r: int = self.draw(_ROLL)
        return r

    def pick(self, items: list[Any]) -> Any:
        """One of ``items`` (non-empty); shrinks towards the first."""
        if len(items) == 1:
            return items[0]
        return items[self.draw(_index(len(items)))]

    def actor(self, kind: Kind | None = None) -> tuple[int, int]:
        """A process and one of its handles (of ``kind``): mostly a running
        process that holds such a handle, else ``pid()`` and ``handle()``."""
        r = self.roll()
        if r < 80:
            blocked = r < 6  # a blocked process tries too (PROC-STATUS)
            pairs = [
                (pid, h)
                for pid, p in self.s.processes.items()
                if isinstance(p.status, Running) != blocked
                for h in self.handles(pid, kind)
            ]
            if self.roll() < 85:  # mostly objects still open
                pairs = [x for x in pairs if self.is_open(*x)] or pairs
            if pairs:
                pid, h = self.pick(sorted(pairs))
                return int(pid), int(h)
        pid = self.pid()
        return pid, self.handle(pid, kind)

    def is_open(self, pid: int, handle: int) -> bool:
        """The handle's object is not a closed port or channel."""
        cap = self.s.caps[self.s.processes[pid].handles[handle]]  # type: ignore[index]
        return not getattr(self.s.objects[cap.obj], "closed", False)

    def pid(self) -> int:
        """Mostly a running process; sometimes a blocked, dead or unknown one."""
        running = [
            p for p, q in self.s.processes.items() if isinstance(q.status, Running)
        ]
        others = [p for p in self.s.processes if p not in running]
        r = self.roll()
        if running and r < 90:
            return int(self.pick(sorted(running)))
        if others and r < 96:
            return int(self.pick(sorted(others)))
        return int(self.pick([0, self.s.next_pid, self.s.next_pid - 1]))

    def handles(self, pid: int, kind: Kind | None = None) -> list[int]:
        """Live handles of ``pid`` (of ``kind`` if given), sorted."""
        p = self.s.processes.get(pid)  # type: ignore[call-overload]
        if p is None:
            return []
        return sorted(
            h
            for h, c in p.handles.items()
            if kind is None or self.s.caps[c].kind is kind
        )

    def handle(self, pid: int, kind: Kind | None = None) -> int:
        """A handle of ``pid``: live of ``kind`` mostly, else any, stale, invented."""
        p = self.s.processes.get(pid)  # type: ignore[call-overload]
        nxt = 1 if p is None else p.next_handle
        good = self.handles(pid, kind)
        anyh = self.handles(pid)
        r = self.roll()
        if good and r < 80:
            return int(self.pick(good))
        if anyh and r < 88:
            return int(self.pick(anyh))
        stale = [h for h in range(1, nxt) if h not in anyh]
        if stale and r < 95:
            return int(self.pick(stale))
        return int(self.pick([nxt, nxt + 1, 0, -1]))

    def _running_pairs(self, what: str) -> list[tuple[int, int]]:
        return sorted(
            (pid, x)
            for pid, p in self.s.processes.items()
            if isinstance(p.status, Running)
            for x in getattr(p, what)
        )

    def actor_mapping(self) -> tuple[int, int]:
        """A process and one of its mapping ids, mostly a live one."""
        pairs = self._running_pairs("mappings")
        if pairs and self.roll() < 75:
            pid, m = self.pick(pairs)
            return int(pid), int(m)
        pid = self.pid()
        return pid, self.mapping(pid)

    def actor_fd(self) -> tuple[int, int]:
        """A process and one of its file descriptors, mostly an open one."""
        pairs = self._running_pairs("fds")
        if pairs and self.roll() < 75:
            pid, fd = self.pick(pairs)
            return int(pid), int(fd)
        pid = self.pid()
        return pid, self.fd(pid)

    def mapping(self, pid: int) -> int:
        """A mapping id: live mostly, else stale or invented."""
        p = self.s.processes.get(pid)  # type: ignore[call-overload]
        if p is None:
            return 1
        live = sorted(p.mappings)
        r = self.roll()
        if live and r < 85:
            return int(self.pick(live))
        stale = [m for m in range(1, p.next_mapping) if m not in live]
        if stale and r < 93:
            return int(self.pick(stale))
        return int(self.pick([p.next_mapping, 0]))

    def fd(self, pid: int) -> int:
        """A file descriptor: open mostly, else a closed or negative one."""
        p = self.s.processes.get(pid)  # type: ignore[call-overload]
        live = [] if p is None else sorted(p.fds)
        if live and self.roll() < 85:
            return int(self.pick(live))
        return int(self.pick([0, 1, 2, 3, -1]))

    def size(self, limit: int) -> int:
        """A count near 0 or near ``limit``: -1..2, limit-1..limit+1."""
        return int(self.pick([1, 2, 0, limit, limit + 1, limit - 1, -1]))

    def data(self, limit: int = MAX_INLINE_DATA) -> bytes:
        """Bytes of a length near 0 or near ``limit`` (over it one time in 10)."""
        if self.roll() < 90:
            n = int(self.pick([0, 1, 2, 3, limit, limit - 1]))
        else:
            n = limit + 1
        n = max(n, 0)
        b: bytes = self.draw(st.binary(min_size=n, max_size=n))
        return b

    def name(self) -> str:
        """Mostly a valid name of a small pool; sometimes an invalid one."""
        if self.roll() < 90:
            return str(self.pick(list(NAMES)))
        return str(self.pick(list(BAD_NAMES)))

    def rights(self, pid: int, handle: int) -> int:
        """Mostly a subset of ``handle``'s rights, else any bits (maybe invalid)."""
        p = self.s.processes.get(pid)  # type: ignore[call-overload]
        cap = None if p is None else p.handles.get(handle)
        have = ALL_RIGHTS if cap is None else self.s.caps[cap].rights
        r = self.roll()
        if r < 75:
            mask: int = self.draw(st.integers(0, ALL_RIGHTS))
            return mask & have
        if r < 95:
            return int(self.draw(st.integers(0, ALL_RIGHTS)))
        return int(self.pick([ALL_RIGHTS + 1, 0x40, -1]))

    def msg_type(self) -> int:
        """A message or service type: small mostly, out of range one time in 10."""
        if self.roll() < 90:
            return int(self.pick([0, 1, 2, MAX_U32]))
        return int(self.pick([MAX_U32 + 1, -1]))


GenFn = Callable[[Gen], tuple[int, Operation]]


def _spawn(g: Gen) -> tuple[int, Operation]:
    return 0, Spawn()


def _kill(g: Gen) -> tuple[int, Operation]:
    live = sorted(g.s.processes)
    if live and g.roll() < 85:
        return 0, Kill(int(g.pick(live)))
    return 0, Kill(int(g.pick([g.s.next_pid, 0])))


def _advance(g: Gen) -> tuple[int, Operation]:
    return 0, AdvanceClock(int(g.pick([1, 2, 0, 3, 5, -1])))


def _on_handle(make: Callable[[int], Operation], kind: Kind | None = None) -> GenFn:
    def gen(g: Gen) -> tuple[int, Operation]:
        pid, h = g.actor(kind)
        return pid, make(h)

    return gen


def _derive(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor()
    return pid, Derive(h, g.rights(pid, h))


def _create_port(g: Gen) -> tuple[int, Operation]:
    return g.pid(), CreatePort(g.size(g.s.config.max_port_capacity))


def _send(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.PORT)
    caps: tuple[int, ...] = ()
    if "messages" in g.groups and g.roll() < 40:
        pool = [x for x in g.handles(pid) if x != h] or [h + 1]
        n = int(g.pick([1, 2, MAX_MESSAGE_CAPS + 1, MAX_MESSAGE_CAPS, 0, 3]))
        caps = tuple(int(g.pick(pool)) for _ in range(n))
        if g.roll() < 80:  # distinct, padded with never-issued handles
            caps = tuple(dict.fromkeys(caps))
            nxt = _fresh_handle(g, pid) if pid in g.s.processes else 1
            caps += tuple(range(nxt, nxt + n - len(caps)))
        if g.roll() < 5:
            caps = (*caps, h)
    flags = int(g.pick([0, 1, 0xFFFF])) if g.roll() < 95 else 0x10000
    return pid, Send(h, g.msg_type(), flags, g.data(), caps)


def _receive(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.PORT)
    choices: list[int | None] = [0]
    if "timeouts" in g.groups:
        choices += [1, 2, None, 3]
    choices.append(-1)
    return pid, Receive(h, g.pick(choices))


def _resume(g: Gen) -> tuple[int, Operation]:
    blocked = sorted(
        p for p, q in g.s.processes.items() if not isinstance(q.status, Running)
    )
    if blocked and g.roll() < 90:
        return int(g.pick(blocked)), Resume()
    return g.pid(), Resume()


def _close(g: Gen) -> tuple[int, Operation]:
    kind = Kind.CHANNEL if "channels" in g.groups and g.roll() < 30 else Kind.PORT
    pid, h = g.actor(kind)
    return pid, Close(h)


def _set_filter(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.PORT)
    types = None
    if g.roll() < 50:
        types = frozenset(g.draw(st.sets(st.sampled_from([0, 1, 2]), max_size=2)))
        if g.roll() < 5:
            types = types | {MAX_U32 + 1}
    size = None if g.roll() < 50 else int(g.pick([0, 2, 3, MAX_INLINE_DATA, 65]))
    rate = None
    if g.roll() < 50:
        rate = RateLimit(
            int(g.pick([1, 2, 0])), int(g.pick([1, 2, 0])), int(g.pick([1, 2, 3, 0]))
        )
    return pid, SetFilter(h, types, size, rate)


def _bind(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.PORT)
    return pid, Bind(h, g.name(), int(g.pick([0, 1, -1])))


def _unbind(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.PORT)
    return pid, Unbind(h, g.name())


def _lookup(g: Gen) -> tuple[int, Operation]:
    return g.pid(), Lookup(g.name())


def _connect(g: Gen) -> tuple[int, Operation]:
    return g.pid(), Connect(g.name(), int(g.pick([0, 1, MAX_U32 + 1])))


def _create_channel(g: Gen) -> tuple[int, Operation]:
    c = g.s.config
    return g.pid(), CreateChannel(
        g.size(c.max_channel_capacity), g.size(c.max_channel_message)
    )


def _chan_limit(g: Gen) -> int:
    return g.s.config.max_channel_message


def _channel_send(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.CHANNEL)
    return pid, ChannelSend(h, g.data(_chan_limit(g)))


def _channel_send_batch(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.CHANNEL)
    n = int(g.pick([1, 2, 3, 0, 4]))
    items = tuple(g.data(_chan_limit(g)) for _ in range(n))
    return pid, ChannelSendBatch(h, items)


def _channel_receive_batch(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.CHANNEL)
    return pid, ChannelReceiveBatch(h, int(g.pick([1, 2, 3, 0])))


def _create_buffer(g: Gen) -> tuple[int, Operation]:
    return g.pid(), CreateBuffer(g.size(g.s.config.max_buffer_size))


def _map(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.BUFFER)
    return pid, MapBuffer(h, bool(g.pick([True, False])))


def _unmap(g: Gen) -> tuple[int, Operation]:
    pid, m = g.actor_mapping()
    return pid, Unmap(m)


def _offset(g: Gen, pid: int, mapping: int) -> int:
    """An offset near 0 or near the end of the mapped buffer."""
    size = g.s.config.max_buffer_size
    p = g.s.processes.get(pid)  # type: ignore[call-overload]
    m = None if p is None else p.mappings.get(mapping)
    if m is not None:
        size = g.s.objects[m.buf].size  # type: ignore[union-attr]
    return int(g.pick([0, 1, 2, size - 1, size, -1, size - 2]))


def _read(g: Gen) -> tuple[int, Operation]:
    pid, m = g.actor_mapping()
    length = int(g.pick([1, 2, 0, 3, g.s.config.max_io, g.s.config.max_io + 1, -1]))
    return pid, ReadBuffer(m, _offset(g, pid, m), length)


def _write(g: Gen) -> tuple[int, Operation]:
    pid, m = g.actor_mapping()
    return pid, WriteBuffer(m, _offset(g, pid, m), g.data(g.s.config.max_io))


def _transfer(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.BUFFER)
    return pid, TransferBuffer(h, g.handle(pid, Kind.PORT), g.msg_type())


def _socket(g: Gen) -> tuple[int, Operation]:
    cap = None if g.roll() < 50 else g.size(g.s.config.max_port_capacity)
    return g.pid(), Socket(cap)


def _sock_bind(g: Gen) -> tuple[int, Operation]:
    pid, fd = g.actor_fd()
    return pid, SockBind(fd, g.name())


def _sock_connect(g: Gen) -> tuple[int, Operation]:
    pid, fd = g.actor_fd()
    return pid, SockConnect(fd, g.name())


def _sock_send(g: Gen) -> tuple[int, Operation]:
    pid, fd = g.actor_fd()
    return pid, SockSend(fd, g.data())


def _sock_recv(g: Gen) -> tuple[int, Operation]:
    pid, fd = g.actor_fd()
    return pid, SockRecv(fd, int(g.pick([MAX_INLINE_DATA, 0, 1, 2, -1])))


def _sock_close(g: Gen) -> tuple[int, Operation]:
    pid, fd = g.actor_fd()
    return pid, SockClose(fd)


#: One generator per operation (the machine makes one rule of each).
GENERATORS: dict[str, GenFn] = {
    "Spawn": _spawn,
    "Kill": _kill,
    "AdvanceClock": _advance,
    "Inspect": _on_handle(Inspect),
    "Drop": _on_handle(Drop),
    "Derive": _derive,
    "Revoke": _on_handle(Revoke),
    "CreatePort": _create_port,
    "Send": _send,
    "Receive": _receive,
    "Resume": _resume,
    "Close": _close,
    "SetFilter": _set_filter,
    "Bind": _bind,
    "Unbind": _unbind,
    "Lookup": _lookup,
    "Connect": _connect,
    "CreateChannel": _create_channel,
    "ChannelSend": _channel_send,
    "ChannelSendBatch": _channel_send_batch,
    "ChannelReceive": _on_handle(ChannelReceive, Kind.CHANNEL),
    "ChannelReceiveBatch": _channel_receive_batch,
    "CreateBuffer": _create_buffer,
    "MapBuffer": _map,
    "Unmap": _unmap,
    "ReadBuffer": _read,
    "WriteBuffer": _write,
    "TransferBuffer": _transfer,
    "Socket": _socket,
    "SockBind": _sock_bind,
    "SockConnect": _sock_connect,
    "SockSend": _sock_send,
    "SockRecv": _sock_recv,
    "SockClose": _sock_close,
}


def ill_typed(g: Gen) -> tuple[int, Operation]:
    """An operation with a field of the wrong type (ERR-TOTAL): a bool or a
    string where an int is declared."""
    pid = g.pid()
    h = g.handle(pid)
    bad: list[Operation] = [
        Drop(True),
        CreatePort("2"),  # type: ignore[arg-type]
        Inspect(str(h)),  # type: ignore[arg-type]
        Receive(h, False),
    ]
    return pid, g.pick(bad)


# -- scenarios: short sequences that reach what single random steps rarely do ---

Steps = list[tuple[int, Operation]]


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
    deadline, a close, a revoke, or the receiver is killed; then they resume
    (PORT-HANDOFF, TIME-DEADLINE, PORT-RESUME, PORT-CLOSE, RIGHTS-REVOKE,
    PROC-KILL, PROC-STATUS)."""
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
        ha, hb, name = _fresh_handle(g, pa), _fresh_handle(g, pb), _free_name(g)
        steps += [(pa, CreatePort(2)), (pa, Bind(ha, name, 0)), (pb, Lookup(name))]
        others = [p for p in running if p not in (pa, pb)]
        if others:
            pc = int(g.pick(others))
            steps.append((pc, Lookup(name)))
            third = [(pc, _fresh_handle(g, pc))]
    else:
        return [_create_port(g)]
    timeout = g.pick([2, 1, None]) if "timeouts" in g.groups else None
    steps.append((pb, Receive(hb, timeout)))
    if g.roll() < 20:  # a blocked process can only resume (PROC-STATUS)
        steps.append((pb, g.pick([Inspect(hb), CreatePort(1), Drop(hb)])))
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
    elif how == 3:
        steps.append((pa, Revoke(ha)))
    else:
        steps.append((0, Kill(pb)))
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
        return [_create_port(g)]
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
    if not held:
        return [_create_buffer(g)]
    pid, h = g.pick(held)
    child = _fresh_handle(g, pid)
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
        return [_create_buffer(g)]
    pid, b = g.pick(bufs)
    ports = [h for q, h in _held(g, Kind.PORT, 0x3) if q == pid]
    steps: Steps = []
    if ports and g.roll() < 60:
        port = int(g.pick(ports))
    else:
        port = _fresh_handle(g, pid)
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
        return [_create_port(g)]
    pid, h = g.pick(empty)
    t = int(g.pick([1, 2]))
    return [
        (pid, Receive(h, t)),
        (pid, g.pick([Inspect(h), CreatePort(1), Derive(h, 0), Resume()])),
        (0, AdvanceClock(t)),
        (pid, Resume()),
    ]


def carry_caps(g: Gen) -> Steps:
    """Capabilities travel: derive, send them in a message, maybe revoke one in
    flight, receive (MSG-TRANSFER, MSG-INFLIGHT-REVOKE, RIGHTS-DERIVE)."""
    ports = [x for x in _port_holders(g) if x[2] & 0x3 == 0x3]
    if not ports:
        return [_create_port(g)]
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
        return [_create_port(g)]
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
            return [_create_channel(g)]
        h = _fresh_handle(g, pid)
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
            return [_create_buffer(g)]
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
        weak = _fresh_handle(g, pid)
        return [(pid, Derive(h, 0x18)), (pid, MapBuffer(weak, True))]
    ports = _held(g, Kind.PORT)
    if not ports:
        return [_create_port(g)]
    pid, h = g.pick(ports)
    weak = _fresh_handle(g, pid)
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
    nxt = _fresh_handle(g, pid) if pid in g.s.processes else 1
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


#: Scenario generators (each a rule of the machine).
SCENARIOS: dict[str, Callable[[Gen], Steps]] = {
    "rendezvous": rendezvous,
    "filtered_sends": filtered_sends,
    "carry_caps": carry_caps,
    "socket_exchange": socket_exchange,
    "socket_churn": socket_churn,
    "queue_traffic": queue_traffic,
    "channel_traffic": channel_traffic,
    "buffer_io": buffer_io,
    "attenuated": attenuated,
    "double_fault": double_fault,
    "drop_held": drop_held,
    "blocked_acts": blocked_acts,
    "hand_over": hand_over,
}


# -- set-ups: what every example starts from (each may be skipped; shrinks to
# skipping, so minimal traces keep only the set-up they need) --------------------


def _skip(g: Gen) -> bool:
    return g.roll() < 15


def _fresh_handle(g: Gen, pid: int, k: int = 0) -> int:
    """The spec's number for the ``k``-th handle ``pid`` will get next."""
    return int(g.s.processes[pid].next_handle) + k  # type: ignore[index]


def setup_ports(g: Gen) -> Steps:
    """Process 1 creates a port and publishes it; process 2 looks it up; a
    SEND-only copy exists for attenuation tests."""
    if _skip(g) or 1 not in g.s.processes:
        return []
    h = _fresh_handle(g, 1)
    steps: Steps = [(1, CreatePort(int(g.pick([2, 3, 1]))))]
    if "rights" in g.groups and g.roll() < 60:
        steps.append((1, Derive(h, int(g.pick([0x9, 0x1, 0x3])))))
    if "namespace" in g.groups and 2 in g.s.processes:
        steps.append((1, Bind(h, "a", int(g.pick([0, 1])))))
        steps.append((2, g.pick([Lookup("a"), Connect("a", int(g.pick([0, 1])))])))
        if 3 in g.s.processes and g.roll() < 80:
            steps.append((3, Lookup("a")))
    return steps


def setup_channels(g: Gen) -> Steps:
    """Process 1 creates a small channel (and maybe a send-only copy)."""
    if _skip(g) or 1 not in g.s.processes:
        return []
    h = _fresh_handle(g, 1)
    steps: Steps = [(1, CreateChannel(int(g.pick([2, 3, 1])), int(g.pick([4, 8, 2]))))]
    if "rights" in g.groups and g.roll() < 40:
        steps.append((1, Derive(h, int(g.pick([0x1, 0x2, 0xB])))))
    return steps


def setup_buffers(g: Gen) -> Steps:
    """Process 1 creates a buffer and maps it (and maybe a read-only copy)."""
    if _skip(g) or 1 not in g.s.processes:
        return []
    h = _fresh_handle(g, 1)
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


#: Set-up generators by the group they need (run first, in random order).
SETUPS: dict[str, Callable[[Gen], Steps]] = {
    "ports": setup_ports,
    "channels": setup_channels,
    "buffers": setup_buffers,
    "posix": setup_sockets,
}
