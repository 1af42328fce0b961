"""Message filters: FILTER-*."""

from __future__ import annotations

from veridian_ipc.spec import IpcError
from veridian_ipc.vocabulary.rights import SEND
from veridian_ipc.vocabulary.syscalls import (
    AdvanceClock,
    Close,
    CreatePort,
    Derive,
    RateLimit,
    Receive,
    Send,
    SetFilter,
)

from .conftest import World


def test_filter_set_validation(world: type[World]) -> None:
    """FILTER-SET: MANAGE needed; arguments validated; closed port refused."""
    w = world(1)
    h = w.handle(1, CreatePort(4))
    s_only = w.handle(1, Derive(h, SEND))
    w.err(1, SetFilter(s_only, frozenset({1}), None, None), IpcError.InsufficientRights)
    w.err(1, SetFilter(h, frozenset({-1}), None, None), IpcError.InvalidArgument)
    w.err(1, SetFilter(h, None, 65, None), IpcError.InvalidArgument)
    w.err(1, SetFilter(h, None, None, RateLimit(0, 1, 1)), IpcError.InvalidArgument)
    w.ok(1, SetFilter(h, frozenset({1}), 8, RateLimit(2, 1, 10)))
    w.ok(1, SetFilter(h, None, None, None))
    w.ok(1, Send(h, 9, 0, bytes(64), ()))  # cleared: anything goes
    w.ok(1, Close(h))
    w.err(1, SetFilter(h, None, 1, None), IpcError.PortClosed)


def test_filter_check_type_then_size(world: type[World]) -> None:
    """FILTER-CHECK: Filtered for a type, MessageTooLarge over max_size; a
    rejected message is not queued."""
    w = world(1)
    h = w.handle(1, CreatePort(4))
    w.ok(1, SetFilter(h, frozenset({1, 2}), 4, None))
    w.err(1, Send(h, 3, 0, b"12345", ()), IpcError.Filtered)
    w.err(1, Send(h, 1, 0, b"12345", ()), IpcError.MessageTooLarge)
    w.ok(1, Send(h, 2, 0, b"1234", ()))
    assert [m.data for m in w.port_of(1, h).queue] == [b"1234"]


def test_filter_rate_token_bucket(world: type[World]) -> None:
    """FILTER-RATE: burst tokens, refill per whole period, capped at burst;
    a PortFull send takes no token."""
    w = world(1)
    h = w.handle(1, CreatePort(8))
    w.ok(1, SetFilter(h, None, None, RateLimit(burst=2, refill=1, period=10)))
    w.ok(1, Send(h, 0, 0, b"", ()))
    w.ok(1, Send(h, 0, 0, b"", ()))
    w.err(1, Send(h, 0, 0, b"", ()), IpcError.RateLimited)
    w.ok(0, AdvanceClock(9))
    w.err(1, Send(h, 0, 0, b"", ()), IpcError.RateLimited)
    w.ok(0, AdvanceClock(1))
    w.ok(1, Send(h, 0, 0, b"", ()))
    w.err(1, Send(h, 0, 0, b"", ()), IpcError.RateLimited)
    w.ok(0, AdvanceClock(1000))  # capped at burst
    w.ok(1, Send(h, 0, 0, b"", ()))
    w.ok(1, Send(h, 0, 0, b"", ()))
    w.err(1, Send(h, 0, 0, b"", ()), IpcError.RateLimited)
    # bucket untouched by a PortFull rejection
    small = w.handle(1, CreatePort(1))
    w.ok(1, Send(small, 0, 0, b"queued first", ()))
    w.ok(1, SetFilter(small, None, None, RateLimit(burst=1, refill=1, period=5)))
    w.err(1, Send(small, 0, 0, b"", ()), IpcError.PortFull)
    assert w.delivered(1, Receive(small, 0)).data == b"queued first"
    w.ok(1, Send(small, 0, 0, b"", ()))  # the token is still there
    assert w.delivered(1, Receive(small, 0)).data == b""
    w.err(1, Send(small, 0, 0, b"", ()), IpcError.RateLimited)
