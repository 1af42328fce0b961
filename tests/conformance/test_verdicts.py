"""A verdict per rule (issue 10, item 2): conforms, diverges, not examined
(with the reason), the divergences on no rule apart, the summary line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from veridian_ipc.conformance.runner import Report, run_conformance
from veridian_ipc.conformance.targets import InProcessDriver, SpecTarget, load_class
from veridian_ipc.conformance.verdicts import (
    CONFORMS,
    DIVERGES,
    NOT_EXAMINED,
    Verdict,
    divergences_of,
    format_verdicts,
    rule_verdicts,
)
from veridian_ipc.spec import RuleId
from veridian_ipc.vocabulary.results import Ok, Result
from veridian_ipc.vocabulary.syscalls import Inspect, Operation

from .helpers import FAKES
from .verdict_data import CREATE, SEND, divergence, report


def _by_rule(data: Any, divs: list[Any] | None = None) -> dict[str, Verdict]:
    return {v.rule: v for v in rule_verdicts(data, divs).verdicts}


def test_every_rule_gets_one_verdict_in_the_spec_order() -> None:
    found = rule_verdicts(report())
    assert [v.rule for v in found.verdicts] == [r.value for r in RuleId]
    assert {v.verdict for v in found.verdicts} == {CONFORMS, DIVERGES, NOT_EXAMINED}


def test_a_rule_exercised_and_diverging_diverges_with_its_count() -> None:
    v = _by_rule(report())
    assert v["PORT-SEND"].verdict == DIVERGES
    assert v["PORT-SEND"].divergences == ("D1", "D2")
    assert v["PORT-SEND"].count == 100
    assert v["RIGHTS-DERIVE"].verdict == DIVERGES
    assert v["RIGHTS-DERIVE"].divergences == ("D3",)


def test_exercised_rules_without_divergence_conform() -> None:
    v = _by_rule(report())
    assert v["PORT-CREATE"] == Verdict("PORT-CREATE", "ports", CONFORMS, 40)
    assert v["PROC-SPAWN"].verdict == CONFORMS


def test_not_examined_says_why() -> None:
    v = _by_rule(report())
    assert v["NS-BIND"].verdict == NOT_EXAMINED
    assert v["NS-BIND"].reason == "group namespace not declared"
    # applied at the diverging steps of D1 and D2 only: never counted
    limits = v["MSG-LIMITS"]
    assert limits.verdict == NOT_EXAMINED
    assert limits.reason is not None
    assert limits.reason.startswith("every step that reached it diverged first")
    assert "D1 (PORT-SEND Send result)" in limits.reason
    assert "D2 (PORT-SEND Send observation)" in limits.reason
    # declared, never reached: the divergences that cut examples short
    handoff = v["PORT-HANDOFF"].reason
    assert handoff is not None
    assert handoff.startswith("never exercised; examples cut short by D1")
    assert "and 1 more" in handoff


def test_an_operation_that_diverged_hides_its_other_rules() -> None:
    bare = {**SEND, "rules": []}
    data = report([divergence("D1", "PORT-SEND", "Send", "result", [CREATE, bare])])
    reason = _by_rule(data)["MSG-SENDER"].reason
    assert reason == (
        "its operation diverged before it was reached: D1 (PORT-SEND Send result)"
    )


def test_a_stopped_run_and_a_clean_run_say_so() -> None:
    stopped = _by_rule(report([], status="target-failure"))
    assert stopped["PORT-HANDOFF"].reason == (
        "never exercised: the run stopped (target-failure)"
    )
    clean = _by_rule(report([], status="pass"))
    assert clean["PORT-HANDOFF"].reason == (
        "never exercised, although its group was declared"
    )


def test_a_divergence_on_no_rule_is_listed_apart() -> None:
    found = rule_verdicts(report())
    assert [d.id for d in found.unattributed] == ["D4"]
    assert not any("D4" in v.divergences for v in found.verdicts)
    assert found.to_json()["summary"]["unattributed_divergences"] == ["D4"]


def test_the_summary_line() -> None:
    found = rule_verdicts(report())
    assert found.summary.line == (
        "6/56 rules conform, 2 diverge, 48 not examined; 1 divergence on no rule"
    )
    assert rule_verdicts(report([])).summary.line == (
        "7/56 rules conform, 0 diverge, 49 not examined"
    )
    data = found.to_json()
    assert data["summary"]["conform"] == 6
    assert len(data["verdicts"]) == 56
    assert data["verdicts"][0] == {
        "rule": "PROC-SPAWN",
        "group": "caps",
        "verdict": "conforms",
        "count": 3,
        "divergences": [],
        "reason": None,
    }


def test_the_list_is_taken_as_input_or_from_the_report() -> None:
    data = report()
    assert divergences_of(data) == data["divergences"]
    without = {k: v for k, v in data.items() if k != "divergences"}
    assert divergences_of(without) == [data["divergence"]]
    mine = [divergence("D9", "PORT-CREATE", "CreatePort", "result", [CREATE])]
    assert _by_rule(without, mine)["PORT-CREATE"].divergences == ("D9",)
    assert _by_rule(without)["PORT-CREATE"].verdict == CONFORMS


def test_a_divergence_without_signature_is_pinned_from_its_step() -> None:
    """The shape of today's ``Report.divergence``: no id, no signature; the
    rule is the check the spec's error stopped at, else the operation's."""
    check = {"rule": "PORT-CLOSE", "error": "InvalidCapability"}
    close = {**SEND, "op": {"op": "Close", "args": {"handle": 1}}, "check": check}
    old = {"step": 1, "kind": "result", "message": "m", "steps": [close]}
    data = {**report(), "divergence": old}
    del data["divergences"]
    found = rule_verdicts(data)
    assert found.divergences[0].id == "D1"
    assert found.divergences[0].signature.text() == "PORT-CLOSE Close result"
    send = {"step": 1, "kind": "result", "message": "m", "steps": [SEND]}
    assert _by_rule(data, [send])["PORT-SEND"].verdict == DIVERGES
    reset = {"step": 0, "kind": "observation", "message": "m", "steps": []}
    assert [d.id for d in rule_verdicts(data, [reset]).unattributed] == ["D1"]


def test_the_terminal_table() -> None:
    text = format_verdicts(rule_verdicts(report()))
    lines = text.splitlines()
    assert lines[-1] == rule_verdicts(report()).summary.line
    assert "  namespace: 4 rules not examined (group namespace not declared)" in lines
    (send,) = [line for line in lines if line.strip().startswith("PORT-SEND ")]
    assert "DIVERGES" in send
    assert "×100" in send
    assert "D1 (Send result), D2 (Send observation)" in send
    assert any(line.startswith("  on no rule: D4") for line in lines)


def test_bad_input_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="not a conformance report"):
        rule_verdicts(42)


# -- real runs -------------------------------------------------------------------


class WrongInspect(SpecTarget):
    """The spec on caps, ports and errors, except that a successful
    ``Inspect`` answers nothing (CAP-INSPECT)."""

    groups = ("caps", "ports", "errors")

    def apply(self, pid: int, op: Operation) -> Result:
        result = super().apply(pid, op)
        if isinstance(op, Inspect) and isinstance(result, Ok):
            return Ok(None)
        return result


def _run(cls: type, tmp_path: Path, examples: int = 30) -> Report:
    driver = InProcessDriver(cls)
    try:
        return run_conformance(driver, "ci", max_examples=examples, trace_dir=tmp_path)
    finally:
        driver.close()


def test_a_real_run_pins_the_divergence_on_its_rule(tmp_path: Path) -> None:
    rep = _run(WrongInspect, tmp_path)
    assert rep.status == "diverged"
    v = _by_rule(rep)
    assert v["CAP-INSPECT"].verdict == DIVERGES
    assert v["PORT-CREATE"].verdict == CONFORMS
    assert v["NS-BIND"].reason == "group namespace not declared"
    assert rule_verdicts(rep).summary.diverge == 1


def test_a_real_conforming_run_has_no_divergence(tmp_path: Path) -> None:
    rep = _run(SpecTarget, tmp_path, examples=5)
    found = rule_verdicts(rep)
    assert found.summary.diverge == 0
    assert found.summary.conform > 0
    assert found.summary.conform + found.summary.not_examined == 56


def test_a_real_reset_divergence_is_on_no_rule(tmp_path: Path) -> None:
    sys.path.insert(0, str(FAKES))
    try:
        cls = load_class("fake_targets:ClockAhead")
    finally:
        sys.path.remove(str(FAKES))
    found = rule_verdicts(_run(cls, tmp_path, examples=3))
    assert len(found.unattributed) == 1
    assert found.summary.line.endswith("; 1 divergence on no rule")
    assert found.summary.diverge == 0
