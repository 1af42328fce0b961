"""Behaviour coverage: the catalogue, each predicate shown to hold and to fail,
the tracker's per-example history, and the run report's counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from veridian_ipc.cli.main import main
from veridian_ipc.conformance.behaviours import (
    BEHAVIOURS,
    BehaviourTracker,
    behaviours_of,
    by_group,
)
from veridian_ipc.conformance.checker import SMALL_CONFIG
from veridian_ipc.conformance.runner import run_conformance
from veridian_ipc.conformance.targets import InProcessDriver, SpecTarget
from veridian_ipc.spec import initial_state, step
from veridian_ipc.vocabulary.ids import GROUPS, RuleId
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
    WriteBuffer,
)

from .behaviour_cases_threads import THREAD_CASES
from .helpers import SPEC
from .test_behaviours_blocking import CASES as BLOCKING_CASES

Steps = list[tuple[int, Operation]]


def snd(h: int, data: bytes = b"", caps: tuple[int, ...] = ()) -> Send:
    return Send(h, msg_type=0, flags=0, data=data, caps=caps)


ENV = 3  # the pid given to environment operations (they ignore it)
#: p3's port "n": p1 and p2 wait on it, p3 sends a capability (handed to p1),
#: then p1 is killed before collecting it (the message is given back).
GIVE_BACK: Steps = [
    (3, CreatePort(1)),
    (3, Bind(1, "n", 0, 3)),  # SEND and RECEIVE published
    (1, Lookup("n")),
    (2, Lookup("n")),
    (1, Receive(1, None)),
    (2, Receive(1, None)),
    (3, Derive(1, 9)),  # SEND and GRANT
    (3, snd(1, caps=(2,))),
    (ENV, Kill(1)),
]
#: p2's handle table filled to ``max_handles`` (its looked-up handle, then
#: derived copies).
FILL_2: Steps = [(2, Derive(1, 1))] * (SMALL_CONFIG.max_handles - 1)
CP: Steps = [(1, CreatePort(3))]
#: p1 holds two ports, h1 and h2.
P2: Steps = [*CP, (1, CreatePort(3))]
#: p1's port h1 bound as "a" with every right published (NS-BIND).
BOUND: Steps = [*CP, (1, Bind(1, "a", 0, 15))]
#: p2 holds h1 (looked up) and, after the receive, h2: a port capability that
#: travelled from p1.
TRAVEL: Steps = [
    *CP,
    (1, CreatePort(3)),
    (1, Bind(1, "a", 0, 15)),
    (2, Lookup("a")),
    (1, snd(1, caps=(2,))),
    (2, Receive(1)),
]
#: p1 has buffer h2 (all rights) and sent a READ|GRANT copy to p2, now p2's h2.
SHARED_BUF: Steps = [
    *BOUND,
    (2, Lookup("a")),
    (1, CreateBuffer(4)),
    (1, Derive(2, 0x18)),
    (1, snd(1, caps=(3,))),
    (2, Receive(1)),
]
#: p2 looked the port up and waits on it, forever.
WAIT2: Steps = [*BOUND, (2, Lookup("a")), (2, Receive(1, None))]
#: p2 waits on a port of capacity 1 and a send is handed to it (uncollected).
HANDED1: Steps = [
    (1, CreatePort(1)),
    (1, Bind(1, "a", 0, 15)),
    (2, Lookup("a")),
    (2, Receive(1, None)),
    (1, snd(1)),
]
CHAIN: Steps = [*CP, (1, Derive(1, 15)), (1, Derive(2, 15))]
SOCKS: Steps = [
    (1, Socket()),
    (1, SockBind(0, "a")),
    (2, Socket()),
    (2, SockConnect(0, "a")),
]
CC: Steps = [(1, CreateChannel(2, 4))]
RATE2 = SetFilter(1, rate=RateLimit(1, 1, 2))
MAP_R: Steps = [(1, CreateBuffer(4)), (1, MapBuffer(1, False))]

#: p2 looked p1's port up and made a port of its own (its h2).
LOOKED2: Steps = [*BOUND, (2, Lookup("a")), (2, CreatePort(1))]

#: behaviour -> (a scenario whose last step reaches it, a close one that never does)
CASES: dict[str, tuple[Steps, Steps]] = {
    # caps
    "B-PROC-KILL-BLOCKED-RECEIVER": (
        [*CP, (1, Receive(1, None)), (ENV, Kill(1))],
        [*CP, (ENV, Kill(1))],
    ),
    "B-PROC-KILL-ONLY-RECEIVE": ([*CP, (ENV, Kill(1))], [*BOUND, (ENV, Kill(1))]),
    "B-PROC-KILL-SENDER-QUEUED": (
        [*CP, (1, snd(1, b"x")), (ENV, Kill(1))],
        [*CP, (ENV, Kill(1))],
    ),
    "B-CAP-DROP-MAPPED": ([*MAP_R, (1, Drop(1))], [MAP_R[0], (1, Drop(1))]),
    "B-CAP-DROP-MIDDLE": ([*CHAIN, (1, Drop(2))], [*CHAIN, (1, Drop(3))]),
    "B-CAP-RECLAIM-LAST": ([*CP, (1, Drop(1))], [*CP, (1, Derive(1, 1)), (1, Drop(1))]),
    "B-CAP-RECLAIM-CYCLE": (
        [*CP, (1, Derive(1, 9)), (1, snd(2, caps=(1,)))],
        [*P2, (1, Derive(1, 9)), (1, snd(3, caps=(2,)))],
    ),
    "B-RIGHTS-REVOKE-QUEUED": (
        [*LOOKED2, (2, snd(1, caps=(2,))), (1, Revoke(1))],
        [*LOOKED2, (2, snd(1)), (1, Revoke(1))],
    ),
    "B-CAP-FOREIGN-HANDLE": ([*CP, (2, Inspect(1))], [(2, Inspect(1))]),
    "B-CAP-INSPECT-TRAVELLED": (
        [*TRAVEL, (2, Inspect(2))],
        [*TRAVEL, (2, Inspect(1))],
    ),
    "B-PROC-BLOCKED-ISSUES": (
        [*CP, (1, Receive(1, None)), (1, Inspect(1))],
        [*CP, (1, Inspect(1))],
    ),
    # rights
    "B-CAP-TRAVELLED-DERIVE": (
        [*TRAVEL, (2, Derive(2, 1))],
        [*TRAVEL, (2, Derive(1, 1))],
    ),
    "B-CAP-TRAVELLED-REVOKE": (
        [*TRAVEL, (2, Derive(2, 1)), (2, Revoke(2))],
        [*TRAVEL, (2, Revoke(2))],
    ),
    "B-RIGHTS-REVOKE-THROUGH-DROPPED": (
        [*CHAIN, (1, Drop(2)), (1, Revoke(1))],
        [*CHAIN, (1, Revoke(1))],
    ),
    "B-RIGHTS-DERIVE-DEEP": ([*CHAIN, (1, Derive(3, 1))], [*CHAIN, (1, Derive(2, 1))]),
    "B-RIGHTS-DERIVE-AMPLIFY": (
        [*CP, (1, Derive(1, 1)), (1, Derive(2, 3))],
        [*CP, (1, Derive(1, 1)), (1, Derive(2, 1))],
    ),
    "B-RIGHTS-REVOKE-OTHER-PROCESS": (
        [*BOUND, (2, Lookup("a")), (1, Revoke(1))],
        [*CP, (1, Derive(1, 1)), (1, Revoke(1))],
    ),
    "B-RIGHTS-REVOKE-WAKES-RECEIVER": (
        [*WAIT2, (1, Revoke(1))],
        [*BOUND, (2, Lookup("a")), (1, Revoke(1))],
    ),
    "B-RIGHTS-REVOKE-BINDING": (
        [*BOUND, (1, Revoke(1))],
        [*CP, (1, Derive(1, 15)), (1, Revoke(1))],
    ),
    "B-RIGHTS-ATTENUATED-REFUSED": (
        [*CP, (1, Derive(1, 2)), (1, snd(2))],
        [*CP, (1, Derive(1, 1)), (1, snd(2))],
    ),
    # ports
    "B-CAP-TRAVELLED-SEND": ([*TRAVEL, (2, snd(2))], [*TRAVEL, (2, snd(1))]),
    "B-PORT-TWO-WAITERS-SEND": (
        [
            *BOUND,
            (2, Lookup("a")),
            (3, Lookup("a")),
            (2, Receive(1, None)),
            (3, Receive(1, None)),
            (1, snd(1)),
        ],
        [*WAIT2, (1, snd(1))],
    ),
    "B-PORT-FULL-WITH-CAPS": (
        [(1, CreatePort(1)), (1, CreatePort(1)), (1, snd(1)), (1, snd(1, caps=(2,)))],
        [(1, CreatePort(1)), (1, CreatePort(1)), (1, snd(1)), (1, snd(1))],
    ),
    "B-PORT-FULL-HANDED": (
        [*HANDED1, (1, snd(1))],
        [(1, CreatePort(1)), (1, snd(1)), (1, snd(1))],
    ),
    "B-PORT-HANDOFF-KILLED": (
        [*WAIT2, (1, snd(1)), (ENV, Kill(2))],
        [*WAIT2, (ENV, Kill(2))],
    ),
    "B-PORT-CLOSE-QUEUED": ([*CP, (1, snd(1)), (1, Close(1))], [*CP, (1, Close(1))]),
    "B-PORT-CLOSE-WAITERS": (
        [*WAIT2, (1, Close(1))],
        [*BOUND, (2, Lookup("a")), (1, Close(1))],
    ),
    "B-PORT-RESUME-DELIVERED": (
        [*WAIT2, (1, snd(1)), (2, Resume())],
        [*WAIT2, (1, Close(1)), (2, Resume())],
    ),
    "B-PORT-RESUME-DELIVERED-CAPS": (
        [
            *BOUND,
            (1, CreatePort(3)),
            (2, Lookup("a")),
            (2, Receive(1, None)),
            (1, snd(1, caps=(2,))),
            (2, Resume()),
        ],
        [*WAIT2, (1, snd(1)), (2, Resume())],
    ),
    "B-PORT-RESUME-CLOSED": (
        [*WAIT2, (1, Close(1)), (2, Resume())],
        [*WAIT2, (1, snd(1)), (2, Resume())],
    ),
    "B-PORT-RESUME-STILL-WAITING": (
        [*CP, (1, Receive(1, None)), (1, Resume())],
        [*CP, (1, Resume())],
    ),
    "B-PORT-DRAIN-CLOSED": (
        [*CP, (1, snd(1)), (1, Close(1)), (1, Receive(1))],
        [*CP, (1, snd(1)), (1, Receive(1))],
    ),
    # messages
    "B-CAP-TRAVELLED-FORWARD": (
        [*TRAVEL, (2, snd(1, caps=(2,)))],
        [*TRAVEL, (2, CreatePort(3)), (2, snd(1, caps=(3,)))],
    ),
    "B-MSG-INFLIGHT-REVOKED": (
        [
            *P2,
            (1, Derive(2, 15)),
            (1, snd(1, caps=(3,))),
            (1, Revoke(2)),
            (1, Receive(1)),
        ],
        [*P2, (1, snd(1, caps=(2,))), (1, Receive(1))],
    ),
    "B-MSG-REVOKE-IN-FLIGHT": (
        [
            *P2,
            (1, Derive(2, 15)),
            (1, snd(1, caps=(3,))),
            (1, Revoke(2)),
        ],
        [*P2, (1, Derive(2, 15)), (1, Revoke(2))],
    ),
    "B-MSG-FOUR-CAPS": (
        [*CP, *[(1, CreatePort(1))] * 4, (1, snd(1, caps=(2, 3, 4, 5)))],
        [*CP, *[(1, CreatePort(1))] * 4, (1, snd(1, caps=(2, 3, 4)))],
    ),
    "B-MSG-MAX-DATA": ([*CP, (1, snd(1, b"x" * 64))], [*CP, (1, snd(1, b"x" * 63))]),
    "B-MSG-CAP-WITHOUT-GRANT": (
        [*P2, (1, Derive(2, 1)), (1, snd(1, caps=(3,)))],
        [*CP, (1, Derive(1, 2)), (1, snd(2))],
    ),
    "B-MSG-CROSS-PROCESS": (
        [*BOUND, (2, Lookup("a")), (2, snd(1)), (1, Receive(1))],
        [*BOUND, (1, snd(1)), (1, Receive(1))],
    ),
    "B-MSG-SEND-MAPPED-BUFFER": (
        [*CP, (1, CreateBuffer(4)), (1, MapBuffer(2, False)), (1, snd(1, caps=(2,)))],
        [*CP, (1, CreateBuffer(4)), (1, snd(1, caps=(2,)))],
    ),
    # namespace
    "B-NS-UNBIND-THEN-LOOKUP": (
        [*BOUND, (1, Unbind(1, "a")), (2, Lookup("a"))],
        [*CP, (2, Lookup("a"))],
    ),
    "B-NS-LOOKUP-CLOSED-PORT": (
        [*BOUND, (1, Close(1)), (2, Lookup("a"))],
        [*BOUND, (2, Lookup("a"))],
    ),
    "B-NS-UNBIND-LOOKED-UP-STAYS": (
        [*BOUND, (2, Lookup("a")), (1, Unbind(1, "a"))],
        [*BOUND, (1, Unbind(1, "a"))],
    ),
    "B-NS-CONNECT-MISMATCH": (
        [*CP, (1, Bind(1, "a", 5)), (2, Connect("a", 6))],
        [*CP, (1, Bind(1, "a", 5)), (2, Connect("a", 5))],
    ),
    "B-NS-REBIND": (
        [*BOUND, (1, Unbind(1, "a")), (1, Bind(1, "a"))],
        [*BOUND, (1, Unbind(1, "a")), (1, Bind(1, "b"))],
    ),
    "B-NS-UNBIND-WRONG-PORT": (
        [*P2, (1, Bind(1, "a")), (1, Unbind(2, "a"))],
        [*CP, (1, Derive(1, 8)), (1, Bind(1, "a")), (1, Unbind(2, "a"))],
    ),
    "B-NS-LOOKUP-SEND-ONLY": (
        [*CP, (1, Bind(1, "a")), (2, Lookup("a"))],
        [*CP, (1, Derive(1, 9)), (1, Bind(2, "a")), (2, Lookup("a"))],
    ),
    "B-NS-LOOKUP-PUBLISHED-RECEIVE": (
        [*CP, (1, Bind(1, "a", 0, 3)), (2, Connect("a", 0))],
        [*CP, (1, Bind(1, "a", 0, 9)), (2, Connect("a", 0))],
    ),
    "B-NS-LOOKED-UP-NO-RECEIVE": (
        [*CP, (1, Bind(1, "a")), (2, Lookup("a")), (2, Close(1))],
        [*CP, (1, Bind(1, "a")), (2, Lookup("a")), (2, Close(9))],
    ),
    "B-NS-BIND-RIGHTS-NOT-HELD": (
        [*CP, (1, Derive(1, 9)), (1, Bind(2, "a", 0, 3))],
        [*CP, (1, Derive(1, 1)), (1, Bind(2, "a", 0, 3))],
    ),
    "B-NS-SQUAT-REFUSED": (
        [(ENV, Spawn(may_bind=False)), (4, Socket()), (4, SockBind(0, "a"))],
        [(ENV, Spawn(may_lookup=False)), (4, Socket()), (4, SockBind(9, "a"))],
    ),
    "B-NS-LOOKUP-REFUSED": (
        [(ENV, Spawn(may_lookup=False)), (4, Lookup("a"))],
        [(ENV, Spawn(may_bind=False)), (4, Lookup("a"))],
    ),
    "B-NS-LOOKED-UP-SEND": (
        [*BOUND, (2, Lookup("a")), (2, snd(1))],
        [*BOUND, (2, Lookup("a")), (1, snd(1))],
    ),
    # filters
    "B-FILTER-RATE-REFILL": (
        [*CP, (1, RATE2), (1, snd(1)), (ENV, AdvanceClock(2)), (1, snd(1))],
        [
            *CP,
            (1, SetFilter(1, rate=RateLimit(1, 1, 1))),
            (1, snd(1)),
            (ENV, AdvanceClock(1)),
            (1, snd(1)),
        ],
    ),
    "B-FILTER-RATE-PART-PERIOD": (
        [*CP, (1, RATE2), (1, snd(1)), (ENV, AdvanceClock(1)), (1, snd(1))],
        [*CP, (1, RATE2), (1, snd(1)), (1, snd(1))],
    ),
    "B-FILTER-RATE-LIMITED": (
        [*CP, (1, RATE2), (1, snd(1)), (1, snd(1))],
        [*CP, (1, RATE2), (1, snd(1))],
    ),
    "B-FILTER-REFUSED-WITH-CAPS": (
        [
            *P2,
            (1, SetFilter(1, allowed_types=frozenset({1}))),
            (1, snd(1, caps=(2,))),
        ],
        [
            *P2,
            (1, SetFilter(1, allowed_types=frozenset({1}))),
            (1, snd(1)),
        ],
    ),
    "B-FILTER-SIZE": (
        [*CP, (1, SetFilter(1, max_size=2)), (1, snd(1, b"abc"))],
        [*CP, (1, snd(1, b"x" * 65))],
    ),
    "B-FILTER-SET-QUEUED": (
        [*CP, (1, snd(1)), (1, SetFilter(1, max_size=2))],
        [*CP, (1, SetFilter(1, max_size=2))],
    ),
    "B-FILTER-CLEAR": (
        [*CP, (1, SetFilter(1, max_size=2)), (1, SetFilter(1))],
        [*CP, (1, SetFilter(1))],
    ),
    "B-FILTER-SOCKET": (
        [
            *CP,
            (1, SetFilter(1, allowed_types=frozenset({1}))),
            (1, Bind(1, "a")),
            (2, Socket()),
            (2, SockConnect(0, "a")),
            (2, SockSend(0, b"x")),
        ],
        [
            *CP,
            (1, SetFilter(1, allowed_types=frozenset({0}))),
            (1, Bind(1, "a")),
            (2, Socket()),
            (2, SockConnect(0, "a")),
            (2, SockSend(0, b"x")),
        ],
    ),
    # timeouts
    "B-TIME-RESUME-AFTER-DEADLINE": (
        [*CP, (1, Receive(1, 2)), (ENV, AdvanceClock(2)), (1, Resume())],
        [*CP, (1, Receive(1, 2)), (ENV, AdvanceClock(1)), (1, Resume())],
    ),
    "B-TIME-DEADLINE-FIRES": (
        [*CP, (1, Receive(1, 2)), (ENV, AdvanceClock(2))],
        [*CP, (1, Receive(1, 2)), (ENV, AdvanceClock(1))],
    ),
    "B-TIME-DEADLINE-SEVERAL": (
        [
            *BOUND,
            (2, Lookup("a")),
            (1, Receive(1, 1)),
            (2, Receive(1, 1)),
            (ENV, AdvanceClock(1)),
        ],
        [*BOUND, (2, Lookup("a")), (1, Receive(1, 1)), (ENV, AdvanceClock(1))],
    ),
    "B-TIME-ADVANCE-SHORT": (
        [*CP, (1, Receive(1, 2)), (ENV, AdvanceClock(1))],
        [*CP, (1, Receive(1, 2)), (ENV, AdvanceClock(2))],
    ),
    "B-TIME-HANDOFF-TIMED": (
        [*BOUND, (2, Lookup("a")), (1, Receive(1, 5)), (2, snd(1))],
        [*BOUND, (2, Lookup("a")), (1, Receive(1, None)), (2, snd(1))],
    ),
    # channels
    "B-CHAN-RING-FULL": (
        [*CC, *[(1, ChannelSend(1, b"a"))] * 3],
        [*CC, *[(1, ChannelSend(1, b"a"))] * 2],
    ),
    "B-CHAN-BATCH-PARTIAL-RECEIVE": (
        [*CC, (1, ChannelSend(1, b"a")), (1, ChannelReceiveBatch(1, 2))],
        [*CC, (1, ChannelSend(1, b"a")), (1, ChannelReceiveBatch(1, 1))],
    ),
    "B-CHAN-BATCH-NO-ROOM": (
        [*CC, (1, ChannelSend(1, b"a")), (1, ChannelSendBatch(1, (b"a", b"b")))],
        [*CC, *[(1, ChannelSend(1, b"a"))] * 2, (1, ChannelSendBatch(1, (b"a",)))],
    ),
    "B-CHAN-BATCH-FILLS": (
        [*CC, (1, ChannelSendBatch(1, (b"a", b"b")))],
        [*CC, (1, ChannelSendBatch(1, (b"a",)))],
    ),
    "B-CHAN-WRAP": (
        [
            *CC,
            *[(1, ChannelSend(1, b"a"))] * 2,
            (1, ChannelReceiveBatch(1, 2)),
            (1, ChannelSend(1, b"a")),
        ],
        [*CC, *[(1, ChannelSend(1, b"a"))] * 2],
    ),
    "B-CHAN-DRAIN-CLOSED": (
        [*CC, (1, ChannelSend(1, b"a")), (1, Close(1)), (1, ChannelReceive(1))],
        [*CC, (1, ChannelSend(1, b"a")), (1, ChannelReceive(1))],
    ),
    # buffers
    "B-BUF-TRANSFER-ATTENUATED": (
        [
            *CP,
            (1, CreateBuffer(4)),
            (1, Derive(2, 0x1C)),
            (1, Drop(2)),  # the root goes: the attenuated child owns the buffer
            (1, TransferBuffer(3, 1)),
        ],
        [*CP, (1, CreateBuffer(4)), (1, TransferBuffer(2, 1))],
    ),
    "B-BUF-TRANSFER-NO-DATA-RIGHTS": (
        [
            *CP,
            (1, CreateBuffer(4)),
            (1, Derive(2, 0x0C)),  # MANAGE and GRANT only
            (1, Drop(2)),  # the root goes: the attenuated child owns the buffer
            (1, TransferBuffer(3, 1)),
        ],
        [
            *CP,
            (1, CreateBuffer(4)),
            (1, Derive(2, 0x1C)),
            (1, Drop(2)),
            (1, TransferBuffer(3, 1)),
        ],
    ),
    "B-BUF-TRANSFER-BY-DELEGATE": (
        [*CP, (1, CreateBuffer(4)), (1, Derive(2, 0x1C)), (1, TransferBuffer(3, 1))],
        [*CP, (1, CreateBuffer(4)), (1, TransferBuffer(2, 1))],
    ),
    "B-BUF-TRANSFER-KEEPS-DELEGATES": (
        [*CP, (1, CreateBuffer(4)), (1, Derive(2, 0x10)), (1, TransferBuffer(2, 1))],
        [*CP, (1, CreateBuffer(4)), (1, TransferBuffer(2, 1))],
    ),
    "B-BUF-TRANSFER-MAPPED-ELSEWHERE": (
        [*SHARED_BUF, (2, MapBuffer(2, False)), (1, TransferBuffer(2, 1))],
        [*SHARED_BUF, (1, TransferBuffer(2, 1))],
    ),
    "B-BUF-READ-AT-END": (
        [*MAP_R, (1, ReadBuffer(1, 2, 2))],
        [*MAP_R, (1, ReadBuffer(1, 1, 2))],
    ),
    "B-BUF-WRITE-AT-END": (
        [(1, CreateBuffer(4)), (1, MapBuffer(1, True)), (1, WriteBuffer(1, 3, b"x"))],
        [(1, CreateBuffer(4)), (1, MapBuffer(1, True)), (1, WriteBuffer(1, 2, b"x"))],
    ),
    "B-BUF-ONE-PAST-END": (
        [*MAP_R, (1, ReadBuffer(1, 3, 2))],
        [*MAP_R, (1, ReadBuffer(1, 3, 3))],
    ),
    "B-BUF-READ-SHARED": (
        [
            *SHARED_BUF,
            (2, MapBuffer(2, False)),
            (1, MapBuffer(2, False)),
            (1, ReadBuffer(1, 0, 1)),
        ],
        [*SHARED_BUF, (1, MapBuffer(2, False)), (1, ReadBuffer(1, 0, 1))],
    ),
    "B-BUF-MAP-TRAVELLED": (
        [*SHARED_BUF, (2, MapBuffer(2, False))],
        [*SHARED_BUF, (1, MapBuffer(2, False))],
    ),
    "B-BUF-TRANSFER-HANDOFF": (
        [
            *WAIT2,
            (1, CreateBuffer(4)),
            (1, TransferBuffer(2, 1)),
        ],
        [*BOUND, (1, CreateBuffer(4)), (1, TransferBuffer(2, 1))],
    ),
    # posix
    "B-POSIX-RECV-TOO-LONG": (
        [*SOCKS, (2, SockSend(0, b"abc")), (1, SockRecv(0, 2))],
        [*SOCKS, (2, SockSend(0, b"abc")), (1, SockRecv(0, 3))],
    ),
    "B-POSIX-CLOSE-QUEUED": (
        [*SOCKS, (2, SockSend(0, b"abc")), (1, SockClose(0))],
        [*SOCKS, (1, SockClose(0))],
    ),
    "B-POSIX-CLOSE-DISCONNECTS": (
        [*SOCKS, (1, SockClose(0))],
        [*SOCKS[:3], (1, SockClose(0))],
    ),
    "B-POSIX-SEND-FULL": (
        [(1, Socket(1)), *SOCKS[1:], (2, SockSend(0, b"")), (2, SockSend(0, b""))],
        [(1, Socket(1)), *SOCKS[1:], (2, SockSend(0, b""))],
    ),
    "B-POSIX-RECV-CAPS": (
        [
            *SOCKS,
            (2, Lookup("a")),
            (2, CreatePort(3)),
            (2, snd(1, caps=(2,))),
            (1, SockRecv(0, 64)),
        ],
        [
            *SOCKS,
            (2, Lookup("a")),
            (2, CreatePort(3)),
            (2, snd(1)),
            (1, SockRecv(0, 64)),
        ],
    ),
    "B-POSIX-KILL-BOUND": (
        [(1, Socket()), (1, SockBind(0, "a")), (ENV, Kill(1))],
        [(1, Socket()), (ENV, Kill(1))],
    ),
    "B-PORT-HANDOFF-KILLED-NO-ROOM": (
        [*GIVE_BACK[:4], *FILL_2, *GIVE_BACK[4:]],
        GIVE_BACK,
    ),
    # errors
    "B-ERR-ATOMIC-SEND-CAPS": (
        [*P2, (1, Close(1)), (1, snd(1, caps=(2,)))],
        [*P2, (1, Close(1)), (1, snd(1))],
    ),
    "B-ERR-ATOMIC-TRANSFER": (
        [*CP, (1, CreateBuffer(4)), (1, Close(1)), (1, TransferBuffer(2, 1))],
        [*CP, (1, CreateBuffer(4)), (1, TransferBuffer(2, 1))],
    ),
    "B-ERR-RESUME-ERROR": (
        [*CP, (1, Receive(1, 1)), (ENV, AdvanceClock(1)), (1, Resume())],
        [*CP, (1, Receive(1, 1)), (1, Resume())],
    ),
    "B-ERR-BLOCKED-BEFORE-HANDLE": (
        [*CP, (1, Receive(1, None)), (1, Inspect(9))],
        [*CP, (1, Receive(1, None)), (1, Inspect(1))],
    ),
    "B-ERR-RIGHTS-BEFORE-ARGS": (
        [*CP, (1, Derive(1, 1)), (1, Receive(2, -1))],
        [*CP, (1, Receive(1, -1))],
    ),
    **BLOCKING_CASES,
}

CASES.update(THREAD_CASES)  # threads within a process (behaviours_threads)


def run(steps: Steps) -> list[list[str]]:
    """The behaviours each step of ``steps`` reached, from a fresh example."""
    tracker = BehaviourTracker()
    s = initial_state(processes=3, config=SMALL_CONFIG)
    out = []
    for pid, op in steps:
        s2, r = step(s, pid, op)
        out.append(tracker.step(s, pid, op, r, s2))
        s = s2
    return out


@pytest.mark.parametrize("bid", sorted(CASES))
def test_the_positive_scenario_reaches_the_behaviour(bid: str) -> None:
    reached = run(CASES[bid][0])
    assert bid in reached[-1], reached


@pytest.mark.parametrize("bid", sorted(CASES))
def test_the_negative_scenario_does_not(bid: str) -> None:
    reached = run(CASES[bid][1])
    assert all(bid not in r for r in reached), reached


def test_every_behaviour_has_both_scenarios() -> None:
    assert sorted(CASES) == sorted(BEHAVIOURS)


def test_the_catalogue_covers_every_group() -> None:
    assert len(BEHAVIOURS) >= 60
    groups = by_group()
    assert list(groups) == [g for g, _ in GROUPS]
    assert all(len(items) >= 3 for items in groups.values()), {
        g: len(i) for g, i in groups.items()
    }
    for b in BEHAVIOURS.values():
        assert b.id.startswith("B-")
        assert b.rules
        assert b.description
        assert all(isinstance(r, RuleId) for r in b.rules)
    assert behaviours_of(RuleId.FILTER_RATE)


def test_the_history_starts_again_with_each_example() -> None:
    tracker = BehaviourTracker()
    s = initial_state(processes=3, config=SMALL_CONFIG)
    for pid, op in TRAVEL:
        s2, r = step(s, pid, op)
        tracker.step(s, pid, op, r, s2)
        s = s2
    tracker.reset()
    s2, r = step(s, 2, snd(2))
    assert "B-CAP-TRAVELLED-SEND" not in tracker.step(s, 2, snd(2), r, s2)


def test_a_ci_run_reports_behaviour_counts() -> None:
    rep = run_conformance(
        InProcessDriver(SpecTarget), "ci", max_examples=10, shrink=False
    )
    data = rep.to_json()
    assert rep.status == "pass"
    counts = data["behaviours"]
    assert sorted(counts) == sorted(BEHAVIOURS)
    assert sum(counts.values()) > 0
    assert data["missed"] == [b for b, n in counts.items() if n == 0]
    json.dumps(data)


def test_conform_lists_behaviours(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conform", "--list-behaviours"]) == 0
    out = capsys.readouterr().out
    for b in BEHAVIOURS.values():
        assert b.id in out
    assert f"{len(BEHAVIOURS)} behaviours" in out


def test_conform_reports_behaviours_reached_and_missed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "r.json"
    argv = ["conform", "--target", SPEC, "--profile", "ci", "--max-examples", "3"]
    assert main([*argv, "--generated-only", "--json", str(report)]) == 0
    data = json.loads(report.read_text())
    assert set(data["behaviours"]) == set(BEHAVIOURS)
    missed = data["missed"]
    assert missed  # three examples reach far from every behaviour
    out = capsys.readouterr().out
    reached = len(BEHAVIOURS) - len(missed)
    assert f"behaviours: {reached}/{len(BEHAVIOURS)} reached" in out
    assert f"missed: {', '.join(missed)}" in out


def test_an_ill_typed_step_reaches_nothing_and_raises_nothing() -> None:
    tracker = BehaviourTracker()
    s = initial_state(processes=3, config=SMALL_CONFIG)
    for op in (
        ReadBuffer(1, "x", 2),  # type: ignore[arg-type]
        Kill("p"),  # type: ignore[arg-type]
        Send(1, 0, 0, b"", ("h",)),  # type: ignore[arg-type]
    ):
        s2, r = step(s, 1, op)
        assert tracker.step(s, 1, op, r, s2) == []
