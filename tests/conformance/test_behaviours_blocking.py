"""Scenarios of the blocked-sender behaviours (conformance/behaviours_blocking.py):
for each, one whose last step reaches it and a close one whose last step does
not. ``test_behaviours`` runs them with the rest of the catalogue's."""

from __future__ import annotations

from veridian_ipc.vocabulary.rights import GRANT, SEND
from veridian_ipc.vocabulary.syscalls import (
    AdvanceClock,
    Bind,
    ChannelReceive,
    ChannelSend,
    Close,
    CreateChannel,
    CreatePort,
    Derive,
    Kill,
    Lookup,
    Operation,
    Receive,
    Revoke,
    Send,
)

Steps = list[tuple[int, Operation]]
ENV = 3  # the pid given to environment operations (they ignore it)

#: p1's port of capacity 1, full; p2 and p3 looked it up (SEND, GRANT).
FULL: Steps = [
    (1, CreatePort(1)),
    (1, Bind(1, "a", 0, SEND | GRANT)),
    (2, Lookup("a")),
    (3, Lookup("a")),
    (1, Send(1, 0, 0, b"0")),
]
#: p2 blocked sending to it, without a deadline.
P2: Steps = [*FULL, (2, Send(1, 0, 0, b"a", (), None))]
#: p1's ring of one slot, full, with a SEND copy in p2's table (handle 2).
RING: Steps = [
    (1, CreateChannel(1, 4)),
    (1, Derive(1, SEND | GRANT)),
    (2, CreatePort(1)),
    (2, Bind(1, "b", 0, SEND)),
    (1, Lookup("b")),
    (1, Send(3, 0, 0, b"", (2,))),
    (2, Receive(1)),
    (1, ChannelSend(1, b"0")),
]

CASES: dict[str, tuple[Steps, Steps]] = {
    "B-PORT-SEND-BLOCKS": (P2, [*FULL, (2, Send(1, 0, 0, b"a"))]),
    "B-PORT-BLOCKED-SENDER-SERVED": (
        [*P2, (1, Receive(1))],
        [*P2, (1, Close(1))],
    ),
    "B-PORT-BLOCKED-SENDERS-FIFO": (
        [*P2, (3, Send(1, 0, 0, b"b", (), None)), (1, Receive(1))],
        [*P2, (1, Receive(1))],
    ),
    "B-PORT-BLOCKED-SENDER-TIMEOUT": (
        [*FULL, (2, Send(1, 0, 0, b"a", (), 1)), (ENV, AdvanceClock(1))],
        [*FULL, (2, Send(1, 0, 0, b"a", (), 2)), (ENV, AdvanceClock(1))],
    ),
    "B-PORT-BLOCKED-SENDER-CLOSED": (
        [*P2, (1, Close(1))],
        [*FULL, (1, Close(1))],
    ),
    "B-PORT-BLOCKED-SENDER-REVOKED": (
        [*P2, (1, Revoke(1))],
        [*FULL, (1, Revoke(1))],
    ),
    "B-PORT-BLOCKED-SENDER-KILLED": (
        [*P2, (ENV, Kill(2))],
        [*P2, (ENV, Kill(3))],
    ),
    "B-CHAN-SEND-BLOCKS": (
        [*RING, (2, ChannelSend(2, b"a", None))],
        [*RING, (2, ChannelSend(2, b"a"))],
    ),
    "B-CHAN-BLOCKED-SENDER-SERVED": (
        [*RING, (2, ChannelSend(2, b"a", None)), (1, ChannelReceive(1))],
        [*RING, (1, ChannelReceive(1))],
    ),
}
