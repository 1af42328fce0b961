"""CAP-RECLAIM in the capability encoding (proofs/enc_caps_reclaim.py).

The part ``CAP-RECLAIM`` of CAP-SAFETY is proved inductively with the rest of
the capability invariant, and its negative control (an object reclaimed while
a table still holds a capability to it) is refuted. The agreement check maps
the spec's reclamation onto the ``reclaim`` transition: a spec that reclaims a
reachable object, or an encoding that forgets what it reclaimed, disagrees.
"""

from __future__ import annotations

import dataclasses

import pytest

from veridian_ipc.proofs import agreement, enc_caps
from veridian_ipc.proofs._smt import Term
from veridian_ipc.proofs.coverage_table import rule_coverage
from veridian_ipc.proofs.induction import (
    Params,
    State,
    System,
    Transition,
    run_obligation,
)
from veridian_ipc.proofs.obligations import obligation
from veridian_ipc.spec import KernelState, initial_state, reclaim, step
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import ObjId, Pid
from veridian_ipc.vocabulary.rights import SEND

CAPS = agreement.CHECKERS["caps"]
RECLAIM = enc_caps.SYSTEM.transition("reclaim")


def test_cap_reclaim_is_proved_by_its_own_effect() -> None:
    """The coverage table counts the obligation: CAP-RECLAIM is no longer
    among the rules with no proof of its effect (``veridian-ipc spec``)."""
    row = next(r for r in rule_coverage() if r["id"] == "CAP-RECLAIM")
    assert "no proof obligation states its effect" not in row["gaps"]
    proofs = {p["obligation"]: p for p in row["proofs"]}
    assert proofs["CAP-RECLAIM"]["theorem"] == "CAP-SAFETY"
    assert not proofs["CAP-RECLAIM"]["error_order_only"]


def test_the_reclaim_obligation_is_proved_and_its_control_refuted() -> None:
    r = run_obligation(obligation("CAP-RECLAIM"))
    assert r.verdict == "proved", [c for c in r.checks if c.verdict != "proved"]
    assert r.control_verdict == "refuted"
    refuted = [c for c in r.control_checks if c.verdict == "refuted"]
    assert "CAP-RECLAIM/roots-kept" in refuted[0].name


def _drop_last() -> tuple[KernelState, int, sc.Operation]:
    """A port and a SEND child; both dropped: the second drop reclaims it."""
    s = initial_state(1)
    for op in (sc.CreatePort(1), sc.Derive(1, SEND), sc.Drop(1)):
        s, _ = step(s, Pid(1), op)
    return s, 1, sc.Drop(2)


def test_a_reclaiming_step_is_a_reclaim_transition() -> None:
    before, pid, op = _drop_last()
    after, result = step(before, Pid(pid), op)
    assert ObjId(1) in before.objects
    assert ObjId(1) not in after.objects
    (inst,) = CAPS.instances(before, pid, op, after, result)
    assert [name for name, _ in inst.steps] == ["drop", "reclaim"]
    assert CAPS(before, pid, op, after, result) == []
    assert CAPS.invariant_failures(after) == []


def _reclaim_forgets(s: State, a: Params) -> tuple[Term, State]:
    """Broken: the object is reclaimed but not marked dead."""
    guard, post = RECLAIM.apply(s, a)
    return guard, {**post, "dead": s["dead"]}


def _with(t: Transition) -> System:
    swapped = tuple(t if x.name == t.name else x for x in enc_caps.SYSTEM.transitions)
    return dataclasses.replace(enc_caps.SYSTEM, transitions=swapped)


def test_an_encoding_that_forgets_a_reclaimed_object_disagrees() -> None:
    before, pid, op = _drop_last()
    after, result = step(before, Pid(pid), op)
    forgets = Transition(
        "reclaim",
        RECLAIM.rules,
        RECLAIM.params,
        _reclaim_forgets,
    )
    found = CAPS(before, pid, op, after, result, _with(forgets))
    assert any("dead" in d for d in found), found


def test_a_spec_that_reclaims_a_reachable_object_disagrees(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A drifted CAP-RECLAIM that destroys every object at the end of a step
    (a table still holds a capability to it): the ``reclaim`` guard fails."""
    s = initial_state(1)
    s, _ = step(s, Pid(1), sc.CreatePort(1))
    op = sc.Derive(1, SEND)
    monkeypatch.setattr(reclaim, "unreachable", lambda s: sorted(s.objects))
    after, result = step(s, Pid(1), op)
    assert ObjId(1) not in after.objects  # the drift took effect
    found = CAPS(s, 1, op, after, result)
    assert found
    assert "guard False" in found[0]
