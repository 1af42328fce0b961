"""Random runs of the spec: reachable states to test the encodings against.

``random_run(seed, steps)`` drives ``spec.step`` with operations drawn from a
small vocabulary (small handles, names, sizes and a small ``Config``), so that
runs reach every limit and every error often. It is deterministic in ``seed``
(the tests draw seeds with Hypothesis). Every step is recorded as
``(before, pid, op, after, result)``. Runs start (mostly) with a set-up that
gives every process a port, a channel and a buffer, then go random.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from veridian_ipc.spec import Config, KernelState, Result, initial_state, step
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Handle, Pid
from veridian_ipc.vocabulary.rights import ALL_RIGHTS, PORT_RIGHTS, READ, RECEIVE, SEND

#: Small limits, so capacities, sizes and batch limits are reached quickly.
SMALL = Config(
    max_port_capacity=3,
    max_channel_capacity=4,
    max_channel_message=6,
    max_buffer_size=16,
    max_io=8,
    max_name_length=4,
    default_socket_capacity=2,
)
NAMES = ("a", "b", "a", "b", "")


@dataclass(frozen=True, slots=True)
class Step:
    """One recorded step of a run."""

    before: KernelState
    pid: int
    op: object
    after: KernelState
    result: Result


def _data(rng: random.Random, most: int) -> bytes:
    n = rng.choice([0, 1, 2, 3, 1, 2, most, most + 1, 65])
    return bytes(rng.choice([0, 1, 7, 255]) for _ in range(n))


#: How often each kind of operation is drawn: creations and sends more often.
_WEIGHTS = [
    4,
    3,
    3,
    4,
    4,
    3,
    1,
    3,
    2,
    2,
    1,
    2,
    3,
    1,
    2,
    2,
    2,
    2,
    2,
    1,
    2,
    1,
    2,
    2,
    3,
    3,
    3,
    3,
    1,
    1,
]


def random_op(rng: random.Random, s: KernelState) -> tuple[int, object]:
    """A process and an operation for it, biased towards meaningful ones."""
    pids: list[int] = [int(x) for x in sorted(s.processes)] or [1]
    pid = rng.choice(pids) if rng.random() < 0.95 else s.next_pid
    p = s.processes.get(Pid(pid))
    live = sorted(p.handles) if p is not None else []
    top = p.next_handle if p is not None else 1

    def handle(kind: str | None = None) -> int:
        fits = [
            int(h)
            for h in live
            if kind is None or s.caps[p.handles[h]].kind.value == kind  # type: ignore[union-attr]
        ]
        if fits and rng.random() < 0.85:
            return rng.choice(fits)
        if live and rng.random() < 0.7:
            return int(rng.choice(live))
        return rng.choice([0, top, top + 1, -1])

    def rights() -> int:
        masks = [1, 2, 3, 8, 9, 15, 0x10, 0x30, 0x3C, ALL_RIGHTS, 0x40, -1]
        return masks[rng.randrange(len(masks))]

    def name() -> str:
        return rng.choice(NAMES)

    maps = sorted(int(m) for m in p.mappings) if p is not None else []
    mapping = rng.choice(maps) if maps and rng.random() < 0.8 else rng.choice([1, 0])
    kind = rng.choices(range(30), weights=_WEIGHTS)[0]
    op: object
    if kind == 0:
        op = sc.CreatePort(rng.choice([1, 2, 3, 0, 4]))
    elif kind == 1:
        op = sc.CreateChannel(rng.choice([1, 2, 3, 0, 5]), rng.choice([1, 4, 6, 7]))
    elif kind == 2:
        op = sc.CreateBuffer(rng.choice([1, 4, 16, 0, 17]))
    elif kind in (3, 4):
        carried = tuple(handle() for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 5])))
        op = sc.Send(
            handle("port"),
            rng.choice([0, 1, 2, 0, 1, -1, 1 << 32]),
            rng.choice([0, 3, 0, 1 << 16]),
            _data(rng, 8),
            carried,
        )
    elif kind == 5:
        op = sc.Receive(handle("port"), rng.choice([0, 0, 0, 2, None, -1]))
    elif kind == 6:
        op = sc.Resume()
    elif kind == 7:
        h = handle()
        cap = (
            s.caps[p.handles[Handle(h)]]
            if p is not None and Handle(h) in p.handles
            else None
        )
        if cap is not None and rng.random() < 0.7:
            bit = 1 << rng.randrange(6)
            r = cap.rights & ~bit if rng.random() < 0.7 else cap.rights | bit
            op = sc.Derive(h, r)
        else:
            op = sc.Derive(h, rights())
    elif kind == 29 and rng.random() < 0.5:
        op = sc.Resume()
    elif kind == 8:
        op = sc.Drop(handle())
    elif kind == 9:
        op = sc.Revoke(handle())
    elif kind == 10:
        op = sc.Close(handle())
    elif kind == 11:
        rate = rng.choice([None, sc.RateLimit(2, 1, 2), sc.RateLimit(1, 1, 3)])
        if rng.random() < 0.1:
            rate = sc.RateLimit(0, 1, 1)
        op = sc.SetFilter(
            handle("port"),
            rng.choice([None, frozenset({0}), frozenset({1, 2}), frozenset({-1})]),
            rng.choice([None, 0, 2, 2, 65]),
            rate,
        )
    elif kind == 12:
        kind_rights = rng.choice([(0, SEND), (1, PORT_RIGHTS), (0, 3), (-1, SEND)])
        op = sc.Bind(handle("port"), name(), *kind_rights)
    elif kind == 13:
        op = sc.Unbind(handle("port"), name())
    elif kind == 14:
        op = sc.Lookup(name())
    elif kind == 15:
        op = sc.Connect(name(), rng.choice([0, 1, -1]))
    elif kind == 16:
        items = tuple(_data(rng, 6) for _ in range(rng.choice([0, 1, 2, 3])))
        op = sc.ChannelSendBatch(handle("channel"), items)
    elif kind == 17:
        op = sc.ChannelSend(handle("channel"), _data(rng, 6))
    elif kind == 18:
        op = sc.ChannelReceiveBatch(handle("channel"), rng.choice([0, 1, 2, 5]))
    elif kind == 19:
        op = sc.ChannelReceive(handle("channel"))
    elif kind == 20:
        op = sc.MapBuffer(handle("buffer"), rng.random() < 0.5)
    elif kind == 21:
        op = sc.Unmap(mapping)
    elif kind == 22:
        op = sc.ReadBuffer(
            mapping, rng.choice([0, 2, 15, -1]), rng.choice([0, 1, 2, 9])
        )
    elif kind == 23:
        op = sc.WriteBuffer(mapping, rng.choice([0, 2, 15, -1]), _data(rng, 3))
    elif kind == 24:
        op = sc.TransferBuffer(handle("buffer"), handle("port"), rng.choice([0, 1, -1]))
    elif kind == 25:
        op = rng.choice(
            [
                sc.Socket(rng.choice([None, 1, 0])),
                sc.SockBind(rng.choice([0, 1]), name()),
            ]
        )
    elif kind == 26:
        op = rng.choice(
            [
                sc.SockConnect(rng.choice([0, 1]), name()),
                sc.SockSend(rng.choice([0, 1, 2]), _data(rng, 8)),
            ]
        )
    elif kind == 27:
        op = rng.choice(
            [
                sc.SockRecv(rng.choice([0, 1]), rng.choice([0, 8, 100, -1])),
                sc.SockClose(rng.choice([0, 1, 3])),
            ]
        )
    elif kind == 28:
        op = rng.choice(
            [sc.Spawn(), sc.Kill(rng.choice([*pids, 99])), sc.Inspect(handle())]
        )
    else:
        op = sc.AdvanceClock(rng.choice([0, 1, 2, 5, -1]))
    return pid, op


def random_run(seed: int, steps: int, processes: int = 2) -> list[Step]:
    """``steps`` random steps of the spec from a fresh small system."""
    rng = random.Random(seed)
    s = initial_state(processes, SMALL)
    out: list[Step] = []
    setup: list[tuple[int, object]] = []
    for p in range(1, processes + 1):
        setup += [
            (p, sc.CreatePort(2)),  # handle 1
            (p, sc.CreateChannel(2, 6)),  # handle 2
            (p, sc.CreateBuffer(8)),  # handle 3
            (p, sc.MapBuffer(3, True)),  # mapping 1
            (p, sc.Derive(1, SEND | RECEIVE)),  # handle 4: no GRANT
            (p, sc.Derive(3, READ)),  # handle 5: read-only, no GRANT
        ]
    setup += [
        (1, sc.Bind(1, "a", 0, PORT_RIGHTS)),  # lookups get every right
        (2, sc.Lookup("a")),
        (1, sc.Socket(None)),
    ]
    for i in range(steps):
        pid, op = (
            setup[i] if i < len(setup) and rng.random() < 0.9 else random_op(rng, s)
        )
        after, result = step(s, pid, op)
        out.append(Step(s, pid, op, after, result))
        s = after
    return out
