"""Every obligation is proved and its negative control refuted (issue: proofs/).

One test per obligation (its ID is the test ID). Obligations over one encoding
share queries, so the results of each query are kept for the whole module.
"""

from __future__ import annotations

import pytest

from veridian_ipc.proofs import (
    OBLIGATIONS,
    CheckResult,
    Obligation,
    coverage,
    run_obligation,
)
from veridian_ipc.proofs.obligations import THEOREMS, exercised
from veridian_ipc.spec import INVARIANTS, InvId, RuleId

#: long runs: left out of the quick test tier
pytestmark = pytest.mark.campaign

_CACHE: dict[str, CheckResult] = {}


@pytest.mark.parametrize("ob", OBLIGATIONS, ids=[ob.id for ob in OBLIGATIONS])
def test_obligation_proved_and_control_refuted(ob: Obligation) -> None:
    r = run_obligation(ob, timeout_ms=60_000, cache=_CACHE)
    assert r.verdict == "proved", r.counterexample() or [
        c.name for c in r.checks if c.verdict != "proved"
    ]
    assert r.control_verdict == "refuted", f"vacuous: {ob.control} was not refuted"
    text = r.control_counterexample()
    assert text is not None
    assert text.strip()


def test_every_invariant_has_an_obligation() -> None:
    cov = coverage()
    missing = [inv.value for inv in InvId if not cov[inv.value]]
    assert missing == []
    assert set(INVARIANTS) == set(InvId)


def test_coverage_names_only_real_ids_and_obligations() -> None:
    cov = coverage()
    ids = {r.value for r in RuleId} | {v.value for v in InvId}
    assert set(cov) == ids
    names = {ob.id for ob in OBLIGATIONS}
    assert all(set(obs) <= names for obs in cov.values())
    assert len(names) == len(OBLIGATIONS)


def test_obligation_ids_cite_what_they_cover() -> None:
    """Each obligation that covers rules names one of them (HELPER-EQUIVALENCE
    covers none: it ties encodings to the spec's code)."""
    for ob in OBLIGATIONS:
        if not ob.covers:
            assert ob.id == "HELPER-EQUIVALENCE"
            continue
        covered = {c.value for c in ob.covers}
        assert any(part in covered for part in ob.id.split("/")), ob.id


#: The capability obligations, the named parts of CAP-SAFETY.
CAP_PARTS = {
    "INV-RIGHTS-MONOTONE",
    "CAP-HANDLE",
    "RIGHTS-REVOKE",
    "INV-CAP-LOCATION",
    "MSG-TRANSFER",
    "BUF-TRANSFER",
    "CAP-DROP",
    "CAP-RECLAIM",
}


def test_the_capability_obligations_are_one_theorem_with_named_parts() -> None:
    assert set(THEOREMS) == {"CAP-SAFETY"}
    parts = {ob.id for ob in OBLIGATIONS if ob.theorem == "CAP-SAFETY"}
    assert parts == CAP_PARTS
    # each part keeps its own negative control
    controls = {ob.control for ob in OBLIGATIONS if ob.id in CAP_PARTS}
    assert len(controls) == len(CAP_PARTS)


def test_by_construction_properties_are_marked() -> None:
    marked = {ob.id for ob in OBLIGATIONS if ob.by_construction}
    assert marked == {"CAP-HANDLE", "FILTER-CHECK", "INV-BUFFER-BOUNDS", "POSIX-ERRNO"}


def test_generic_transitions_do_not_count_as_coverage() -> None:
    """A kill, a socket close, an unbind or a deadline reaches the capability
    and port encodings only as a generic "destroy any capability" or "wake
    one waiter": the obligations list them as exercised, not covered (only
    their error order is proved, by ERR-PRECEDENCE)."""
    cov, ex = coverage(), exercised()
    for rule in ("PROC-KILL", "NS-UNBIND", "TIME-DEADLINE"):
        assert set(cov[rule]) <= {"ERR-PRECEDENCE"}, rule
        assert ex[rule], rule
    assert "RIGHTS-REVOKE" not in cov["POSIX-CLOSE"]
    assert "RIGHTS-REVOKE" in ex["POSIX-CLOSE"]
    for ob in OBLIGATIONS:
        assert not set(ob.covers) & set(ob.exercises), ob.id
