"""Allowed outcomes: where the spec allows more than one, the checker keeps them all.

An ``Oracle`` gives, for a spec state and an operation, every outcome the spec
allows: ``[(state', result), ...]``. The checker keeps every spec state still
consistent with what the target has shown (results and observations, up to
renaming) and fails only when none is left. The spec is deterministic today, so
``SpecOracle`` (exactly ``step``) is the default; the mechanism is there for a
design that leaves a choice to the implementation.

``PartialBatchOracle`` is such a choice, as an example and a test of the
mechanism: it lets ``ChannelReceiveBatch`` take any non-empty prefix of what
the spec would take (an implementation that stops at a cache line, say). Every
outcome is still computed by the spec's ``step``; the oracle only chooses
which operations' outcomes are allowed.
"""

from __future__ import annotations

from typing import Protocol

from veridian_ipc.spec import step
from veridian_ipc.spec.state import KernelState
from veridian_ipc.vocabulary.results import Ok, Result
from veridian_ipc.vocabulary.syscalls import ChannelReceiveBatch, Operation

Outcome = tuple[KernelState, Result]


class Oracle(Protocol):
    """Every outcome the spec allows for ``op`` in state ``s``."""

    def outcomes(self, s: KernelState, pid: int, op: Operation) -> list[Outcome]: ...


class SpecOracle:
    """The spec as it is: one outcome, ``step``'s."""

    def outcomes(self, s: KernelState, pid: int, op: Operation) -> list[Outcome]:
        """``[step(s, pid, op)]``."""
        return [step(s, pid, op)]


class PartialBatchOracle:
    """``ChannelReceiveBatch(h, n)`` may return any 1..n oldest messages."""

    def outcomes(self, s: KernelState, pid: int, op: Operation) -> list[Outcome]:
        """Every prefix length from the spec's down to 1 (each by ``step``)."""
        first = step(s, pid, op)
        if not (
            isinstance(op, ChannelReceiveBatch)
            and isinstance(first[1], Ok)
            and isinstance(first[1].value, tuple)
        ):
            return [first]
        taken = len(first[1].value)
        smaller = (
            step(s, pid, ChannelReceiveBatch(op.handle, k))
            for k in range(taken - 1, 0, -1)
        )
        return [first, *smaller]
