"""Property tests: arbitrary operation sequences against the spec's structural
guarantees (ERR-TOTAL, ERR-ATOMIC, every INV-*, RIGHTS-DERIVE monotonicity,
FIFO per port (PORT-SEND, PORT-RECEIVE, PORT-HANDOFF) and per channel
(CHAN-SEND, CHAN-RECEIVE), no message or capability lost or duplicated)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from hypothesis import given
from hypothesis import strategies as st

from veridian_ipc.spec import (
    Config,
    Delivered,
    Err,
    Ok,
    initial_state,
    step,
    violations,
)
from veridian_ipc.spec.state import (
    AtHandle,
    Channel,
    KernelState,
    Port,
    Process,
    Waiting,
    Woken,
)
from veridian_ipc.spec.step import atomic
from veridian_ipc.vocabulary.names import Fd, Handle, ObjId, Pid
from veridian_ipc.vocabulary.operations import OPS_BY_NAME
from veridian_ipc.vocabulary.syscalls import (
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

CONFIG = Config(
    max_port_capacity=3,
    max_channel_capacity=3,
    max_channel_message=8,
    max_buffer_size=16,
    max_io=8,
    max_name_length=4,
    default_socket_capacity=2,
)


@dataclass(frozen=True)
class Live:
    """A placeholder argument: the ``k``-th live handle (mapping id, fd, pid)
    of the issuing process at the time the operation runs."""

    k: int


def live_or(raw: st.SearchStrategy[int]) -> st.SearchStrategy[int | Live]:
    """Mostly (3 in 4) a live name, sometimes an arbitrary number (error paths).

    A ``Live`` stands in an int field of an operation record until ``resolve``
    replaces it."""
    live = st.builds(Live, st.integers(0, 7))
    return st.one_of(live, live, live, raw)


handle = live_or(st.integers(-1, 12))
mapping = live_or(st.integers(-1, 4))
fd = live_or(st.integers(-1, 3))
small = st.integers(1, 3) | st.integers(-1, 4)
short = st.binary(max_size=10)
payload = st.one_of(short, short, short, st.just(bytes(65)))
types_ = st.integers(0, 3) | st.integers(-1, 3)
carried = st.one_of(st.just(()), st.just(()), st.lists(handle, max_size=5).map(tuple))
names = st.sampled_from(["a", "b", "", "toolong"])
rights = st.integers(0, 0x3F) | st.just(0x40)
rates = st.none() | st.builds(RateLimit, small, small, small)

operations = st.one_of(
    # environment operations, together as one choice
    st.one_of(
        st.builds(Spawn),
        st.builds(Kill, live_or(st.integers(0, 9))),
        st.builds(AdvanceClock, st.integers(-1, 5)),
    ),
    st.builds(Inspect, handle),
    st.builds(Drop, handle),
    st.builds(Derive, handle, rights),
    st.builds(Revoke, handle),
    st.builds(CreatePort, small),
    st.builds(Send, handle, types_, st.integers(0, 2), payload, carried),
    st.builds(Send, handle, types_, st.integers(0, 2), short, st.just(())),
    st.builds(Receive, handle, st.none() | small),
    st.builds(Resume),
    st.builds(Close, handle),
    st.builds(
        SetFilter,
        handle,
        st.none() | st.frozensets(st.integers(-1, 3), max_size=3),
        st.none() | st.integers(-1, 70),
        rates,
    ),
    st.builds(Bind, handle, names, st.integers(-1, 2)),
    st.builds(Unbind, handle, names),
    st.builds(Lookup, names),
    st.builds(Connect, names, st.integers(-1, 2)),
    st.builds(CreateChannel, small, st.integers(-1, 9)),
    st.builds(ChannelSend, handle, payload),
    st.builds(ChannelSendBatch, handle, st.lists(payload, max_size=4).map(tuple)),
    st.builds(ChannelReceive, handle),
    st.builds(ChannelReceiveBatch, handle, small),
    st.builds(CreateBuffer, st.integers(-1, 17)),
    st.builds(MapBuffer, handle, st.booleans()),
    st.builds(Unmap, mapping),
    st.builds(ReadBuffer, mapping, st.integers(-1, 17), st.integers(-1, 9)),
    st.builds(WriteBuffer, mapping, st.integers(-1, 17), payload),
    st.builds(TransferBuffer, handle, handle, st.integers(-1, 2)),
    st.builds(Socket, st.none() | small),
    st.builds(SockBind, fd, names),
    st.builds(SockConnect, fd, names),
    st.builds(SockSend, fd, payload),
    st.builds(SockRecv, fd, st.integers(-1, 66)),
    st.builds(SockClose, fd),
    # ill-typed values (ERR-TOTAL)
    st.one_of(
        st.builds(Send, st.text(max_size=1), small, small, payload, st.just(())),
        st.builds(CreatePort, st.booleans()),
        st.builds(ReadBuffer, small, st.floats(), small),
    ),
)

#: Every program starts from a populated system: each process has a port
#: (bound under its own name and looked up by the next process), a channel, a
#: mapped buffer and a socket; process 1's socket is bound, process 2's
#: connected to it.
PROLOGUE: tuple[tuple[int, Operation], ...] = (
    *((p, CreatePort(2)) for p in (1, 2, 3)),
    (1, Bind(1, "a", 0)),
    (2, Bind(1, "b", 1)),
    (2, Lookup("a")),
    (3, Lookup("b")),
    *((p, CreateChannel(2, 4)) for p in (1, 2, 3)),
    *((p, CreateBuffer(8)) for p in (1, 2, 3)),
    *((p, MapBuffer(h, True)) for p, h in ((1, 3), (2, 4), (3, 4))),
    *((p, Socket(None)) for p in (1, 2, 3)),
    (1, SockBind(0, "s")),
    (2, SockConnect(0, "s")),
)


def populated() -> KernelState:
    """The state after ``PROLOGUE`` (each step of which must succeed)."""
    s = initial_state(3, CONFIG)
    for pid, op in PROLOGUE:
        s, r = step(s, pid, op)
        assert isinstance(r, Ok), (pid, op, r)
    return s


programs = st.lists(
    st.tuples(live_or(st.integers(-1, 6)), operations), min_size=10, max_size=60
)


def resolve(s: KernelState, who: int | Live, op: Operation) -> tuple[int, Operation]:
    """Replace every ``Live`` placeholder by a live name in ``s``."""
    pids: list[int] = sorted(s.processes)
    pid = (pids[who.k % len(pids)] if pids else 0) if isinstance(who, Live) else who
    proc = s.processes.get(Pid(pid))
    pools: dict[str, list[int]] = {
        "handle": sorted(proc.handles) if proc is not None else [],
        "mapping": sorted(proc.mappings) if proc is not None else [],
        "fd": sorted(proc.fds) if proc is not None else [],
        "target": pids,
    }
    pools["port"] = pools["caps"] = pools["handle"]

    def name(field: str, v: object) -> object:
        if not isinstance(v, Live):
            return v
        pool = pools[field]
        return pool[v.k % len(pool)] if pool else 0

    fields: dict[str, object] = {}
    for f in (fl.name for fl in OPS_BY_NAME[type(op).__name__].fields):
        v = getattr(op, f)
        if f == "caps" and isinstance(v, tuple):
            v = tuple(name("caps", c) for c in v)
        elif f in pools:
            v = name(f, v)
        fields[f] = v
    # the record's class, called with every field by name
    make: Callable[..., Operation] = type(op)
    return pid, make(**fields)


def _tagged(op: Operation, tag: int) -> Operation:
    """Make message data unique so deliveries can be traced to sends."""
    if (
        isinstance(op, Send | ChannelSend | SockSend)
        and isinstance(op.data, bytes)
        and len(op.data) <= 8
    ):
        return replace(op, data=tag.to_bytes(4, "big"))
    return op


Program = list[tuple[int | Live, Operation]]


def _handed(s: KernelState) -> dict[Pid, tuple[ObjId, bytes]]:
    """Each process woken by a hand-off it has not collected: the port and the
    message's data (PORT-HANDOFF)."""
    found: dict[Pid, tuple[ObjId, bytes]] = {}
    for pid, p in s.processes.items():
        st = p.status
        if isinstance(st, Woken) and st.handed is not None:
            assert isinstance(st.result, Ok)
            assert isinstance(st.result.value, Delivered)
            found[pid] = (st.handed, st.result.value.data)
    return found


