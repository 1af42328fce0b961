"""The ``veridian-ipc`` command: ``--help`` and ``spec``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from veridian_ipc.cli.main import main
from veridian_ipc.spec import GROUPS, RULES, IpcError, RuleId, errno_of


def test_help_lists_spec(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "spec" in capsys.readouterr().out


def test_spec_index_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec"]) == 0
    out = capsys.readouterr().out
    for rid in RuleId:
        assert rid.value in out
    for _, title in GROUPS:
        assert title in out


def test_spec_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "--json"]) == 0
    index = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in index["rules"]} == {r.value for r in RuleId}
    send = next(r for r in index["rules"] if r["id"] == "PORT-SEND")
    assert send["group"] == "ports"
    assert send["errors"][:2] == [
        IpcError.InvalidCapability.value,
        IpcError.InsufficientRights.value,
    ]
    assert send["errors"][-2:] == [  # the queued-bytes quota last (spec/quotas.py)
        IpcError.PortFull.value,
        IpcError.OutOfMemory.value,
    ]
    assert send["error_names"] == list(RULES[RuleId.PORT_SEND].errors)
    assert send["errors"] == [IpcError[n].value for n in send["error_names"]]
    assert index["errors"] == [
        {"code": e.value, "name": e.name, "errno": errno_of(e)} for e in IpcError
    ]


def test_console_script_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "veridian_ipc.cli.main", "spec"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "PORT-HANDOFF" in out


def test_spec_markdown_has_every_rule_and_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["spec", "--markdown"]) == 0
    out = capsys.readouterr().out
    for rid in RuleId:
        assert f"### {rid.value}" in out
    for e in IpcError:
        assert f"| {e.value} | {e.name} |" in out
    assert "Errors, in precedence order:" in out


def test_spec_json_marks_proof_coverage(capsys: pytest.CaptureFixture[str]) -> None:
    """Each rule and invariant lists the obligations covering it; the index
    lists those no obligation covers yet."""
    from veridian_ipc.proofs.obligations import OBLIGATIONS

    assert main(["spec", "--json"]) == 0
    index = json.loads(capsys.readouterr().out)
    by_id = {r["id"]: r for r in index["rules"] + index["invariants"]}
    for ob in OBLIGATIONS:
        for covered in ob.covers:
            assert ob.id in by_id[covered.value]["proved_by"]
    assert index["unproved"] == sorted(
        k for k, r in by_id.items() if not r["proved_by"]
    )
