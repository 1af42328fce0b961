"""What a target cannot express, declared (``restricts``), and the suite
staying inside it (``conformance.restrictions``).

Each fake is the spec with one gap (``fakes/restricted.py``): declared, it
passes the ``ci`` profile and is never sent a step outside its restriction;
undeclared, the same fake diverges; with one more, unrelated bug, the bug is
still found. Bad declarations are refused by name.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from veridian_ipc import conformance
from veridian_ipc.cli.main import main
from veridian_ipc.conformance.protocol import ProcessDriver
from veridian_ipc.conformance.restrictions import (
    RestrictsError,
    parse_restricts,
    restrictions_of,
    restricts_of,
)
from veridian_ipc.conformance.runner import Report, run_conformance
from veridian_ipc.conformance.targets import (
    InProcessDriver,
    TargetFailure,
    make_driver,
)
from veridian_ipc.conformance.verdicts import RESTRICTED, rule_verdicts
from veridian_ipc.vocabulary.rights import MANAGE
from veridian_ipc.vocabulary.syscalls import ChannelSendBatch, CreatePort, Derive

from .fakes import restricted
from .helpers import FAKES

#: long runs: left out of the quick test tier
pytestmark = pytest.mark.campaign

MODULE = "tests.conformance.fakes.restricted"

#: Each gap: the declaring fake, the one that does not declare, the label of
#: its restriction and the operation it is about.
GAPS = {
    "capacity": (
        restricted.FixedCapacity,
        restricted.FixedCapacityUndeclared,
        "CreatePort.capacity in [2]",
        "CreatePort",
    ),
    "manage": (
        restricted.NoManage,
        restricted.NoManageUndeclared,
        "Derive.rights without MANAGE",
        "Derive",
    ),
    "batch": (
        restricted.NoBatch,
        restricted.NoBatchUndeclared,
        "ChannelSendBatch",
        "ChannelSendBatch",
    ),
}

_RUNS: dict[type, Report] = {}


def _ci(cls: type[restricted.Recording]) -> Report:
    """One ``ci`` run of ``cls`` in process (kept: several tests read it)."""
    if cls not in _RUNS:
        cls.sent.clear()
        _RUNS[cls] = run_conformance(InProcessDriver(cls), "ci", progress=False)
    return _RUNS[cls]


@pytest.mark.parametrize("gap", sorted(GAPS))
def test_a_declared_gap_passes_and_nothing_outside_is_sent(gap: str) -> None:
    declaring, _, label, op_name = GAPS[gap]
    rep = _ci(declaring)
    assert rep.status == "pass", rep.divergences
    assert rep.skipped[label] > 0
    assert rep.to_json()["skipped"] == rep.skipped
    assert rep.to_json()["restricts"] == list(declaring.restricts)
    sent = declaring.sent
    assert sent, "the run sent nothing"
    limits = restricts_of(declaring)
    assert [op for op in sent if limits.excluding(op) is not None] == []
    # and concretely: what the fake cannot express never reached it
    assert not any(
        isinstance(op, CreatePort) and type(op.capacity) is int and op.capacity != 2
        for op in sent
        if gap == "capacity"
    )
    assert not any(
        isinstance(op, Derive) and type(op.rights) is int and op.rights & MANAGE
        for op in sent
        if gap == "manage"
    )
    assert not any(isinstance(op, ChannelSendBatch) for op in sent if gap == "batch")
    if gap != "batch":  # the operation itself still runs, inside the restriction
        assert any(type(op).__name__ == op_name for op in sent)


@pytest.mark.parametrize("gap", sorted(GAPS))
def test_the_same_gap_undeclared_diverges(gap: str) -> None:
    _, undeclared, _, op_name = GAPS[gap]
    rep = run_conformance(
        InProcessDriver(undeclared),
        "ci",
        progress=False,
        stop_at_first=True,
        shrink=False,
    )
    assert rep.status == "diverged"
    assert rep.skipped == {}
    assert rep.divergences[0]["signature"]["op"] == op_name


def test_a_restriction_hides_no_other_bug() -> None:
    rep = _ci(restricted.FixedCapacityWrongInspect)
    assert rep.status == "diverged"
    ops = {d["signature"]["op"] for d in rep.divergences}
    assert ops == {"Inspect"}
    assert rep.skipped["CreatePort.capacity in [2]"] > 0


def test_an_operation_the_target_lacks_is_restricted_in_the_verdicts() -> None:
    verdicts = {v.rule: v for v in rule_verdicts(_ci(restricted.NoBatch)).verdicts}
    assert verdicts["CHAN-SEND-BATCH"].reason == RESTRICTED
    # a field restriction leaves its rule examined
    capacity = {
        v.rule: v for v in rule_verdicts(_ci(restricted.FixedCapacity)).verdicts
    }
    assert capacity["PORT-CREATE"].verdict == "conforms"


def test_conform_restricts_overrides_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    limits = json.dumps([{"op": "CreatePort", "field": "capacity", "min": 2, "max": 2}])
    argv = ["conform", "--target", f"{MODULE}:FixedCapacityUndeclared"]
    argv += ["--profile", "ci", "--max-examples", "20", "--restricts", limits]
    argv += ["--json", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "restricts: CreatePort.capacity in 2..2 (" in printed
    data = json.loads(out.read_text())
    assert data["restricts"] == json.loads(limits)
    assert data["skipped"]["CreatePort.capacity in 2..2"] > 0


@pytest.mark.parametrize(
    ("declared", "named"),
    [
        ([{"op": "Teleport"}], "unknown operation 'Teleport'"),
        ([{"op": "CreatePort", "field": "size", "in": [2]}], "no field 'size'"),
        ([{"op": "Derive", "field": "handle", "in": [1]}], "not an integer field"),
        ([{"op": "Derive", "field": "rights", "without": ["FLY"]}], "unknown right"),
        ([{"op": "CreatePort", "field": "capacity", "in": [0]}], "every value"),
        ([{"op": "CreatePort", "field": "capacity", "min": 3, "max": 2}], "every"),
        ([{"op": "CreatePort", "field": "capacity", "without": ["SEND"]}], "rights"),
        ([{"op": "CreatePort", "field": "capacity"}], "say in, min, max"),
        ([{"op": "ChannelSendBatch", "in": [1]}], "need a"),
        ([{"op": "Spawn", "colour": 1}], "unknown keys"),
        ("[{", "not JSON"),
        (7, "list of objects"),
    ],
)
def test_bad_declarations_are_refused(declared: object, named: str) -> None:
    with pytest.raises(RestrictsError, match=named):
        parse_restricts(declared)


def test_conform_refuses_a_bad_restricts_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["conform", "--target", f"{MODULE}:FixedCapacity", "--profile", "ci"]
    assert main([*argv, "--restricts", '[{"op": "Teleport"}]']) == 2
    err = capsys.readouterr().err
    assert err == "conform: --restricts: unknown operation 'Teleport'\n"


def test_a_class_with_a_bad_restricts_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["conform", "--target", f"{MODULE}:BadRestricts", "--profile", "ci"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "unknown right 'FLY'" in err[0]


def _program(declared: object) -> ProcessDriver:
    script = str(FAKES / "restricted_program.py")
    return ProcessDriver([sys.executable, script, json.dumps(declared)], timeout=5.0)


def test_a_hello_declares_restrictions() -> None:
    declared = [{"op": "CreatePort", "field": "capacity", "in": [2]}]
    driver = _program(declared)
    try:
        assert driver.restricts.to_json() == declared
        rep = run_conformance(driver, "ci", max_examples=15, progress=False)
    finally:
        driver.close()
    assert rep.status == "pass", rep.divergences
    assert rep.skipped["CreatePort.capacity in [2]"] > 0


def test_a_hello_with_a_bad_restricts_is_a_target_failure() -> None:
    with pytest.raises(TargetFailure, match="invalid restricts: unknown operation"):
        _program([{"op": "Teleport"}])


def test_a_worker_carries_the_class_restrictions() -> None:
    driver = make_driver(f"{MODULE}:NoBatch")
    try:
        labels = [r.label for r in restrictions_of(driver).items]
        assert labels == ["ChannelSendBatch"]
    finally:
        driver.close()


def test_the_protocol_schema_describes_restricts() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = Path(conformance.__file__).parent / "protocol.schema.json"
    schema = json.loads(schema_path.read_text())
    hello = {**schema, "$ref": "#/$defs/hello"}
    base = {"type": "hello", "version": 1, "groups": ["caps"]}
    good = [
        {"op": "ChannelSendBatch"},
        {"op": "CreatePort", "field": "capacity", "in": [2]},
        {"op": "CreatePort", "field": "capacity", "min": 1, "max": 2},
        {"op": "Derive", "field": "rights", "without": ["MANAGE"]},
    ]
    jsonschema.validate({**base, "restricts": good}, hello)
    assert parse_restricts(good).to_json() == good
    for bad in (
        [{"op": "Teleport"}],
        [{"op": "Derive", "field": "rights", "without": ["FLY"]}],
        [{"op": "ChannelSendBatch", "in": [1]}],
        [{"field": "capacity"}],
        {"op": "Spawn"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**base, "restricts": bad}, hello)
