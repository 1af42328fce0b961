"""Rule attribution: every step of a trace names the rules the spec applied,
and an error step the check of the rule's precedence list it stopped at."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from veridian_ipc.conformance.checker import (
    Checker,
    Divergence,
    StepRecord,
    check_of,
)
from veridian_ipc.conformance.mutants import OversizeBeforeHandle, PortCapacityPlusOne
from veridian_ipc.conformance.runner import run_conformance
from veridian_ipc.conformance.targets import InProcessDriver
from veridian_ipc.conformance.tracefiles import TraceError, validate
from veridian_ipc.conformance.traces import (
    format_table,
    load,
    trace_data,
    write_json,
)
from veridian_ipc.spec import RuleId
from veridian_ipc.vocabulary.results import Data
from veridian_ipc.vocabulary.syscalls import CreatePort, Operation, Send

#: long runs: left out of the quick test tier
pytestmark = pytest.mark.campaign

#: A port, then a send on a handle that does not exist with oversized data:
#: the spec stops at the handle check, OversizeBeforeHandle at the size check.
WRONG_ERROR: list[tuple[int, Operation]] = [
    (1, CreatePort(capacity=2)),
    (1, Send(handle=99, msg_type=0, flags=0, data=b"x" * 100, caps=())),
]


def diverge(checker: Checker) -> Divergence:
    """Run ``WRONG_ERROR`` on ``checker``; its divergence."""
    checker.reset()
    pid, op = WRONG_ERROR[0]
    checker.apply(pid, op)
    pid, op = WRONG_ERROR[1]
    with pytest.raises(Divergence) as info:
        checker.apply(pid, op)
    return info.value


def unattributed(data: Data) -> list[int]:
    """The steps of a trace that name no rule, or that failed in the spec
    without naming the check it stopped at."""
    return [
        i
        for i, st in enumerate(data["steps"], start=1)
        if not st.get("rules") or ("error" in st["spec"] and "check" not in st)
    ]


class Unattributed(Checker):
    """A seeded bug: the diverging step is left without attribution."""

    def _attribute(self, record: StepRecord, *args: object, **kw: object) -> None:
        return None


def test_wrong_error_names_both_checks(tmp_path: Path) -> None:
    checker = Checker(InProcessDriver(OversizeBeforeHandle))
    div = diverge(checker)
    path = write_json(tmp_path / "t.json", trace_data(checker, div, "mutant"))
    data = load(path)
    last = data["steps"][-1]
    assert "PORT-SEND" in last["rules"]
    assert last["check"] == {
        "rule": "PORT-SEND",
        "error": "InvalidCapability",
        "position": 1,
        "of": 13,
        "ambiguous": True,
    }
    assert last["target_check"]["error"] == "MessageTooLarge"
    assert last["target_check"]["position"] == 4
    d = data["divergence"]
    assert d["check"] == last["check"]
    assert d["target_check"] == last["target_check"]
    assert (
        "spec stopped at PORT-SEND check 1/13 (InvalidCapability); "
        "target answered MessageTooLarge (check 4/13)"
    ) in d["message"]
    table = format_table(data)
    assert "PORT-SEND 1/13*" in table
    assert "PORT-SEND 4/13*" in table
    assert "PORT-CREATE" in table
    assert unattributed(data) == []


def test_a_seeded_bug_skipping_attribution_is_caught() -> None:
    checker = Unattributed(InProcessDriver(OversizeBeforeHandle))
    div = diverge(checker)
    data = trace_data(checker, div, "mutant")
    assert unattributed(data) == [2]
    assert "spec stopped at" not in div.message


def test_every_step_of_a_traced_run_names_a_rule(tmp_path: Path) -> None:
    report = run_conformance(
        InProcessDriver(PortCapacityPlusOne), "ci", trace_dir=tmp_path
    )
    assert report.trace is not None
    data = load(Path(report.trace))
    assert unattributed(data) == []
    last = data["steps"][-1]
    assert last["target"] == {"ok": None}
    assert last["check"] == {
        "rule": "PORT-SEND",
        "error": "PortFull",
        "position": 12,
        "of": 13,
    }
    assert (
        "spec stopped at PORT-SEND check 12/13 (PortFull)"
        in (data["divergence"]["message"])
    )
    assert isinstance(report.divergence, dict)
    assert report.divergence["check"] == last["check"]  # the JSON report too


def test_check_of_positions_and_ambiguity() -> None:
    assert check_of(RuleId.PORT_SEND, "RateLimited") == {
        "rule": "PORT-SEND",
        "error": "RateLimited",
        "position": 11,
        "of": 13,
    }
    assert check_of(RuleId.PORT_SEND, "NoSuchName") is None


def test_old_traces_load_and_bad_checks_are_refused() -> None:
    checker = Checker(InProcessDriver(OversizeBeforeHandle))
    data = trace_data(checker, diverge(checker), "mutant")
    old = copy.deepcopy(data)
    for st in old["steps"]:
        st.pop("check", None)
        st.pop("target_check", None)
    old["divergence"].pop("check")
    old["divergence"].pop("target_check")
    validate(old)
    assert "PORT-SEND 1/13" not in format_table(old)
    assert "PORT-SEND" in format_table(old)
    for bad, says in [
        ({"position": 14}, "position"),
        ({"rule": "NO-SUCH"}, "not a rule ID"),
        ({"ambiguous": "yes"}, "ambiguous"),
        ({"extra": 1}, "optionally"),
    ]:
        broken = copy.deepcopy(data)
        broken["steps"][-1]["check"].update(bad)
        with pytest.raises(TraceError, match=says):
            validate(broken)
