"""The verdicts as CI and reviewers read them (issue 10, item 2): the terminal
table, ``--json`` (``verdicts``, ``summary``), ``--junit`` (JUnit XML, one
test case per rule) and ``--markdown``; on hand-made reports and on real runs
against a fake target that diverges on a known rule (PORT-CLOSE)."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from veridian_ipc.cli.main import main
from veridian_ipc.conformance.report_junit import junit_xml
from veridian_ipc.conformance.report_markdown import cell, code, markdown
from veridian_ipc.conformance.traces import format_table, op_text
from veridian_ipc.conformance.verdicts import rule_verdicts
from veridian_ipc.conformance.wire import encode_op
from veridian_ipc.spec import RuleId, group_of
from veridian_ipc.vocabulary.syscalls import ChannelSendBatch, Operation, Send

from .helpers import FAKES, MODEL
from .verdict_data import report

#: Over the protocol: the spec on caps, ports and errors, but every Close is
#: answered ``EFOO``: diverges on PORT-CLOSE.
EFOO = f"{sys.executable} {FAKES / 'efoo_on_close.py'}"


def _junit(data: Any) -> ET.Element:
    return ET.fromstring(junit_xml(data, rule_verdicts(data)))


def _cases(root: ET.Element) -> dict[str, ET.Element]:
    return {c.attrib["name"]: c for c in root.iter("testcase")}


def _check_counts(root: ET.Element) -> None:
    """The counts the common JUnit schema carries agree with the elements."""
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    for node in (root, suite):
        assert int(node.attrib["tests"]) == len(cases)
        assert int(node.attrib["failures"]) == len(suite.findall("testcase/failure"))
        assert int(node.attrib["errors"]) == len(suite.findall("testcase/error"))
        assert int(node.attrib["skipped"]) == len(suite.findall("testcase/skipped"))
        float(node.attrib["time"])
    for case in cases:
        assert set(case.attrib) == {"classname", "name", "time"}
        assert len(list(case)) <= 1


def test_junit_one_case_per_rule_and_one_per_unattributed_divergence() -> None:
    root = _junit(report())
    _check_counts(root)
    cases = _cases(root)
    assert len(cases) == 56 + 1
    for rule in RuleId:
        assert cases[rule.value].attrib["classname"] == group_of(rule)
    assert root.attrib["failures"] == "3"
    assert root.attrib["skipped"] == "48"
    send = cases["PORT-SEND"].find("failure")
    assert send is not None
    assert send.attrib["message"] == (
        "diverges: D1 (PORT-SEND Send result), D2 (PORT-SEND Send observation)"
    )
    assert send.text is not None
    assert "✗" in send.text  # the minimal trace's table
    assert "CreatePort(capacity=2)" in send.text
    assert cases["PORT-CREATE"].find("*") is None
    skipped = cases["NS-BIND"].find("skipped")
    assert skipped is not None
    assert skipped.attrib["message"] == "group namespace not declared"
    reset = cases["D4"]
    assert reset.attrib["classname"] == "conformance"
    assert reset.find("failure") is not None


def test_junit_a_stopped_run_is_an_error_case() -> None:
    root = _junit(report([], status="target-failure"))
    _check_counts(root)
    run = _cases(root)["run"].find("error")
    assert run is not None
    assert run.attrib["type"] == "target-failure"
    assert root.attrib["errors"] == "1"


def test_junit_holds_what_xml_cannot() -> None:
    data = report()
    data["divergences"][0]["message"] = "target said \x00\x1b[31m"
    root = _junit(data)  # parses
    text = _cases(root)["PORT-SEND"].findtext("failure") or ""
    assert "\\x00\\x1b[31m" in text


def _table_rows(text: str, header: str) -> list[list[str]]:
    lines = text.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = line.replace("\\|", "¦").split("|")[1:-1]
        rows.append([c.strip() for c in cells])
    return rows


def test_markdown_summary_rules_and_a_section_per_divergence() -> None:
    data = report()
    text = markdown(data, rule_verdicts(data))
    assert f"**{rule_verdicts(data).summary.line}**" in text
    rows = _table_rows(text, "| group | rule | verdict | exercised | details |")
    assert len(rows) == 56
    assert all(len(r) == 5 for r in rows)
    assert ["ports", "PORT-SEND", "❌ diverges", "100", "D1, D2"] in rows
    for ident in ("D1", "D2", "D3", "D4"):
        assert f"#### {ident}: " in text
    trace = _table_rows(text, "| # | pid | operation | rule | spec | target |")
    assert len(trace) == 2
    assert all(len(r) == 6 for r in trace)  # a pipe in a message breaks nothing
    assert trace[1][0] == "2 ✗"
    assert "after Send: differs at $.ports \\| a pipe" in text


def test_markdown_cells_stay_one_cell() -> None:
    assert cell("a|b\nc") == "a\\|b c"
    assert code("x`y|z") == "`` x`y\\|z ``"
    assert code("") == ""


# -- the command ---------------------------------------------------------------


def _conform(tmp_path: Path, *more: str, examples: int = 20) -> int:
    argv = ["conform", "--profile", "ci", "--max-examples", str(examples)]
    return main([*argv, "--trace-dir", str(tmp_path / "traces"), *more])


def test_conform_writes_every_report_for_a_diverging_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = {n: tmp_path / "out" / n for n in ("r.json", "r.xml", "r.md")}
    status = _conform(
        tmp_path,
        "--target",
        EFOO,
        "--json",
        str(out["r.json"]),
        "--junit",
        str(out["r.xml"]),
        "--markdown",
        str(out["r.md"]),
    )
    assert status == 1
    printed = capsys.readouterr().out.splitlines()
    data = json.loads(out["r.json"].read_text())
    assert printed[-1] == data["summary"]["line"]
    (close,) = [v for v in data["verdicts"] if v["rule"] == "PORT-CLOSE"]
    assert close["verdict"] == "diverges"
    assert data["summary"]["diverge"] == 1
    assert any(line.strip().startswith("PORT-CLOSE") for line in printed)
    root = ET.parse(out["r.xml"]).getroot()
    _check_counts(root)
    assert root.attrib["failures"] == "1"
    failure = _cases(root)["PORT-CLOSE"].find("failure")
    assert failure is not None
    assert "EFOO" in (failure.text or "")
    text = out["r.md"].read_text()
    assert "#### D1: PORT-CLOSE Close unknown-error" in text
    assert "`Close(handle=" in text


def test_conform_reports_on_a_conforming_target(tmp_path: Path) -> None:
    xml = tmp_path / "r.xml"
    status = _conform(tmp_path, "--target", MODEL, "--junit", str(xml), examples=5)
    assert status == 0
    root = ET.parse(xml).getroot()
    _check_counts(root)
    assert root.attrib["failures"] == "0"
    assert int(root.attrib["tests"]) == 56


def test_conform_reports_a_target_that_cannot_start(tmp_path: Path) -> None:
    xml, md = tmp_path / "r.xml", tmp_path / "r.md"
    cmd = f"{sys.executable} -c pass"
    status = _conform(
        tmp_path, "--target", cmd, "--junit", str(xml), "--markdown", str(md)
    )
    assert status == 1
    root = ET.parse(xml).getroot()
    _check_counts(root)
    assert root.attrib["errors"] == "1"
    assert "target-failure" in md.read_text()


@pytest.mark.parametrize("option", ["--junit", "--markdown", "--json"])
def test_an_output_that_cannot_be_written_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    status = _conform(
        tmp_path, "--target", MODEL, option, str(blocker / "r"), examples=2
    )
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"conform: cannot write {blocker / 'r'}: ")


# -- the divergence table: the arguments that matter, in full --------------------


def _op(op: Operation) -> Any:
    return encode_op(op)


SEND64 = Send(handle=1, msg_type=7, flags=0, data=bytes(range(64)), caps=(2, 3))


def test_an_operation_shows_every_argument_and_a_long_payload_by_its_length() -> None:
    assert op_text(_op(SEND64)) == (
        "Send(handle=1, msg_type=7, flags=0, data=b'…'(64 B), caps=[2,3], timeout=0)"
    )
    short = Send(handle=4, msg_type=0, flags=1, data=b"hi", caps=())
    assert op_text(_op(short)) == (
        "Send(handle=4, msg_type=0, flags=1, data=b'hi', caps=[], timeout=0)"
    )
    batch = ChannelSendBatch(handle=3, items=(bytes(10), b"b"))
    assert op_text(_op(batch)) == "ChannelSendBatch(handle=3, items=[b'…'(10 B),b'b'])"


def test_ill_typed_and_long_arguments_are_shown_for_what_they_are() -> None:
    ill = {"op": "Send", "args": {"handle": True, "data": 5, "caps": "zz"}}
    assert op_text(ill) == 'Send(handle=true, data=5, caps="zz")'
    name = {"op": "Bind", "args": {"handle": 1, "name": "n" * 100}}
    assert op_text(name) == f'Bind(handle=1, name="{"n" * 16}"…(100 chars))'


def test_the_table_keeps_the_operation_whole_and_results_readable() -> None:
    delivered = {
        "ok": {"sender": 1, "msg_type": 7, "flags": 0, "data": "00" * 64, "caps": []}
    }
    steps = [
        {
            "pid": 1,
            "op": _op(SEND64),
            "spec": {"error": "InvalidCapability"},
            "target": delivered,
            "rules": ["PORT-SEND"],
        },
    ]
    div = {"step": 1, "kind": "result", "message": "m", "diff": []}
    table = format_table({"steps": steps}, div)
    row = table.splitlines()[1]
    assert op_text(_op(SEND64)) in row  # not clipped
    assert '{"error":"InvalidCapability"}' in row
    assert "\"data\":b'…'(64 B)" in row


@pytest.mark.parametrize(
    "other", [["--mutants"], ["--export", "vectors"], ["--list-behaviours"]]
)
def test_reports_of_verdicts_apply_to_a_target_run_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], other: list[str]
) -> None:
    status = main(["conform", *other, "--junit", str(tmp_path / "r.xml")])
    assert status == 2
    err = capsys.readouterr().err
    assert err == "conform: --junit applies to a --target run only\n"
    assert not (tmp_path / "r.xml").exists()
