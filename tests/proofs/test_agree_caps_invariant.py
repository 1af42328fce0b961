"""The capability part evaluates its invariant by substitution (CapsPart).

Each conjunct is built once over a symbolic state and the projected state is
substituted into it; the verdicts must be those of building the conjuncts on
the projected state (``faithful.Part``), and a drifted conjunct must fail on
a projected reachable state.
"""

from __future__ import annotations

import dataclasses

from veridian_ipc.proofs import agreement, enc_caps
from veridian_ipc.proofs._smt import Implies, Term, forall, int_sort
from veridian_ipc.proofs.agree_explored import agree_scope
from veridian_ipc.proofs.explore_scopes import SCOPES
from veridian_ipc.proofs.faithful import Part
from veridian_ipc.proofs.induction import Conjunct, State, System
from veridian_ipc.spec import KernelState, initial_state, step
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.rights import SEND

CAPS = agreement.CHECKERS["caps"]
#: The same part, its invariant built on each projected state.
PLAIN = Part(CAPS.name, CAPS.system, CAPS.instances, CAPS.project)


def _ids_off_by_one(s: State) -> Term:
    """Drifted INV-IDS-FRESH: a live capability's object is below
    ``next_obj - 1`` (the newest object is never named)."""
    return forall(
        ["c"],
        [int_sort()],
        lambda c: Implies(s["live"][c], s["obj"][c] < s["next_obj"] - 1),
    )


def _drifted() -> System:
    conj = tuple(
        Conjunct("INV-IDS-FRESH", _ids_off_by_one) if c.name == "INV-IDS-FRESH" else c
        for c in enc_caps.SYSTEM.conjuncts
    )
    return dataclasses.replace(enc_caps.SYSTEM, conjuncts=conj)


def _states() -> list[KernelState]:
    s = initial_state(1)
    out = [s]
    for op in (sc.CreatePort(1), sc.Derive(1, SEND), sc.Drop(1), sc.Drop(2)):
        s, _ = step(s, Pid(1), op)
        out.append(s)
    return out


def test_substitution_gives_the_verdicts_of_building_the_conjuncts() -> None:
    bad = _drifted()
    for s in _states():
        assert CAPS.invariant_failures(s) == PLAIN.invariant_failures(s) == []
        got = CAPS.invariant_failures(s, bad)
        assert got == PLAIN.invariant_failures(s, bad)
    assert any(CAPS.invariant_failures(s, bad) for s in _states())


def test_a_drifted_caps_conjunct_fails_on_a_projected_reachable_state() -> None:
    r = agree_scope(SCOPES["core"], systems={"caps": _drifted()})
    assert r.search.violation is not None
    assert "invariant INV-IDS-FRESH fails" in r.search.violation.message
