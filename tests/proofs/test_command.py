"""``veridian-ipc prove``: options, report shape, exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from veridian_ipc.cli.main import main


def test_prove_writes_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    code = main(
        [
            "prove",
            "--only",
            "POSIX-ERRNO",
            "--only",
            "INV-QUEUE-BOUND",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    report = json.loads(out.read_text())
    assert [o["id"] for o in report["obligations"]] == [
        "POSIX-ERRNO",
        "INV-QUEUE-BOUND",
    ]
    for o in report["obligations"]:
        assert o["verdict"] == "proved"
        assert o["negative_control"] == "refuted"
        assert isinstance(o["seconds"], float)
        assert o["covers"]
        assert all(isinstance(c, str) for c in o["covers"])
        assert o["control_counterexample"]
    assert report["crosshair"] == []
    printed = capsys.readouterr().out
    assert "POSIX-ERRNO" in printed
    assert "proved" in printed


def test_unknown_obligation_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--only", "NO-SUCH-RULE"]) == 2
    assert "NO-SUCH-RULE" in capsys.readouterr().err


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--list"]) == 0
    assert "INV-RIGHTS-MONOTONE" in capsys.readouterr().out
