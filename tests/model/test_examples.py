"""Example programs for each group of rules, run on the model and the spec.

Each scenario lists ``(pid, op, expected result)``; the model must give that
result, the spec must agree, and the observations must be equal after every
step.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from veridian_ipc.model.kernel import Kernel
from veridian_ipc.model.sockets import errno_of as model_errno_of
from veridian_ipc.model.typecheck import FIELDS
from veridian_ipc.spec import errno_of, initial_state, step
from veridian_ipc.spec.observe import observe
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import Config
from veridian_ipc.vocabulary.results import BLOCKED, CapInfo, Delivered, Err, Ok

E = IpcError
NONE = Ok(None)
CFG = Config(
    max_port_capacity=4,
    max_channel_capacity=4,
    max_buffer_size=64,
    default_socket_capacity=2,
)


def err(e: IpcError) -> Err:
    return Err(e)


SCENARIOS: dict[str, list[tuple[int, Any, Any]]] = {
    "caps": [
        (1, sc.CreatePort(2), Ok(1)),
        (1, sc.Inspect(1), Ok(CapInfo("port", 15))),
        (1, sc.Derive(1, 3), Ok(2)),
        (1, sc.Derive(2, 1), Ok(3)),
        (1, sc.Derive(2, 4), err(E.InsufficientRights)),
        (1, sc.Derive(2, 0x80), err(E.InvalidArgument)),
        (1, sc.Drop(2), NONE),  # handle 3 moves up to handle 1's node
        (1, sc.Inspect(2), err(E.InvalidCapability)),
        (1, sc.Revoke(1), Ok(1)),  # reaches the re-parented grandchild
        (1, sc.Inspect(3), err(E.InvalidCapability)),
        (2, sc.Inspect(1), err(E.InvalidCapability)),
        (9, sc.Inspect(1), err(E.NoSuchProcess)),
        (1, sc.Inspect(True), err(E.InvalidArgument)),
    ],
    "ports": [
        (1, sc.CreatePort(1), Ok(1)),
        (1, sc.CreatePort(0), err(E.InvalidArgument)),
        (1, sc.CreatePort(5), err(E.OutOfMemory)),
        (1, sc.Bind(1, "svc"), NONE),
        (2, sc.Lookup("svc"), Ok(1)),
        (1, sc.Receive(1, None), Ok(BLOCKED)),
        (1, sc.Inspect(1), err(E.ProcessBlocked)),
        (1, sc.Resume(), err(E.WouldBlock)),
        (2, sc.Send(1, 5, 1, b"hi"), NONE),  # handed off, queue untouched
        (2, sc.Send(1, 6, 0, b"q"), err(E.PortFull)),  # the hand-off's slot
        (1, sc.Resume(), Ok(Delivered(2, 5, 1, b"hi", ()))),
        (2, sc.Send(1, 6, 0, b"q"), NONE),
        (2, sc.Send(1, 7, 0, b"full"), err(E.PortFull)),
        (1, sc.Resume(), err(E.InvalidArgument)),
        (1, sc.Close(1), Ok(1)),
        (2, sc.Send(1, 0, 0, b""), err(E.PortClosed)),
        (1, sc.Receive(1, 0), Ok(Delivered(2, 6, 0, b"q", ()))),
        (1, sc.Receive(1, 5), err(E.PortClosed)),
    ],
    "messages": [
        (1, sc.CreatePort(4), Ok(1)),
        (1, sc.CreatePort(4), Ok(2)),
        (1, sc.Derive(2, 9), Ok(3)),  # SEND | GRANT
        (1, sc.Derive(2, 1), Ok(4)),  # SEND only
        (1, sc.Send(1, 0, 0, bytes(65)), err(E.MessageTooLarge)),
        (1, sc.Send(1, 1 << 32, 0, b""), err(E.InvalidMessage)),
        (1, sc.Send(1, 0, 0, b"", (1,)), err(E.InvalidMessage)),
        (1, sc.Send(1, 0, 0, b"", (3, 3)), err(E.InvalidMessage)),
        (1, sc.Send(1, 0, 0, b"", (3, 9)), err(E.InvalidCapability)),
        (1, sc.Send(1, 0, 0, b"", (3, 4)), err(E.InsufficientRights)),
        (1, sc.Derive(3, 9), Ok(5)),
        (1, sc.Send(1, 0, 0, b"", (3,)), NONE),
        (1, sc.Send(1, 0, 0, b"", (5,)), NONE),
        (1, sc.Inspect(3), err(E.InvalidCapability)),  # moved, not copied
        (1, sc.Revoke(2), Ok(3)),  # handle 4 and both copies in flight
        (1, sc.Derive(2, 9), Ok(6)),
        (1, sc.Send(1, 0, 0, b"", (6,)), NONE),
        (1, sc.Receive(1, 0), Ok(Delivered(1, 0, 0, b"", (None,)))),
        (1, sc.Receive(1, 0), Ok(Delivered(1, 0, 0, b"", (None,)))),
        (1, sc.Receive(1, 0), Ok(Delivered(1, 0, 0, b"", (7,)))),
        (1, sc.Inspect(7), Ok(CapInfo("port", 9))),
    ],
    "namespace": [
        (1, sc.CreatePort(2), Ok(1)),
        (1, sc.Bind(1, "a", 7, 15), NONE),  # every right, published explicitly
        (1, sc.Bind(1, "a", 7), err(E.NameInUse)),
        (1, sc.Bind(1, "", 7), err(E.InvalidArgument)),
        (2, sc.Connect("a", 8), err(E.TypeMismatch)),
        (2, sc.Connect("a", 7), Ok(1)),
        (2, sc.Lookup("b"), err(E.PortNotFound)),
        (2, sc.Unbind(1, "a"), NONE),
        (2, sc.Lookup("a"), err(E.PortNotFound)),
        (1, sc.Revoke(1), Ok(1)),  # the looked-up handle moved up, still reached
        (2, sc.Inspect(1), err(E.InvalidCapability)),
        (1, sc.CreatePort(2), Ok(2)),
        (1, sc.Bind(2, "seed"), NONE),  # the seed's bind(name, port.capability)
        (2, sc.Lookup("seed"), Ok(2)),
        (2, sc.Inspect(2), Ok(CapInfo("port", 1))),  # SEND only
        (2, sc.Receive(2, 0), err(E.InsufficientRights)),
        (1, sc.Bind(2, "x", 0, 0x40), err(E.InvalidArgument)),
        (0, sc.Spawn(may_bind=False), Ok(3)),
        (3, sc.CreatePort(1), Ok(1)),
        (3, sc.Bind(1, "squat"), err(E.InsufficientRights)),
        (3, sc.Lookup("seed"), Ok(2)),
        (0, sc.Spawn(may_lookup=False), Ok(4)),
        (4, sc.Lookup("seed"), err(E.InsufficientRights)),
        (4, sc.SockConnect(0, "seed"), err(E.InsufficientRights)),
    ],
    "filters": [
        (1, sc.CreatePort(4), Ok(1)),
        (1, sc.SetFilter(1, frozenset({1}), 2, sc.RateLimit(1, 1, 3)), NONE),
        (1, sc.Send(1, 2, 0, b""), err(E.Filtered)),
        (1, sc.Send(1, 1, 0, b"abc"), err(E.MessageTooLarge)),
        (1, sc.Send(1, 1, 0, b"ab"), NONE),
        (1, sc.Send(1, 1, 0, b"ab"), err(E.RateLimited)),
        (0, sc.AdvanceClock(3), Ok(3)),
        (1, sc.Send(1, 1, 0, b"ab"), NONE),
        (1, sc.SetFilter(1), NONE),
        (1, sc.Send(1, 2, 0, b"abcd"), NONE),
        (1, sc.SetFilter(1, None, None, sc.RateLimit(0, 1, 1)), err(E.InvalidArgument)),
    ],
    "timeouts": [
        (1, sc.CreatePort(1), Ok(1)),
        (1, sc.Receive(1, 2), Ok(BLOCKED)),
        (0, sc.AdvanceClock(1), Ok(1)),
        (1, sc.Resume(), err(E.WouldBlock)),
        (0, sc.AdvanceClock(1), Ok(2)),
        (1, sc.Resume(), err(E.Timeout)),
        (0, sc.AdvanceClock(-1), err(E.InvalidArgument)),
        (1, sc.Receive(1, -1), err(E.InvalidArgument)),
    ],
    "channels": [
        (1, sc.CreateChannel(3, 2), Ok(1)),
        (1, sc.ChannelSendBatch(1, ()), err(E.InvalidArgument)),
        (1, sc.ChannelSendBatch(1, (b"a", b"bcd")), err(E.MessageTooLarge)),
        (1, sc.ChannelSendBatch(1, (b"a", b"b")), Ok(2)),
        (1, sc.ChannelSendBatch(1, (b"c", b"d")), err(E.WouldBlock)),
        (1, sc.ChannelReceive(1), Ok(b"a")),
        (1, sc.ChannelSendBatch(1, (b"c", b"d")), Ok(2)),  # wraps around
        (1, sc.ChannelReceiveBatch(1, 5), Ok((b"b", b"c", b"d"))),
        (1, sc.ChannelReceive(1), err(E.WouldBlock)),
        (1, sc.ChannelSend(1, b"z"), NONE),
        (1, sc.Close(1), Ok(1)),
        (1, sc.ChannelSend(1, b"y"), err(E.PortClosed)),
        (1, sc.ChannelReceive(1), Ok(b"z")),
        (1, sc.ChannelReceive(1), err(E.PortClosed)),
    ],
    "buffers": [
        (1, sc.CreateBuffer(8), Ok(1)),
        (1, sc.CreateBuffer(65), err(E.OutOfMemory)),
        (1, sc.MapBuffer(1, True), Ok(1)),
        (1, sc.WriteBuffer(1, 6, b"xyz"), err(E.OutOfBounds)),
        (1, sc.WriteBuffer(1, 2, b"xyz"), NONE),
        (1, sc.Derive(1, 0x10), Ok(2)),
        (1, sc.MapBuffer(2, True), err(E.InsufficientRights)),
        (1, sc.MapBuffer(2, False), Ok(2)),
        (1, sc.ReadBuffer(2, 0, 6), Ok(b"\0\0xyz\0")),
        (1, sc.WriteBuffer(2, 0, b"a"), err(E.InsufficientRights)),
        (2, sc.CreatePort(2), Ok(1)),
        (2, sc.Bind(1, "in"), NONE),
        (1, sc.Lookup("in"), Ok(3)),
        (1, sc.TransferBuffer(2, 3), err(E.InsufficientRights)),
        (1, sc.TransferBuffer(1, 3, 4), NONE),
        (1, sc.ReadBuffer(1, 0, 1), err(E.InvalidCapability)),
        (1, sc.Inspect(2), Ok(CapInfo("buffer", 0x10))),  # a delegate: kept
        (1, sc.ReadBuffer(2, 2, 3), Ok(b"xyz")),  # and so is its mapping
        (2, sc.Receive(1, 0), Ok(Delivered(1, 4, 0, b"", (2,)))),
        (2, sc.MapBuffer(2, False), Ok(1)),
        (2, sc.ReadBuffer(1, 2, 3), Ok(b"xyz")),
    ],
    "posix": [
        (1, sc.Socket(), Ok(0)),
        (2, sc.Socket(1), Ok(0)),
        (1, sc.SockBind(0, "srv"), NONE),
        (1, sc.SockBind(0, "again"), err(E.InvalidArgument)),
        (2, sc.SockSend(0, b"x"), err(E.NotConnected)),
        (2, sc.SockConnect(0, "nope"), err(E.PortNotFound)),
        (2, sc.SockConnect(0, "srv"), NONE),
        (2, sc.SockConnect(0, "srv"), err(E.AlreadyConnected)),
        (2, sc.SockSend(0, b"hello"), Ok(5)),
        (1, sc.SockRecv(0, 3), err(E.MessageTooLarge)),
        (1, sc.SockRecv(0, 5), Ok(Delivered(2, 0, 0, b"hello", ()))),
        (1, sc.SockRecv(0, 5), err(E.WouldBlock)),
        (2, sc.SockSend(0, b"bye"), Ok(3)),
        (1, sc.SockClose(0), Ok(1)),
        (2, sc.SockSend(0, b"x"), err(E.NotConnected)),
        (1, sc.Socket(), Ok(0)),  # the lowest free fd again
    ],
    "processes": [
        (1, sc.CreatePort(2), Ok(1)),
        (1, sc.Bind(1, "p", 0, 15), NONE),
        (2, sc.Lookup("p"), Ok(1)),
        (2, sc.Receive(1, None), Ok(BLOCKED)),
        (0, sc.Spawn(), Ok(3)),
        (0, sc.Kill(1), NONE),
        (0, sc.Kill(1), err(E.NoSuchProcess)),
        (2, sc.Resume(), err(E.WouldBlock)),  # its capability survives the kill
        (3, sc.Lookup("p"), Ok(1)),  # P2 still receives: the binding stays
        (3, sc.Drop(1), NONE),
        (0, sc.Kill(2), NONE),
        # nobody can receive any more: the port closed and its name went
        (3, sc.Lookup("p"), err(E.PortNotFound)),
    ],
}


@pytest.mark.parametrize("group", sorted(SCENARIOS))
def test_scenario(group: str) -> None:
    s = initial_state(2, CFG)
    k = Kernel(2, CFG)
    for i, (pid, op, expected) in enumerate(SCENARIOS[group]):
        s, spec_result = step(s, pid, op)
        got = k.apply(pid, op)
        assert got == expected, f"{group} step {i} {op!r}"
        assert spec_result == expected, f"{group} step {i} {op!r} (spec)"
        assert k.observe() == observe(s), f"{group} step {i} {op!r}"


def test_errno_table_matches_spec() -> None:
    for e in IpcError:
        assert model_errno_of(e) == errno_of(e)


def test_type_table_covers_every_field() -> None:
    for cls in sc.OPERATIONS:
        record: Any = cls  # every operation record is a dataclass
        assert [n for n, _ in FIELDS[cls]] == [f.name for f in fields(record)], cls


def test_statistics_and_snapshot() -> None:
    k = Kernel(1)
    k.apply(1, sc.CreatePort(1))
    k.apply(1, sc.CreateChannel(1, 1))
    k.apply(1, sc.Inspect(9))
    stats = k.statistics()
    assert (stats.ports, stats.channels, stats.operations, stats.errors) == (1, 1, 3, 1)
    assert k.snapshot() == k.observe()


def test_any_pid_is_answered() -> None:
    k = Kernel(1)
    for pid in ("1", [1], None, 1.5, -1):
        assert k.apply(pid, sc.CreatePort(1)) == Err(E.NoSuchProcess)  # type: ignore[arg-type]


def test_bad_constructor_arguments() -> None:
    with pytest.raises(ValueError, match="processes"):
        Kernel(-1)
    with pytest.raises(TypeError, match="Config"):
        Kernel(1, {"max_io": 1})  # type: ignore[arg-type]
