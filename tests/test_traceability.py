"""Traceability: every rule and invariant is defined once, documented, and named
by at least one test of the spec."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from veridian_ipc.spec import (
    GROUPS,
    INVARIANTS,
    RULES,
    InvId,
    IpcError,
    RuleId,
    group_of,
)
from veridian_ipc.spec.invariants import CHECKS

TESTS = Path(__file__).resolve().parent / "spec"


def test_every_rule_id_is_defined_exactly_once() -> None:
    assert set(RULES) == set(RuleId)
    assert len({r.value for r in RuleId}) == len(RuleId)


def test_every_invariant_is_defined_and_checked() -> None:
    assert set(INVARIANTS) == set(InvId) == set(CHECKS)


def test_every_rule_is_documented() -> None:
    for rid, entry in RULES.items():
        assert len(entry.doc.split()) >= 12, rid  # prose, not a label
        assert entry.summary, rid
        for name in entry.errors:
            assert name in IpcError.__members__, (rid, name)


def test_rules_with_errors_document_their_order() -> None:
    """A rule whose code returns errors lists them (ERR-PRECEDENCE)."""
    silent = {r for r, e in RULES.items() if not e.errors}
    # rules that define data or effects and cannot fail on their own
    assert silent == {
        RuleId.PROC_SPAWN,
        RuleId.CAP_RECLAIM,
        RuleId.RIGHTS_BITS,
        RuleId.RIGHTS_REQUIRED,
        RuleId.PORT_HANDOFF,
        RuleId.MSG_SENDER,
        RuleId.MSG_INFLIGHT_REVOKE,
        RuleId.TIME_DEADLINE,
        RuleId.PORT_SEND_BLOCK,  # the outcome is PORT-SEND's, collected later
        RuleId.CHAN_SEND_BLOCK,
        RuleId.POSIX_ERRNO,
        RuleId.ERR_ENUM,
        RuleId.ERR_ATOMIC,
    }


def test_all_eleven_groups_have_rules() -> None:
    groups = {group_of(r) for r in RuleId}
    assert groups == {g for g, _ in GROUPS}
    assert len(groups) == 11


def test_every_rule_id_is_named_by_a_spec_test() -> None:
    text = "\n".join(p.read_text() for p in TESTS.glob("test_*.py"))
    named = set(re.findall(r"\b[A-Z]+(?:-[A-Z]+)+\b", text))
    missing = sorted(r.value for r in RuleId if r.value not in named)
    assert missing == []


def test_rule_coverage_has_one_row_per_rule_with_its_evidence() -> None:
    """``proofs.coverage.rule_coverage()``: per rule, proofs, exhaustive check
    (step properties and scopes), tests and gaps, as plain data."""
    from veridian_ipc.proofs.coverage_table import rule_coverage

    rows = rule_coverage()
    assert [r["id"] for r in rows] == [r.value for r in RuleId]
    keys = {"id", "group", "proofs", "exercised_by", "step_properties"}
    keys |= {"scopes", "tests", "gaps"}
    for r in rows:
        assert set(r) == keys
        for p in r["proofs"]:
            assert set(p) == {
                "obligation",
                "theorem",
                "by_construction",
                "error_order_only",
            }
        for s in r["scopes"]:
            assert s["states"] is None  # not measured unless asked
    by_id = {r["id"]: r for r in rows}
    send = by_id["PORT-SEND"]
    assert "PORT-SEND/PORT-RECEIVE" in [p["obligation"] for p in send["proofs"]]
    assert "STEP-MESSAGES-CONSERVED" in send["step_properties"]
    assert "core" in [s["scope"] for s in send["scopes"]]
    assert "tests/spec/test_ports.py" in send["tests"]
    assert send["gaps"] == []


def test_a_generic_transition_is_no_proof_of_a_rule() -> None:
    """PROC-KILL, NS-UNBIND and TIME-DEADLINE reach the encodings only as a
    generic destroy or wake: their rows say no proof states their effect
    (ERR-PRECEDENCE proves only an error order)."""
    from veridian_ipc.proofs.coverage_table import rule_coverage

    by_id = {r["id"]: r for r in rule_coverage()}
    for rid in ("PROC-KILL", "NS-UNBIND", "TIME-DEADLINE"):
        row = by_id[rid]
        assert "no proof obligation states its effect" in row["gaps"], rid
        assert row["exercised_by"], rid
        assert all(p["error_order_only"] for p in row["proofs"]), rid
    capped = [
        p for p in by_id["CAP-HANDLE"]["proofs"] if p["obligation"] == "CAP-HANDLE"
    ]
    assert capped[0]["by_construction"]
    assert capped[0]["theorem"] == "CAP-SAFETY"


def test_the_coverage_gap_closes_only_with_a_stated_effect(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The table reads the obligations: one that states PROC-KILL's effect
    closes the gap (so the gap is computed, not written down)."""
    import dataclasses

    from veridian_ipc.proofs import coverage_table as coverage
    from veridian_ipc.proofs.obligations import OBLIGATIONS

    first = dataclasses.replace(OBLIGATIONS[0], covers=(RuleId.PROC_KILL,))
    monkeypatch.setattr(coverage, "OBLIGATIONS", (first,))
    row = next(r for r in coverage.rule_coverage() if r["id"] == "PROC-KILL")
    assert "no proof obligation states its effect" not in row["gaps"]


def test_the_catalogue_shows_each_rules_coverage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from veridian_ipc.cli.main import main

    assert main(["spec", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert out.count("\nCoverage:\n") == len(RuleId)
    assert out.count("\n- Gaps: ") == len(RuleId)
    assert "- Proofs: CAP-HANDLE (part of CAP-SAFETY) (by construction)" in out
    assert "states)" in out  # the scopes' state counts, measured
