"""The ``quota`` scope reaches the two ways past ``max_queued_bytes`` that a
free hand-off allowed (spec/quotas.py): a send to a waiter without handle
room, and a killed receiver's hand-off given back to the queue. With the old
rule seeded (spec mutant ``handoff-bytes-free``) STEP-QUOTAS-KEPT fails; the
step properties accept the spec's own refusals and give-backs."""

from __future__ import annotations

from veridian_ipc.proofs.explore import explore
from veridian_ipc.proofs.explore_scopes import SCOPES
from veridian_ipc.proofs.spec_mutants import applied
from veridian_ipc.proofs.step_properties import confinement
from veridian_ipc.proofs.step_properties_base import Transition
from veridian_ipc.proofs.step_properties_delivery import hand_off_first
from veridian_ipc.spec import Err, IpcError
from veridian_ipc.spec.state import Waiting, Woken
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Pid

OOM = Err(IpcError.OutOfMemory)


def _refuses_a_waiter(t: Transition) -> bool:
    """A send that woke a waiter with OutOfMemory (no handle room)."""
    if not isinstance(t.op, sc.Send):
        return False
    for pid, p in t.pre.processes.items():
        after = t.post.processes[pid].status
        woken = isinstance(p.status, Waiting) and isinstance(after, Woken)
        if woken and isinstance(after, Woken) and after.result == OOM:
            return True
    return False


def _kills_a_handoff_with_data(t: Transition) -> bool:
    """A kill of a receiver holding an uncollected hand-off with data."""
    if not isinstance(t.op, sc.Kill):
        return False
    status = t.pre.processes[Pid(t.op.target)].status
    return (
        isinstance(status, Woken)
        and status.handed is not None
        and bool(getattr(getattr(status.result, "value", None), "data", b""))
    )


def test_the_quota_scope_reaches_both_cases_and_is_clean() -> None:
    seen: dict[str, int] = {"refused": 0, "given back": 0}
    checked: list[str] = []

    def visit(t: Transition) -> None:
        if _refuses_a_waiter(t):
            seen["refused"] += 1
            checked.extend(m for m in (hand_off_first(t), confinement(t)) if m)
        if _kills_a_handoff_with_data(t):
            seen["given back"] += 1
            checked.extend(m for m in (hand_off_first(t), confinement(t)) if m)

    r = explore(SCOPES["quota"], visit=visit)
    assert r.violation is None, r.violation.lines() if r.violation else ""
    assert seen["refused"] > 0
    assert seen["given back"] > 0
    assert checked == []


def test_the_old_rule_breaks_the_queued_bytes_quota() -> None:
    with applied("handoff-bytes-free"):
        r = explore(SCOPES["quota"])
    assert r.violation is not None
    assert r.violation.id == "STEP-QUOTAS-KEPT"
