"""``veridian-ipc conform`` and ``veridian-ipc replay``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from veridian_ipc.cli.main import main

from .helpers import SPEC

MUTANT = "veridian_ipc.conformance.mutants:PortCapacityPlusOne"


@pytest.mark.campaign
def test_conform_passes_and_writes_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    argv = ["conform", "--target", SPEC, "--profile", "ci", "--max-examples", "10"]
    status = main([*argv, "--json", str(report)])
    assert status == 0
    out = capsys.readouterr().out
    assert "result:   PASS" in out
    data = json.loads(report.read_text())
    assert data["status"] == "pass"
    assert data["conformance"] is True
    assert data["steps"] > 0
    assert "PORT-SEND" in data["coverage"]["rules"]
    assert data["groups"]


@pytest.mark.campaign
def test_conform_finds_writes_and_replays_a_divergence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["conform", "--target", MUTANT, "--profile", "ci"]
    status = main(
        [*argv, "--trace-dir", str(tmp_path), "--json", str(tmp_path / "r.json")]
    )
    assert status == 1
    out = capsys.readouterr().out
    assert "DIVERGENCE" in out
    assert "✗" in out
    trace = json.loads((tmp_path / "r.json").read_text())["trace"]
    assert Path(trace).exists()
    assert main(["replay", trace, "--target", MUTANT]) == 1
    assert "DIVERGENCE at step" in capsys.readouterr().out
    assert main(["replay", trace, "--target", SPEC]) == 0
    assert "conforms" in capsys.readouterr().out


def test_conform_over_the_protocol(capsys: pytest.CaptureFixture[str]) -> None:
    cmd = f"{sys.executable} -m veridian_ipc.conformance.serve --impl {SPEC}"
    status = main(
        ["conform", "--target", cmd, "--profile", "ci", "--max-examples", "5"]
    )
    assert status == 0, capsys.readouterr().out


def test_mutant_campaign_json(tmp_path: Path) -> None:
    out = tmp_path / "mutants.json"
    argv = ["conform", "--mutants", "--mutant", "HandleReuse", "--mutant", "NoHandoff"]
    assert main([*argv, "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["kill_rate"] == 1.0
    assert [m["name"] for m in data["mutants"]] == ["HandleReuse", "NoHandoff"]
    for m in data["mutants"]:
        assert set(m) >= {"name", "rules", "killed", "steps", "seconds"}
        assert m["killed"] is True


def test_export_writes_vectors(tmp_path: Path) -> None:
    argv = ["conform", "--export", str(tmp_path), "--profile", "ci"]
    assert main([*argv, "--max-examples", "3"]) == 0
    files = sorted(tmp_path.glob("vector-*.json"))
    assert files
    assert main(["replay", *map(str, files), "--target", SPEC]) == 0


def test_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conform"]) == 2
    assert main(["conform", "--target", "no_such_module:Nope"]) == 2
    assert main(["conform", "--mutants", "--mutant", "Nope"]) == 2
    capsys.readouterr()
