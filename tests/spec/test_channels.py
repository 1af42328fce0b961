"""Asynchronous channels: CHAN-*."""

from __future__ import annotations

from veridian_ipc.spec import Config, IpcError
from veridian_ipc.vocabulary.rights import RECEIVE, SEND
from veridian_ipc.vocabulary.syscalls import (
    ChannelReceive,
    ChannelReceiveBatch,
    ChannelSend,
    ChannelSendBatch,
    Close,
    CreateChannel,
    Derive,
)

from .conftest import World


def test_chan_create_limits(world: type[World]) -> None:
    """CHAN-CREATE: positive sizes; above the configured limits OutOfMemory."""
    w = world(1, Config(max_channel_capacity=4, max_channel_message=16))
    w.err(1, CreateChannel(0, 1), IpcError.InvalidArgument)
    w.err(1, CreateChannel(1, 0), IpcError.InvalidArgument)
    w.err(1, CreateChannel(5, 1), IpcError.OutOfMemory)
    w.err(1, CreateChannel(1, 17), IpcError.OutOfMemory)
    assert w.ok(1, CreateChannel(4, 16)) == 1


def test_chan_send_receive_wraps_around(world: type[World]) -> None:
    """CHAN-SEND / CHAN-RECEIVE: FIFO across the ring's wrap-around; full and
    empty give WouldBlock; size limit MessageTooLarge; rights checked."""
    w = world(1)
    c = w.handle(1, CreateChannel(3, 4))
    for round_ in range(4):
        for i in range(3):
            w.ok(1, ChannelSend(c, bytes([round_, i])))
        w.err(1, ChannelSend(c, b"x"), IpcError.WouldBlock)
        for i in range(3):
            assert w.data(1, ChannelReceive(c)) == bytes([round_, i])
        w.err(1, ChannelReceive(c), IpcError.WouldBlock)
    w.err(1, ChannelSend(c, b"12345"), IpcError.MessageTooLarge)
    rx = w.handle(1, Derive(c, RECEIVE))
    tx = w.handle(1, Derive(c, SEND))
    w.err(1, ChannelSend(rx, b""), IpcError.InsufficientRights)
    w.err(1, ChannelReceive(tx), IpcError.InsufficientRights)


def test_chan_send_batch_all_or_nothing(world: type[World]) -> None:
    """CHAN-SEND-BATCH: fits whole or nothing is sent; an empty batch or an
    oversized item is refused whole."""
    w = world(1)
    c = w.handle(1, CreateChannel(3, 2))
    w.ok(1, ChannelSend(c, b"a"))
    w.err(1, ChannelSendBatch(c, (b"b", b"c", b"d")), IpcError.WouldBlock)
    w.err(1, ChannelSendBatch(c, ()), IpcError.InvalidArgument)
    w.err(1, ChannelSendBatch(c, (b"b", b"toolong")), IpcError.MessageTooLarge)
    assert w.ok(1, ChannelSendBatch(c, (b"b", b"c"))) == 2
    assert w.items(1, ChannelReceiveBatch(c, 10)) == (b"a", b"b", b"c")


def test_chan_receive_batch_prefix(world: type[World]) -> None:
    """CHAN-RECEIVE-BATCH: the oldest min(max_count, held), in order."""
    w = world(1)
    c = w.handle(1, CreateChannel(4, 1))
    w.ok(1, ChannelSendBatch(c, (b"1", b"2", b"3")))
    w.err(1, ChannelReceiveBatch(c, 0), IpcError.InvalidArgument)
    assert w.items(1, ChannelReceiveBatch(c, 2)) == (b"1", b"2")
    assert w.items(1, ChannelReceiveBatch(c, 2)) == (b"3",)
    w.err(1, ChannelReceiveBatch(c, 2), IpcError.WouldBlock)


def test_chan_close_drains(world: type[World]) -> None:
    """CHAN-CLOSE: needs MANAGE; sends then PortClosed; held messages drain."""
    w = world(1)
    c = w.handle(1, CreateChannel(2, 1))
    tx = w.handle(1, Derive(c, SEND))
    w.ok(1, ChannelSend(c, b"k"))
    w.err(1, Close(tx), IpcError.InsufficientRights)
    assert w.ok(1, Close(c)) == 1
    w.err(1, Close(c), IpcError.PortClosed)
    w.err(1, ChannelSend(c, b"z"), IpcError.PortClosed)
    assert w.data(1, ChannelReceive(c)) == b"k"
    w.err(1, ChannelReceive(c), IpcError.PortClosed)
