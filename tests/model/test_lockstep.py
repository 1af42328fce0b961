"""Lock-step: the model and the spec agree on every result and observation.

Random operation sequences (valid and invalid, several processes, blocking
receives, Resume, AdvanceClock, Kill, revokes, transfers, sockets, ill-typed
records) are applied to ``spec.step`` and ``Kernel.apply``; after every step
the results and ``observe()`` must be equal.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veridian_ipc.model.kernel import Kernel
from veridian_ipc.spec import initial_state, step
from veridian_ipc.spec.observe import observe
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Config

#: long runs: left out of the quick test tier
pytestmark = pytest.mark.campaign

SMALL = Config(
    max_port_capacity=3,
    max_channel_capacity=4,
    max_channel_message=6,
    max_buffer_size=32,
    max_io=16,
    max_name_length=4,
    default_socket_capacity=2,
)

names = st.sampled_from(["a", "b", "", "toolong", "c\0"])
datas = st.binary(max_size=8) | st.sampled_from([bytes(64), bytes(65)])
timeouts = st.none() | st.integers(-1, 4)
small = st.integers(-1, 5)
u32ish = st.sampled_from([0, 1, 0xFFFF_FFFF, 0x1_0000_0000, -1])
rates = st.none() | st.builds(
    sc.RateLimit, st.integers(0, 2), st.integers(0, 2), st.integers(0, 3)
)


def one_of_live(live: list[int], stale: int = 9) -> st.SearchStrategy[int]:
    """Mostly a live number, sometimes any small one (stale, never issued)."""
    if not live:
        return st.integers(-1, stale)
    return st.one_of(*[st.sampled_from(live)] * 5, st.integers(-1, stale))


def op_for(obs: Any, pid: int) -> st.SearchStrategy[Any]:
    """Operations for ``pid``, with arguments drawn mostly from what it holds."""
    proc = obs["processes"].get(pid)
    pids_ = one_of_live(sorted(obs["processes"]), 5)
    if proc is None:
        return st.one_of(
            st.just(sc.Spawn()), st.builds(sc.Kill, pids_), st.just(sc.Inspect(1))
        )
    if proc["status"] != "running":
        return st.one_of(
            st.just(sc.Resume()),
            st.just(sc.Resume()),
            st.builds(sc.AdvanceClock, st.integers(0, 3)),
            st.builds(sc.Kill, pids_),
            st.just(sc.Inspect(1)),
        )
    handles = proc["handles"]

    def of_kind(kind: str | None) -> st.SearchStrategy[int]:
        return one_of_live(
            sorted(x for x in handles if kind is None or handles[x]["kind"] == kind)
        )

    h, hp, hc, hb = (
        of_kind(None),
        of_kind("port"),
        of_kind("channel"),
        of_kind("buffer"),
    )
    m = one_of_live(sorted(proc["mappings"]), 4)
    fd = one_of_live(sorted(proc["fds"]), 3)
    bound = sorted(obs["namespace"])
    nm = st.one_of(st.sampled_from(bound), names) if bound else names
    creators = [
        st.builds(sc.CreatePort, st.integers(1, 3)),
        st.builds(sc.CreateChannel, st.integers(1, 4), st.integers(1, 6)),
        st.builds(sc.CreateBuffer, st.integers(1, 32)),
        st.builds(sc.Socket, st.none() | st.integers(1, 2)),
    ]
    if not handles and not proc["fds"]:
        return st.one_of(*creators, st.builds(sc.Lookup, nm))
    return st.one_of(
        *creators,
        # ports and messages, weighted up
        st.builds(sc.Send, hp, st.just(0), st.just(0), st.binary(max_size=2)),
        st.builds(
            sc.Send,
            hp,
            st.sampled_from([0, 1, 2, -1]),
            st.sampled_from([0, 3, 0x10000]),
            datas,
            st.lists(h, max_size=5).map(tuple),
        ),
        st.builds(sc.Send, hp, st.just(1), st.just(0), st.just(b""), st.tuples(h)),
        st.builds(sc.Receive, hp, st.none() | st.integers(1, 3)),
        st.builds(sc.Receive, hp, timeouts),
        st.just(sc.Resume()),
        st.builds(sc.Close, h),
        st.builds(
            sc.SetFilter,
            hp,
            st.none() | st.frozensets(st.sampled_from([0, 1, -1]), max_size=2),
            st.none() | st.integers(-1, 65),
            rates,
        ),
        # capabilities and processes
        st.just(sc.Spawn()),
        st.builds(sc.Kill, pids_),
        st.builds(sc.AdvanceClock, st.integers(-1, 4)),
        st.builds(sc.Inspect, h),
        st.builds(sc.Drop, h),
        st.builds(sc.Derive, h, st.sampled_from([1, 2, 3, 5, 9, 0x10, 0x30, 0x3C])),
        st.builds(sc.Derive, h, st.integers(-1, 0x40)),
        st.builds(sc.Revoke, h),
        st.builds(sc.CreatePort, small),
        # namespace
        st.builds(sc.Bind, hp, nm, u32ish),
        st.builds(sc.Unbind, hp, nm),
        st.builds(sc.Lookup, nm),
        st.builds(sc.Connect, nm, u32ish),
        # channels
        st.builds(sc.CreateChannel, small, st.integers(0, 7)),
        st.builds(sc.ChannelSend, hc, st.binary(max_size=7)),
        st.builds(
            sc.ChannelSendBatch,
            hc,
            st.lists(st.binary(max_size=7), max_size=5).map(tuple),
        ),
        st.builds(sc.ChannelReceive, hc),
        st.builds(sc.ChannelReceiveBatch, hc, small),
        # buffers
        st.builds(sc.CreateBuffer, st.integers(0, 40)),
        st.builds(sc.MapBuffer, hb, st.booleans()),
        st.builds(sc.Unmap, m),
        st.builds(sc.ReadBuffer, m, st.integers(-1, 33), small),
        st.builds(sc.WriteBuffer, m, st.integers(-1, 33), st.binary(max_size=6)),
        st.builds(sc.TransferBuffer, hb, hp, st.sampled_from([0, 7, -1])),
        # sockets
        st.builds(sc.Socket, st.none() | small),
        st.builds(sc.SockBind, fd, nm),
        st.builds(sc.SockConnect, fd, nm),
        st.builds(sc.SockSend, fd, datas),
        st.builds(sc.SockRecv, fd, st.integers(-1, 8)),
        st.builds(sc.SockClose, fd),
    )


ill_typed: st.SearchStrategy[Any] = st.one_of(
    st.builds(sc.Inspect, st.just(True)),
    st.builds(sc.Send, st.just(1), st.just(0), st.just(0), st.just("text")),
    st.builds(sc.Receive, st.just(1), st.just(1.5)),
    st.builds(sc.ChannelSendBatch, st.just(1), st.just([b"x"])),
    st.builds(sc.MapBuffer, st.just(1), st.just(1)),
    st.builds(sc.SetFilter, st.just(1), st.just(frozenset({True}))),
    st.builds(sc.SetFilter, st.just(1), st.none(), st.none(), st.just((1, 1, 1))),
    st.just(object()),
    st.just(None),
    st.just(sc.Operation()),
)


def random_op(rnd: random.Random, obs: Any, pid: int) -> Any:
    """An operation for ``pid`` with uniform, weighted choices (richer coverage
    than shrink-friendly draws); arguments mostly name what ``pid`` holds."""
    proc = obs["processes"].get(pid)
    live_pids = sorted(obs["processes"])

    def pick(live: list[int], stale: int) -> int:
        if live and rnd.random() < 0.85:
            return rnd.choice(live)
        return rnd.randint(-1, stale)

    if proc is None or proc["status"] != "running":
        return rnd.choice(
            [sc.Resume()] * 4
            + [sc.AdvanceClock(rnd.randint(0, 3))] * 2
            + [sc.Kill(pick(live_pids, 5)), sc.Inspect(1), sc.Spawn()]
        )
    hs = proc["handles"]

    def h(kind: str | None = None) -> int:
        return pick(sorted(x for x in hs if kind is None or hs[x]["kind"] == kind), 9)

    def m() -> int:
        return pick(sorted(proc["mappings"]), 4)

    def fd() -> int:
        return pick(sorted(proc["fds"]), 3)

    def nm() -> str:
        bound = sorted(obs["namespace"])
        if bound and rnd.random() < 0.6:
            return str(rnd.choice(bound))
        return rnd.choice(["a", "b", "c", "", "toolong", "n\0"])

    def data(n: int = 8) -> bytes:
        if rnd.random() < 0.05:
            return bytes(rnd.choice([64, 65]))
        return rnd.randbytes(rnd.randint(0, n))

    def u32() -> int:
        return rnd.choice([0, 0, 1, 0xFFFF_FFFF, 0x1_0000_0000, -1])

    def timeout() -> int | None:
        return rnd.choice([None, 0, 1, 2, 3, -1])

    r = rnd.randint
    newest = max(hs) if hs else 0
    choices: list[tuple[int, Callable[[], Any]]] = [
        (4, lambda: sc.CreatePort(r(0, 4))),
        (3, lambda: sc.CreateChannel(r(0, 5), r(0, 7))),
        (2, lambda: sc.CreateBuffer(r(0, 40))),
        (2, lambda: sc.Socket(rnd.choice([None, None, 0, 1, 2, 4]))),
        (1, lambda: sc.Spawn()),
        (1, lambda: sc.Kill(pick(live_pids, 5)) if r(0, 2) == 0 else sc.Spawn()),
        (2, lambda: sc.AdvanceClock(r(-1, 4))),
        (2, lambda: sc.Inspect(h())),
        (3, lambda: sc.Derive(newest, rnd.choice([3, 7, 15, 0x30, 0x3C]))),
        (3, lambda: sc.Drop(h())),
        (
            3,
            lambda: sc.Derive(
                h(), rnd.choice([1, 2, 3, 5, 9, 15, 0x10, 0x30, 0x3C, 0x40, -1])
            ),
        ),
        (3, lambda: sc.Revoke(h())),
        (
            8,
            lambda: sc.Send(
                h("port"),
                rnd.choice([0, 0, 1, 2, -1]),
                rnd.choice([0, 0, 3, 0x10000]),
                data(),
                tuple(h() for _ in range(rnd.choice([0, 0, 0, 1, 1, 2, 5]))),
            ),
        ),
        (5, lambda: sc.Receive(h("port"), timeout())),
        (1, lambda: sc.Resume()),
        (2, lambda: sc.Close(h())),
        (
            2,
            lambda: sc.SetFilter(
                h("port"),
                rnd.choice([None, frozenset({0}), frozenset({1, 2}), frozenset({-1})]),
                rnd.choice([None, None, 0, 2, 64, 65, -1]),
                rnd.choice(
                    [
                        None,
                        sc.RateLimit(1, 1, 2),
                        sc.RateLimit(2, 1, 1),
                        sc.RateLimit(r(0, 2), r(0, 2), r(0, 2)),
                    ]
                ),
            ),
        ),
        (3, lambda: sc.Bind(h("port"), nm(), u32())),
        (2, lambda: sc.Unbind(h("port"), nm())),
        (2, lambda: sc.Lookup(nm())),
        (2, lambda: sc.Connect(nm(), u32())),
        (4, lambda: sc.ChannelSend(h("channel"), data(7))),
        (
            3,
            lambda: sc.ChannelSendBatch(
                h("channel"), tuple(data(7) for _ in range(r(0, 4)))
            ),
        ),
        (3, lambda: sc.ChannelReceive(h("channel"))),
        (3, lambda: sc.ChannelReceiveBatch(h("channel"), r(-1, 4))),
        (3, lambda: sc.MapBuffer(h("buffer"), rnd.random() < 0.5)),
        (1, lambda: sc.Unmap(m())),
        (2, lambda: sc.ReadBuffer(m(), r(-1, 33), r(-1, 10))),
        (2, lambda: sc.WriteBuffer(m(), r(-1, 33), data(6))),
        (2, lambda: sc.TransferBuffer(h("buffer"), h("port"), rnd.choice([0, 7, -1]))),
        (2, lambda: sc.SockBind(fd(), nm())),
        (2, lambda: sc.SockConnect(fd(), nm())),
        (3, lambda: sc.SockSend(fd(), data())),
        (3, lambda: sc.SockRecv(fd(), r(-1, 8))),
        (1, lambda: sc.SockClose(fd())),
    ]
    total = sum(w for w, _ in choices)
    x = rnd.uniform(0, total)
    for w, make in choices:
        x -= w
        if x <= 0:
            return make()
    return choices[-1][1]()


@settings(max_examples=max(10, settings().max_examples // 4))
@given(st.data())
def test_model_agrees_with_spec(data: st.DataObject) -> None:
    processes = data.draw(st.integers(1, 3), label="processes")
    s = initial_state(processes, SMALL)
    k = Kernel(processes, SMALL)
    assert k.observe() == observe(s)
    for i in range(data.draw(st.integers(1, 80), label="length")):
        obs = observe(s)
        live = sorted(obs["processes"])
        pid = data.draw(
            one_of_live(live, 5) if live else st.integers(0, 5), label=f"pid {i}"
        )
        typed = data.draw(st.integers(0, 19), label=f"typed {i}") > 0
        op = data.draw(op_for(obs, pid) if typed else ill_typed, label=f"op {i}")
        s, expected = step(s, pid, op)
        got = k.apply(pid, op)
        assert got == expected, f"step {i}: {op!r}: model {got!r}, spec {expected!r}"
        assert k.observe() == observe(s), f"step {i}: {op!r}: observations differ"


@given(st.integers(0, 2**64 - 1), st.integers(1, 4))
def test_model_agrees_with_spec_on_random_programs(seed: int, processes: int) -> None:
    rnd = random.Random(seed)
    s = initial_state(processes, SMALL)
    k = Kernel(processes, SMALL)
    trace: list[str] = []
    program = [(pid, op) for pid in range(1, processes + 1) for op in PROLOGUE]
    program += [(1, sc.Bind(1, "a", 0)), (1, sc.SockBind(0, "b"))]
    for i in range(140):
        obs = observe(s)
        assert k.observe() == obs, "observations differ after:\n" + "\n".join(trace)
        if program:
            pid, op = program.pop(0)
        else:
            pid = choose_pid(rnd, obs)
            op = random_op(rnd, obs, pid) if rnd.random() < 0.97 else rnd.choice(ILL)
        trace.append(f"{i}: pid {pid} {op!r}")
        s, expected = step(s, pid, op)
        got = k.apply(pid, op)
        assert got == expected, "\n".join(trace) + f"\nmodel {got!r}, spec {expected!r}"
    assert k.observe() == observe(s), "\n".join(trace)


PROLOGUE: list[Any] = [
    sc.CreatePort(2),
    sc.CreateChannel(3, 4),
    sc.CreateBuffer(16),
    sc.Socket(None),
]


def choose_pid(rnd: random.Random, obs: Any) -> int:
    """Mostly a live process holding something; sometimes any, or a dead one."""
    procs = obs["processes"]
    holding = sorted(p for p, v in procs.items() if v["handles"] or v["fds"])
    x = rnd.random()
    if holding and x < 0.8:
        return int(rnd.choice(holding))
    if procs and x < 0.97:
        return int(rnd.choice(sorted(procs)))
    return rnd.randint(0, 8)


ILL: list[Any] = [
    sc.Inspect(True),
    sc.Send(1, 0, 0, "text"),  # type: ignore[arg-type]
    sc.Receive(1, 1.5),  # type: ignore[arg-type]
    sc.ChannelSendBatch(1, [b"x"]),  # type: ignore[arg-type]
    sc.MapBuffer(1, 1),  # type: ignore[arg-type]
    sc.SetFilter(1, frozenset({True})),
    sc.SetFilter(1, None, None, (1, 1, 1)),  # type: ignore[arg-type]
    sc.Kill(1.0),  # type: ignore[arg-type]
    object(),
    None,
    sc.Operation(),
]
