"""Property tests: arbitrary operation sequences against the spec's structural
guarantees (ERR-TOTAL, ERR-ATOMIC, every INV-*, RIGHTS-DERIVE monotonicity,
FIFO per port (PORT-SEND, PORT-RECEIVE, PORT-HANDOFF) and per channel
(CHAN-SEND, CHAN-RECEIVE), no message or capability lost or duplicated)."""

from __future__ import annotations

from typing import Any

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
from veridian_ipc.spec.state import AtHandle, Port, Waiting
from veridian_ipc.spec.step import atomic
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

handles = st.integers(-1, 10)
small = st.integers(-1, 4)
data = st.binary(max_size=10) | st.just(bytes(65))
names = st.sampled_from(["a", "b", "", "toolong"])
rights = st.integers(0, 0x3F) | st.just(0x40)
rates = st.none() | st.builds(RateLimit, small, small, small)

operations = st.one_of(
    st.builds(Spawn),
    st.builds(Kill, st.integers(0, 4)),
    st.builds(AdvanceClock, st.integers(-1, 5)),
    st.builds(Inspect, handles),
    st.builds(Drop, handles),
    st.builds(Derive, handles, rights),
    st.builds(Revoke, handles),
    st.builds(CreatePort, small),
    st.builds(
        Send,
        handles,
        st.integers(-1, 3),
        st.integers(0, 2),
        data,
        st.lists(handles, max_size=5).map(tuple),
    ),
    st.builds(Receive, handles, st.none() | small),
    st.builds(Resume),
    st.builds(Close, handles),
    st.builds(
        SetFilter,
        handles,
        st.none() | st.frozensets(st.integers(-1, 3), max_size=3),
        st.none() | st.integers(-1, 70),
        rates,
    ),
    st.builds(Bind, handles, names, st.integers(-1, 2)),
    st.builds(Unbind, handles, names),
    st.builds(Lookup, names),
    st.builds(Connect, names, st.integers(-1, 2)),
    st.builds(CreateChannel, small, st.integers(-1, 9)),
    st.builds(ChannelSend, handles, data),
    st.builds(ChannelSendBatch, handles, st.lists(data, max_size=4).map(tuple)),
    st.builds(ChannelReceive, handles),
    st.builds(ChannelReceiveBatch, handles, small),
    st.builds(CreateBuffer, st.integers(-1, 17)),
    st.builds(MapBuffer, handles, st.booleans()),
    st.builds(Unmap, small),
    st.builds(ReadBuffer, small, st.integers(-1, 17), st.integers(-1, 9)),
    st.builds(WriteBuffer, small, st.integers(-1, 17), data),
    st.builds(TransferBuffer, handles, handles, st.integers(-1, 2)),
    st.builds(Socket, st.none() | small),
    st.builds(SockBind, small, names),
    st.builds(SockConnect, small, names),
    st.builds(SockSend, small, data),
    st.builds(SockRecv, small, st.integers(-1, 66)),
    st.builds(SockClose, small),
    # ill-typed values: ERR-TOTAL
    st.builds(Send, st.text(max_size=1), small, small, data, st.just(())),
    st.builds(CreatePort, st.booleans()),
    st.builds(ReadBuffer, small, st.floats(), small),
)

programs = st.lists(st.tuples(st.integers(0, 4), operations), max_size=60)


def _tagged(op: Any, tag: int) -> Any:
    """Make message data unique so deliveries can be traced to sends."""
    if (
        isinstance(op, Send | ChannelSend | SockSend)
        and isinstance(op.data, bytes)
        and len(op.data) <= 8
    ):
        return type(op)(**{**_fields(op), "data": tag.to_bytes(4, "big")})
    return op


def _fields(op: Any) -> dict[str, Any]:
    return {f: getattr(op, f) for f in op.__dataclass_fields__}


