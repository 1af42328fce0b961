"""Shrinking to a 1-minimal trace of the same signature, renumbering handles."""

from __future__ import annotations

import dataclasses

from veridian_ipc.conformance.checker import SMALL_CONFIG, Checker, Divergence
from veridian_ipc.conformance.crashes import apply_step
from veridian_ipc.conformance.shrinking import Step, numbering, renumber, shrink
from veridian_ipc.conformance.signatures import Signature, signature_of
from veridian_ipc.conformance.targets import InProcessDriver, SpecTarget
from veridian_ipc.conformance.traces import minimize
from veridian_ipc.spec import Config
from veridian_ipc.vocabulary.results import Delivered, Ok, Result
from veridian_ipc.vocabulary.syscalls import (
    AdvanceClock,
    Close,
    CreateChannel,
    CreatePort,
    Derive,
    Inspect,
    Operation,
    Receive,
    Send,
    Spawn,
)


class DerivedReceive(SpecTarget):
    """Wrong ``msg_type`` for a message received through a derived handle:
    the shortest trace is create port, derive, send, receive."""

    def __init__(self, processes: int, config: Config) -> None:
        super().__init__(processes, config)
        self.derived: set[tuple[int, int]] = set()

    def apply(self, pid: int, op: Operation) -> Result:
        result = super().apply(pid, op)
        if isinstance(op, Derive) and isinstance(result, Ok):
            self.derived.add((pid, int(result.value)))  # type: ignore[arg-type]
        if (
            isinstance(op, Receive)
            and (pid, op.handle) in self.derived
            and isinstance(result, Ok)
            and isinstance(result.value, Delivered)
        ):
            value = result.value
            return Ok(dataclasses.replace(value, msg_type=value.msg_type + 1))
        return result


def _checker() -> Checker:
    return Checker(InProcessDriver(DerivedReceive))


def _run(ops: list[Step]) -> Divergence | None:
    checker = _checker()
    checker.reset()
    try:
        for pid, op in ops:
            apply_step(checker, pid, op)
    except Divergence as div:
        return div
    return None


#: The bug's four steps (pid 1's handles 3 and 5 in the spec's numbering,
#: after the noise below), buried in 30 steps of noise that creates handles
#: before and between them, in pid 1 and elsewhere.
BURIED: list[Step] = [
    (1, CreatePort(2)),  # h1 (noise)
    (2, CreatePort(1)),  # pid 2's h1
    (1, CreateChannel(2, 4)),  # h2 (noise)
    (0, AdvanceClock(1)),
    (1, CreatePort(3)),  # h3: the bug's port
    (2, Send(1, 0, 0, b"x")),
    (1, Send(1, 1, 0, b"")),  # noise, to h1
    (3, CreatePort(2)),
    (1, Inspect(2)),
    (1, CreatePort(1)),  # h4 (noise)
    (1, Derive(3, 0x3)),  # h5: derived from h3
    (2, Receive(1, 0)),
    (3, Send(1, 2, 0, b"ab")),
    (1, Close(4)),
    (1, Receive(1, 0)),  # noise: through h1, not derived
    (0, AdvanceClock(2)),
    (1, Inspect(5)),
    (1, Derive(1, 0x1)),  # h6 (noise)
    (2, Inspect(1)),
    (1, Send(3, 7, 0, b"q")),  # the bug's send, through h3
    (3, Receive(1, 0)),
    (1, Inspect(6)),
    (1, CreatePort(2)),  # h7 (noise)
    (2, CreateChannel(3, 8)),
    (1, Send(7, 3, 0, b"")),
    (0, AdvanceClock(1)),
    (1, Inspect(3)),
    (3, Inspect(1)),
    (1, Inspect(7)),
    (1, Receive(5, 0)),  # the bug: through the derived h5
]


def test_the_buried_bug_shrinks_to_its_four_steps_renumbered() -> None:
    assert len(BURIED) == 30
    div = _run(BURIED)
    assert div is not None
    assert div.step == 30
    sig = signature_of(div)
    assert sig == Signature("PORT-RECEIVE", "Receive", "result")
    shrunk = shrink(BURIED, _checker, sig)
    assert shrunk is not None
    assert shrunk.reproduced
    assert shrunk.minimal
    assert shrunk.original_length == 30
    ops = [(r.pid, r.op) for r in shrunk.divergence.steps]
    # the port is now handle 1 and the derived handle 2: renumbered
    assert ops == [
        (1, CreatePort(3)),
        (1, Derive(1, 0x3)),
        (1, Send(1, 7, 0, b"q")),
        (1, Receive(2, 0)),
    ]
    assert signature_of(shrunk.divergence) == sig


def test_without_renumbering_the_noise_that_numbers_the_handles_stays() -> None:
    # the delta debugging shrinking did before: ops keep their numbers, so
    # the steps that created handles 1 and 2 can never go
    div = minimize(BURIED, _checker, "result")
    assert div is not None
    assert len(div.steps) > 4


def test_the_shrunk_trace_is_one_minimal() -> None:
    div = _run(BURIED)
    assert div is not None
    shrunk = shrink(BURIED, _checker, signature_of(div))
    assert shrunk is not None
    ops = [(r.pid, r.op) for r in shrunk.divergence.steps]
    numbers = numbering(ops, 3, SMALL_CONFIG)
    for i in range(len(ops)):
        keep = [j for j in range(len(ops)) if j != i]
        _, candidate = renumber(ops, keep, numbers, 3, SMALL_CONFIG)
        again = _run(candidate)
        assert again is None or signature_of(again) != signature_of(div), i


def test_renumbering_names_the_same_objects() -> None:
    ops: list[Step] = [
        (1, CreatePort(1)),  # h1
        (1, CreatePort(2)),  # h2
        (1, Derive(2, 0x1)),  # h3
        (1, Send(2, 0, 0, b"", (3,))),  # carries h3
        (0, Spawn()),  # pid 4
        (4, CreatePort(1)),  # pid 4's h1
        (1, Inspect(1)),
    ]
    numbers = numbering(ops, 3, SMALL_CONFIG)
    kept, out = renumber(ops, [1, 2, 3, 4, 5], numbers, 3, SMALL_CONFIG)
    assert kept == [1, 2, 3, 4, 5]
    assert out == [
        (1, CreatePort(2)),  # now h1
        (1, Derive(1, 0x1)),  # h2
        (1, Send(1, 0, 0, b"", (2,))),
        (0, Spawn()),
        (4, CreatePort(1)),
    ]
    # without the derive, the carried handle is left out of the list; without
    # the spawn, pid 4's step goes; a handle whose creator went names nothing
    kept, out = renumber(ops, [0, 3, 5, 6], numbers, 3, SMALL_CONFIG)
    assert kept == [0, 3, 6]
    assert out[0] == (1, CreatePort(1))
    assert out[1][1] == Send(2 + (1 << 20), 0, 0, b"", ())
    assert out[2] == (1, Inspect(1))


def test_a_divergence_that_does_not_reproduce_is_not_shrunk() -> None:
    div = _run(BURIED)
    assert div is not None
    other = Signature("PORT-SEND", "Send", "result")
    assert shrink(BURIED, _checker, other) is None
