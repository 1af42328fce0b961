"""Allowed outcomes: the checker keeps every spec state consistent with the target."""

from __future__ import annotations

from veridian_ipc.conformance.outcomes import PartialBatchOracle
from veridian_ipc.conformance.targets import SpecTarget
from veridian_ipc.spec.state import Channel
from veridian_ipc.vocabulary.results import Result
from veridian_ipc.vocabulary.syscalls import (
    ChannelReceiveBatch,
    ChannelSendBatch,
    CreateChannel,
    Operation,
)

from .helpers import run_ops


class OneAtATime(SpecTarget):
    """Takes a single message per batched receive: allowed only by the oracle."""

    def apply(self, pid: int, op: Operation) -> Result:
        if isinstance(op, ChannelReceiveBatch) and op.max_count >= 1:
            op = ChannelReceiveBatch(op.handle, 1)
        return super().apply(pid, op)


class TakesNothing(SpecTarget):
    """Takes a batch and leaves the ring as it was: never allowed."""

    def apply(self, pid: int, op: Operation) -> Result:
        if isinstance(op, ChannelReceiveBatch):
            before = self.state
            r = super().apply(pid, op)
            self.state = before
            return r
        return super().apply(pid, op)


OPS = [
    (1, CreateChannel(3, 4)),
    (1, ChannelSendBatch(1, (b"a", b"b", b"c"))),
    (1, ChannelReceiveBatch(1, 3)),
    (1, ChannelReceiveBatch(1, 3)),
    (1, ChannelReceiveBatch(1, 3)),
]


def test_exact_oracle_rejects_a_partial_batch() -> None:
    _, div = run_ops(OneAtATime, OPS)
    assert div is not None
    assert (div.step, div.kind) == (3, "result")


def test_partial_batch_oracle_accepts_it_and_tracks_the_state() -> None:
    checker, div = run_ops(OneAtATime, OPS, oracle=PartialBatchOracle())
    assert div is None
    # the three receives took one message each: the spec's ring is drained
    rings = list(checker.spec_state.objects.values())
    assert rings == [Channel(3, 4, held=(), read_idx=3, write_idx=3)]
    assert len(checker.candidates) == 1  # the target showed which outcome it took


def test_partial_batch_oracle_still_rejects_a_wrong_target() -> None:
    _, div = run_ops(TakesNothing, OPS, oracle=PartialBatchOracle())
    assert div is not None
    assert div.step == 3
    assert div.kind == "observation"
