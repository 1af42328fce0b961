"""Mutants of channels, the ring buffers (CHAN-*): a batch sent in part, a
batched receive that takes one too many, a ring full one slot early, a close
that discards what the ring holds.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.spec import IpcError as E
from veridian_ipc.spec import RuleId as R
from veridian_ipc.spec import step
from veridian_ipc.spec.state import Kind
from veridian_ipc.spec.store import channel, put_obj
from veridian_ipc.vocabulary.results import Err, Ok, Result
from veridian_ipc.vocabulary.syscalls import (
    ChannelReceiveBatch,
    ChannelSend,
    ChannelSendBatch,
    Close,
    Operation,
)

from .mutants_base import Mutant, Refusal


class BatchPartial(Refusal[ChannelSendBatch]):
    """A batch that does not fit sends the messages that do."""

    rules = (R.CHAN_SEND_BATCH,)
    refused_op = ChannelSendBatch
    refused_with = E.WouldBlock

    def instead(self, pid: int, op: ChannelSendBatch, refusal: Result) -> Result:
        ring = channel(self.state, self.live_cap(pid, op.handle, Kind.CHANNEL).obj)
        free = ring.capacity - (ring.write_idx - ring.read_idx)
        if free <= 0:
            return refusal
        self.spec_apply(pid, ChannelSendBatch(op.handle, op.items[:free]))
        return Ok(free)


class ReceiveBatchExtra(Mutant):
    """A batched receive takes one message more than asked."""

    rules = (R.CHAN_RECEIVE_BATCH,)

    def apply(self, pid: int, op: Operation) -> Result:
        count = op.max_count if isinstance(op, ChannelReceiveBatch) else None
        if isinstance(op, ChannelReceiveBatch) and type(count) is int and count >= 1:
            return self.spec_apply(pid, replace(op, max_count=count + 1))
        return self.spec_apply(pid, op)


class RingFullEarly(Mutant):
    """A channel reports full one slot early (capacity off by one)."""

    rules = (R.CHAN_SEND,)

    def apply(self, pid: int, op: Operation) -> Result:
        obj = self.channel_of(pid, op.handle) if isinstance(op, ChannelSend) else None
        if obj is not None and self.running(pid):
            ring = channel(self.state, obj)
            held = ring.write_idx - ring.read_idx
            _, r = step(self.state, pid, op)
            if ring.capacity > 1 and held == ring.capacity - 1 and isinstance(r, Ok):
                return Err(E.WouldBlock)
        return self.spec_apply(pid, op)


class ChannelCloseDrops(Mutant):
    """Closing a channel discards what it holds."""

    rules = (R.CHAN_CLOSE,)

    def apply(self, pid: int, op: Operation) -> Result:
        obj = self.channel_of(pid, op.handle) if isinstance(op, Close) else None
        r = self.spec_apply(pid, op)
        if obj is not None and isinstance(r, Ok):
            ring = channel(self.state, obj)
            empty = replace(ring, read_idx=ring.write_idx, held=())
            self.state = put_obj(self.state, obj, empty)
        return r


__all__ = [
    "BatchPartial",
    "ChannelCloseDrops",
    "ReceiveBatchExtra",
    "RingFullEarly",
]
