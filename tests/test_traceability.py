"""Traceability: every rule and invariant is defined once, documented, and named
by at least one test of the spec."""

from __future__ import annotations

import re
from pathlib import Path

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