@given(programs)
def test_any_program_keeps_every_invariant(program: Program) -> None:
    """ERR-TOTAL, ERR-ATOMIC, every INV-*: no exception, invariants hold after
    every step, and a failed step returns the very state it was given."""
    s = populated()
    for who, raw in program:
        pid, op = resolve(s, who, raw)
        before = s
        s, r = step(s, pid, op)
        assert isinstance(r, Ok | Err)
        assert atomic(before, s, r, op), (op, r)
        assert violations(s) == [], (op, violations(s))


@given(programs)
def test_derived_rights_never_exceed_the_parents(program: Program) -> None:
    """RIGHTS-DERIVE / INV-RIGHTS-MONOTONE along every path to a root."""
    s = populated()
    for who, raw in program:
        pid, op = resolve(s, who, raw)
        s, _ = step(s, pid, op)
        for cap in s.caps.values():
            anc = cap.parent
            while anc is not None:
                assert cap.rights & ~s.caps[anc].rights == 0
                anc = s.caps[anc].parent


@given(programs)
def test_fifo_no_loss_no_duplication(program: Program) -> None:
    """Per port and per channel, messages are delivered in the order sent, at
    most once, unchanged; every sent message is delivered, still queued, or
    counted as discarded by a socket close."""
    s = populated()
    sent: dict[ObjId, list[bytes]] = {}
    delivered: dict[ObjId, list[bytes]] = {}
    discarded: dict[ObjId, int] = {}
    returned: set[ObjId] = set()
    for tag, (who, raw) in enumerate(program):
        pid, op = resolve(s, who, _tagged(raw, tag))
        before = s
        s, r = step(s, pid, op)
        if isinstance(r, Err):
            continue
        proc = before.processes.get(Pid(pid))

        def obj_of(
            handle: int, proc: Process | None = proc, before: KernelState = before
        ) -> ObjId:
            assert proc is not None
            return before.caps[proc.handles[Handle(handle)]].obj

        if isinstance(op, (Send, ChannelSend)):
            sent.setdefault(obj_of(op.handle), []).append(op.data)
        elif isinstance(op, ChannelSendBatch):
            sent.setdefault(obj_of(op.handle), []).extend(op.items)
        elif isinstance(op, SockSend):
            assert proc is not None
            peer = proc.fds[Fd(op.fd)].peer
            assert peer is not None
            sent.setdefault(before.caps[peer].obj, []).append(op.data)
        elif isinstance(op, Receive) and isinstance(r.value, Delivered):
            delivered.setdefault(obj_of(op.handle), []).append(r.value.data)
        elif isinstance(op, Kill):
            gone_to = _handed(before).get(Pid(op.target))
            if gone_to is not None:  # back to its port (PORT-HANDOFF)
                delivered[gone_to[0]].remove(gone_to[1])
                returned.add(gone_to[0])
        elif isinstance(op, ChannelReceive):
            assert isinstance(r.value, bytes)
            delivered.setdefault(obj_of(op.handle), []).append(r.value)
        elif isinstance(op, ChannelReceiveBatch):
            assert isinstance(r.value, tuple)
            delivered.setdefault(obj_of(op.handle), []).extend(r.value)
        elif isinstance(op, SockRecv):
            assert proc is not None
            assert isinstance(r.value, bytes)
            own = before.caps[proc.fds[Fd(op.fd)].own].obj
            delivered.setdefault(own, []).append(r.value)
        # a hand-off delivers when it is made (PORT-HANDOFF), not at Resume
        was = _handed(before)
        for who_, (obj, data) in _handed(s).items():
            if was.get(who_) != (obj, data):
                delivered.setdefault(obj, []).append(data)
        if isinstance(op, SockClose | Kill):
            for obj, o in before.objects.items():
                after = s.objects[obj]
                if isinstance(o, Port) and isinstance(after, Port):
                    lost = len(o.queue) - len(after.queue)
                    if lost > 0:  # POSIX-CLOSE discards and counts
                        discarded[obj] = discarded.get(obj, 0) + lost
    for obj, msgs in sent.items():
        got = delivered.get(obj, [])
        o = s.objects[obj]
        assert isinstance(o, Port | Channel), o
        queued = (
            [m.data for m in o.queue]
            if isinstance(o, Port)
            else [
                o.slots[(o.read_idx + i) % o.capacity]
                for i in range(o.write_idx - o.read_idx)
            ]
        )
        gone = discarded.get(obj, 0)
        if obj in returned:  # a returned hand-off comes after later ones
            seen = got + queued
            assert len(set(seen)) == len(seen), (obj, seen)
            assert set(seen) <= set(msgs), (obj, seen, msgs)
            continue
        # delivered ++ discarded-prefix ++ queued == sent, in order
        assert got == msgs[: len(got)], (obj, got, msgs)
        assert msgs[len(got) + gone :] == queued, (obj, msgs, got, gone, queued)
    # nobody waits on a port that holds messages (hand-off never overtaken)
    for o in s.objects.values():
        if isinstance(o, Port):
            assert not (o.waiters and o.queue)
    for p in s.processes.values():
        if isinstance(p.status, Waiting):
            assert isinstance(s.caps[p.status.cap].at, AtHandle)
