"""The blocked-sender mutants (``conformance.mutants_blocking``): each
differs from the spec on a direct scenario, at the step its bug shows."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from veridian_ipc.conformance import mutants
from veridian_ipc.conformance.checker import SMALL_CONFIG
from veridian_ipc.conformance.mutants import Mutant
from veridian_ipc.conformance.targets import SpecTarget
from veridian_ipc.spec import IpcError as E
from veridian_ipc.vocabulary.results import BLOCKED, Delivered, Err, Ok, Result
from veridian_ipc.vocabulary.rights import GRANT, SEND
from veridian_ipc.vocabulary.syscalls import (
    AdvanceClock,
    Bind,
    Close,
    CreatePort,
    Lookup,
    Operation,
    Receive,
    Resume,
    Send,
)

Scenario = Sequence[tuple[int, Operation]]


def run(target: type, scenario: Scenario) -> list[Result]:
    """The results of ``scenario`` on a fresh ``target`` with 3 processes."""
    t = target(3, SMALL_CONFIG)
    return [t.apply(pid, op) for pid, op in scenario]


def diverges(
    mutant: type[Mutant], scenario: Scenario, at: int, spec_says: Result
) -> Result:
    """The spec and ``mutant`` agree before step ``at``, where the spec gives
    ``spec_says`` and the mutant what is returned."""
    spec = run(SpecTarget, scenario)
    bent = run(mutant, scenario)
    at = at % len(scenario)
    assert spec[at] == spec_says
    assert bent[:at] == spec[:at]
    assert bent[at] != spec[at]
    return bent[at]


#: P1's port of capacity 1, full, that P2 and P3 reach by name.
FULL: Scenario = [
    (1, CreatePort(1)),
    (1, Bind(1, "p", 0, SEND | GRANT)),
    (2, Lookup("p")),
    (3, Lookup("p")),
    (1, Send(1, 0, 0, b"0")),
]


def test_blocked_senders_lifo() -> None:
    """P2 blocks first, then P3; a receive serves P2 (FIFO), the mutant P3."""
    ops = [
        *FULL,
        (2, Send(1, 0, 0, b"a", (), None)),
        (3, Send(1, 0, 0, b"b", (), None)),
        (1, Receive(1)),
        (1, Receive(1)),
    ]
    assert run(SpecTarget, ops)[-3:-1] == [
        Ok(BLOCKED),
        Ok(Delivered(1, 0, 0, b"0", ())),
    ]
    got = diverges(
        mutants.BlockedSendersLifo, ops, -1, Ok(Delivered(2, 0, 0, b"a", ()))
    )
    assert got == Ok(Delivered(3, 0, 0, b"b", ()))


def test_sender_deadline_ignored() -> None:
    ops = [*FULL, (2, Send(1, 0, 0, b"a", (), 1)), (0, AdvanceClock(1)), (2, Resume())]
    got = diverges(mutants.SenderDeadlineIgnored, ops, -1, Err(E.Timeout))
    assert got == Err(E.WouldBlock)


def test_close_leaves_senders() -> None:
    ops = [*FULL, (2, Send(1, 0, 0, b"a", (), None)), (1, Close(1)), (2, Resume())]
    got = diverges(mutants.CloseLeavesSenders, ops, -1, Err(E.PortClosed))
    assert got == Err(E.WouldBlock)


SCENARIOS: dict[str, Callable[[], None]] = {
    "BlockedSendersLifo": test_blocked_senders_lifo,
    "SenderDeadlineIgnored": test_sender_deadline_ignored,
    "CloseLeavesSenders": test_close_leaves_senders,
}
