"""The mutants of buffer ownership and resource quotas, one direct scenario
each (``mutants_buffers``' transfer mutants, ``mutants_quota``).

As in ``test_mutants_travel``: the same operations run on the spec and on the
mutant, the spec's answer at the named step is asserted (so a scenario that
stopped exercising its rule fails), and the mutant answers otherwise there,
from the same state. The quota scenarios run with small quotas
(spec/quotas.py), which the conformance profiles leave at their defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from veridian_ipc.conformance import mutants
from veridian_ipc.conformance.checker import SMALL_CONFIG
from veridian_ipc.conformance.mutants import Mutant
from veridian_ipc.conformance.targets import SpecTarget
from veridian_ipc.spec import IpcError as E
from veridian_ipc.vocabulary.names import Config
from veridian_ipc.vocabulary.results import CapInfo, Delivered, Err, Ok, Result
from veridian_ipc.vocabulary.rights import GRANT, MANAGE, READ, RECEIVE, SEND
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    CreateBuffer,
    CreatePort,
    Derive,
    Inspect,
    Kill,
    Lookup,
    Operation,
    Receive,
    Resume,
    Send,
    TransferBuffer,
)

Scenario = Sequence[tuple[int, Operation]]


def diverges(
    mutant: type[Mutant],
    scenario: Scenario,
    spec_says: Result,
    config: Config = SMALL_CONFIG,
) -> Result:
    """Run ``scenario`` on the spec and on ``mutant`` (3 processes): they agree
    up to its last step, where the spec gives ``spec_says`` and the mutant
    something else, which is returned."""
    spec, bent = SpecTarget(3, config), mutant(3, config)
    want = [spec.apply(pid, op) for pid, op in scenario]
    got = [bent.apply(pid, op) for pid, op in scenario]
    assert want[-1] == spec_says
    assert got[:-1] == want[:-1]
    assert got[-1] != want[-1]
    return got[-1]


def test_transfer_by_delegate() -> None:
    """A copy with MANAGE+GRANT is a delegate, not the owner (BUF-TRANSFER)."""
    ops = [
        (1, CreateBuffer(8)),
        (1, Derive(1, MANAGE | GRANT)),
        (1, CreatePort(1)),
        (1, TransferBuffer(2, 3, 0)),
    ]
    got = diverges(mutants.TransferByDelegate, ops, Err(E.InsufficientRights))
    assert got == Ok(None)


def test_transfer_strips_others() -> None:
    """The owner's transfer leaves a read-only copy in place (BUF-TRANSFER)."""
    ops = [
        (1, CreateBuffer(8)),
        (1, Derive(1, READ)),
        (1, CreatePort(1)),
        (1, TransferBuffer(1, 3, 0)),
        (1, Inspect(2)),
    ]
    spec_says = Ok(CapInfo("buffer", READ))
    got = diverges(mutants.TransferStripsOthers, ops, spec_says)
    assert got == Err(E.InvalidCapability)


def test_handle_quota_one_over() -> None:
    """The third handle of a table whose quota is two (spec/quotas.py)."""
    ops = [(1, CreatePort(1)), (1, CreatePort(1)), (1, CreatePort(1))]
    small = replace(SMALL_CONFIG, max_handles=2)
    got = diverges(mutants.HandleQuotaOneOver, ops, Err(E.OutOfMemory), small)
    assert got == Ok(3)


def test_queued_bytes_unbounded() -> None:
    """A third queued byte over a quota of two (spec/quotas.py)."""
    ops = [(1, CreatePort(3)), (1, Send(1, 0, 0, b"ab")), (1, Send(1, 0, 0, b"c"))]
    small = replace(SMALL_CONFIG, max_queued_bytes=2)
    got = diverges(mutants.QueuedBytesUnbounded, ops, Err(E.OutOfMemory), small)
    assert got == Ok(None)


def test_receive_overflows_table() -> None:
    """A receive whose capability would be a third handle: refused, the
    message stays queued (PORT-RECEIVE, spec/quotas.py)."""
    ops = [
        (1, CreatePort(2)),
        (1, CreatePort(1)),
        (1, Send(1, 0, 0, b"m", (2,))),  # handle 2 leaves in the message
        (1, CreatePort(1)),
        (1, Receive(1, 0)),
    ]
    small = replace(SMALL_CONFIG, max_handles=2)
    got = diverges(mutants.ReceiveOverflowsTable, ops, Err(E.OutOfMemory), small)
    assert isinstance(got, Ok)
    assert isinstance(got.value, Delivered)


def test_handoff_bytes_free() -> None:
    """A second byte sent while the first, handed off, is uncollected: over a
    quota of one (PORT-HANDOFF, spec/quotas.py); the old rule lets it
    through (the kept slot not counted), and the receiver's death then puts
    both in the queue."""
    ops = [
        (2, CreatePort(2)),
        (2, Bind(1, "in", 0, SEND)),
        (1, Lookup("in")),
        (2, Receive(1, None)),
        (1, Send(1, 0, 0, b"a")),  # handed off: one byte in the kept slot
        (1, Send(1, 0, 0, b"b")),
    ]
    small = replace(SMALL_CONFIG, max_queued_bytes=1)
    got = diverges(mutants.HandoffBytesFree, ops, Err(E.OutOfMemory), small)
    assert got == Ok(None)
    # a send to a waiter is charged too: two bytes over a quota of one
    ops = [*ops[:4], (1, Send(1, 0, 0, b"ab"))]
    got = diverges(mutants.HandoffBytesFree, ops, Err(E.OutOfMemory), small)
    assert got == Ok(None)


def test_give_back_ignores_room() -> None:
    """A hand-off given back by a kill skips a waiter without handle room,
    as a send does (PORT-HANDOFF): that waiter's Resume reports OutOfMemory;
    the mutant hands the message to it, over its ``max_handles``."""
    ops = [
        (3, CreatePort(1)),
        (3, Bind(1, "n", 0, SEND | RECEIVE)),
        (1, Lookup("n")),
        (2, Lookup("n")),
        (2, CreatePort(1)),  # process 2's table is full
        (1, Receive(1, None)),
        (2, Receive(1, None)),
        (3, Derive(1, SEND | GRANT)),
        (3, Send(1, 1, 0, b"", (2,))),  # handed to process 1
        (3, Kill(1)),  # given back
        (2, Resume()),
    ]
    small = replace(SMALL_CONFIG, max_handles=2, max_objects=4, max_queued_bytes=1)
    got = diverges(mutants.GiveBackIgnoresRoom, ops, Err(E.OutOfMemory), small)
    assert isinstance(got, Ok)
    assert isinstance(got.value, Delivered)


#: Each mutant of these modules and its scenario (``test_mutants_travel``
#: checks that every mutant after the first 49 has one).
SCENARIOS: dict[str, Callable[[], None]] = {
    "TransferByDelegate": test_transfer_by_delegate,
    "TransferStripsOthers": test_transfer_strips_others,
    "HandleQuotaOneOver": test_handle_quota_one_over,
    "QueuedBytesUnbounded": test_queued_bytes_unbounded,
    "ReceiveOverflowsTable": test_receive_overflows_table,
    "HandoffBytesFree": test_handoff_bytes_free,
    "GiveBackIgnoresRoom": test_give_back_ignores_room,
}