@given(programs)
def test_any_program_keeps_every_invariant(program: list[tuple[int, Any]]) -> None:
    """ERR-TOTAL, ERR-ATOMIC, every INV-*: no exception, invariants hold after
    every step, and a failed step returns the very state it was given."""
    s = initial_state(3, CONFIG)
    for pid, op in program:
        before = s
        s, r = step(s, pid, op)
        assert isinstance(r, Ok | Err)
        assert atomic(before, s, r, op), (op, r)
        assert violations(s) == [], (op, violations(s))


@given(programs)
def test_derived_rights_never_exceed_the_parents(
    program: list[tuple[int, Any]],
) -> None:
    """RIGHTS-DERIVE / INV-RIGHTS-MONOTONE along every path to a root."""
    s = initial_state(3, CONFIG)
    for pid, op in program:
        s, _ = step(s, pid, op)
        for cap in s.caps.values():
            anc = cap.parent
            while anc is not None:
                assert cap.rights & ~s.caps[anc].rights == 0
                anc = s.caps[anc].parent


@given(programs)
def test_fifo_no_loss_no_duplication(program: list[tuple[int, Any]]) -> None:
    """Per port and per channel, messages are delivered in the order sent, at
    most once, unchanged; every sent message is delivered, still queued, or
    counted as discarded by a socket close."""
    s = initial_state(3, CONFIG)
    sent: dict[int, list[bytes]] = {}
    delivered: dict[int, list[bytes]] = {}
    discarded: dict[int, int] = {}
    blocked_on: dict[int, int] = {}
    for tag, (pid, raw) in enumerate(program):
        op = _tagged(raw, tag)
        before = s
        s, r = step(s, pid, op)
        if isinstance(r, Err):
            continue
        proc = before.processes.get(pid)  # type: ignore[call-overload]

        def obj_of(handle: int, proc: Any = proc, before: Any = before) -> int:
            return int(before.caps[proc.handles[handle]].obj)

        if isinstance(op, (Send, ChannelSend)):
            sent.setdefault(obj_of(op.handle), []).append(op.data)
        elif isinstance(op, ChannelSendBatch):
            sent.setdefault(obj_of(op.handle), []).extend(op.items)
        elif isinstance(op, SockSend):
            assert proc is not None
            peer = proc.fds[op.fd].peer  # type: ignore[index]
            assert peer is not None
            sent.setdefault(before.caps[peer].obj, []).append(op.data)
        elif isinstance(op, Receive) and isinstance(r.value, Delivered):
            delivered.setdefault(obj_of(op.handle), []).append(r.value.data)
        elif isinstance(op, Receive):
            blocked_on[pid] = obj_of(op.handle)
        elif isinstance(op, Resume) and isinstance(r.value, Delivered):
            delivered.setdefault(blocked_on[pid], []).append(r.value.data)
        elif isinstance(op, ChannelReceive):
            delivered.setdefault(obj_of(op.handle), []).append(r.value)  # type: ignore[arg-type]
        elif isinstance(op, ChannelReceiveBatch):
            delivered.setdefault(obj_of(op.handle), []).extend(r.value)  # type: ignore[arg-type]
        elif isinstance(op, SockRecv):
            assert proc is not None
            own = before.caps[proc.fds[op.fd].own].obj  # type: ignore[index]
            delivered.setdefault(own, []).append(r.value)  # type: ignore[arg-type]
        elif isinstance(op, SockClose | Kill):
            for obj, o in before.objects.items():
                after = s.objects[obj]
                if isinstance(o, Port) and isinstance(after, Port):
                    lost = len(o.queue) - len(after.queue)
                    if lost > 0:  # POSIX-CLOSE discards and counts
                        discarded[obj] = discarded.get(obj, 0) + lost
    for obj, msgs in sent.items():
        got = delivered.get(obj, [])
        o = s.objects[obj]
        queued = (
            [m.data for m in o.queue]
            if isinstance(o, Port)
            else [
                o.slots[(o.read_idx + i) % o.capacity]  # type: ignore[union-attr]
                for i in range(o.write_idx - o.read_idx)  # type: ignore[union-attr]
            ]
        )
        gone = discarded.get(obj, 0)
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
