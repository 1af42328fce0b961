"""The facade's fast paths decide by the rules' own functions.

A bug seeded in one check of a rule (``ports.check_offer``,
``messages.check_limits``, ``ports.admit_receive``'s results,
``channels.ring_of``) shows in the rule through ``Kernel.apply`` and in every
fast path alike: the check is written once, in the rule's module.
"""

from __future__ import annotations

import pytest

from veridian_ipc.model import (
    Channel,
    InsufficientRights,
    InvalidMessage,
    IpcException,
    Port,
    PortClosed,
    System,
    Timeout,
)
from veridian_ipc.model import channels as kchannels
from veridian_ipc.model import ports as kports
from veridian_ipc.model.state import Cap
from veridian_ipc.model.state import Channel as KChannel
from veridian_ipc.model.store import E_INSUFFICIENT_RIGHTS, FAIL
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.results import Err


def made() -> tuple[System, Port, Channel]:
    sys = System(clock="logical")
    p = sys.spawn()
    return sys, p.create_port(), p.create_channel()


def test_a_seeded_port_side_check_shows_in_every_send(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sys, port, _ = made()
    monkeypatch.setattr(
        kports, "check_offer", lambda st, port, msg_type, size: IpcError.PortClosed
    )
    with pytest.raises(PortClosed):
        port.send_nowait(b"x")
    with pytest.raises(PortClosed):
        port.send(b"x", timeout=0)
    r = sys.kernel.apply(port.process.pid, sc.Send(port.handle, 0, 0, b"x"))
    assert r == Err(IpcError.PortClosed)


def test_a_seeded_limit_shows_in_every_send(monkeypatch: pytest.MonkeyPatch) -> None:
    sys, port, _ = made()

    def strict(
        msg_type: int, flags: int, size: int, caps: tuple[int, ...], via: int
    ) -> IpcError | None:
        return IpcError.InvalidMessage if size > 2 else None

    monkeypatch.setattr(kports, "check_limits", strict)
    port.send_nowait(b"ok")
    with pytest.raises(InvalidMessage):
        port.send_nowait(b"long")
    with pytest.raises(InvalidMessage):
        port.send(b"long")
    r = sys.kernel.apply(port.process.pid, sc.Send(port.handle, 0, 0, b"long"))
    assert r == Err(IpcError.InvalidMessage)


def test_a_seeded_receive_result_shows_in_every_receive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sys, port, _ = made()
    monkeypatch.setattr(kports, "E_WOULD_BLOCK", FAIL[IpcError.Timeout])
    with pytest.raises(Timeout):
        port.receive_nowait()
    with pytest.raises(Timeout):
        port.receive(timeout=0)
    r = sys.kernel.apply(port.process.pid, sc.Receive(port.handle, 0))
    assert r == Err(IpcError.Timeout)


def test_a_seeded_channel_capability_check_shows_in_every_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sys, _, chan = made()
    chan.send_nowait(b"held")

    def refuse(cap: Cap | None, right: int) -> KChannel | Err:
        return E_INSUFFICIENT_RIGHTS

    monkeypatch.setattr(kchannels, "ring_of", refuse)
    for call in (
        lambda: chan.send_nowait(b"x"),
        chan.receive_nowait,
        lambda: chan.send_batch([b"x"]),
        chan.receive_batch,
        lambda: chan.send_wait(b"x", timeout=0),
        lambda: chan.receive_wait(timeout=0),
    ):
        with pytest.raises(InsufficientRights):
            call()
    pid = chan.process.pid
    for op in (
        sc.ChannelSend(chan.handle, b"x"),
        sc.ChannelReceive(chan.handle),
        sc.ChannelSendBatch(chan.handle, (b"x",)),
        sc.ChannelReceiveBatch(chan.handle, 1),
    ):
        assert sys.kernel.apply(pid, op) == Err(IpcError.InsufficientRights), op


def test_without_a_seeded_bug_the_calls_succeed() -> None:
    """The same calls as above on the real rules: the seeded bugs, not the
    setups, make the tests above fail."""
    _, port, chan = made()
    port.send_nowait(b"long")
    port.send(b"long", timeout=0)
    assert port.receive_nowait().data == b"long"
    assert port.receive(timeout=0).data == b"long"
    with pytest.raises(IpcException) as e:
        port.receive_nowait()
    assert e.value.error is IpcError.WouldBlock
    chan.send_nowait(b"x")
    assert chan.receive_nowait() == b"x"
    assert chan.send_batch([b"x"]) == 1
    assert chan.receive_batch() == [b"x"]
