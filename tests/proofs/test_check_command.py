"""``veridian-ipc check`` and the exhaustive check inside ``prove``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from veridian_ipc.cli.main import main
from veridian_ipc.proofs import OBLIGATIONS, agreement, enc_channels
from veridian_ipc.proofs.spec_mutants import applied


def test_check_clean_scope_exits_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "check.json"
    assert main(["check", "--scope", "channels", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("exhaustive check: clean: 1 scopes")
    report = json.loads(out.read_text())
    assert report["ok"] is True
    (scope,) = report["scopes"]
    assert scope["scope"] == "channels"
    assert scope["states"] > 1
    assert scope["violation"] is None


def test_check_violation_exits_one_with_the_trace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "check.json"
    with applied("channel-lifo"):
        code = main(["check", "--scope", "channels", "--json", str(out)])
    assert code == 1
    printed = capsys.readouterr().out
    assert "VIOLATION in channels" in printed
    assert "STEP-FIFO violated after 3 steps" in printed
    assert "1. p1: CreateChannel(" in printed
    report = json.loads(out.read_text())
    assert report["ok"] is False
    assert len(report["scopes"][0]["violation"]["trace"]) == 3


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--scope", "nowhere"],
        ["check", "--depth", "-1"],
        ["check", "--mutant", "fifo-broken"],
        ["check", "--spec-mutants", "--mutant", "no-such-mutant"],
        ["check", "--spec-mutants", "--layers", "tea-leaves"],
    ],
)
def test_usage_errors_exit_two(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("veridian-ipc check: ")
    assert len(err.strip().splitlines()) == 1


def test_list_and_depth(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--list"]) == 0
    assert "waiters" in capsys.readouterr().out
    assert main(["check", "--scope", "core", "--depth", "1"]) == 0
    assert "depth 1" in capsys.readouterr().out


def test_spec_mutant_campaign_prints_the_matrix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.json"
    argv = ["check", "--spec-mutants", "--layers", "explore", "--json", str(out)]
    argv += ["--mutant", "send-without-grant", "--mutant", "kill-keeps-waiter"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "send-without-grant" in printed
    assert "2 spec mutants: explore caught 2, caught by neither: 0" in printed
    report = json.loads(out.read_text())
    assert [m["id"] for m in report["mutants"]] == [
        "send-without-grant",
        "kill-keeps-waiter",
    ]


@pytest.fixture
def small_prove(monkeypatch: pytest.MonkeyPatch) -> None:
    """``prove`` with one obligation and one small scope (the wiring, fast)."""
    one = [ob for ob in OBLIGATIONS if ob.id == "POSIX-ERRNO"]
    monkeypatch.setattr("veridian_ipc.proofs.command.OBLIGATIONS", one)
    monkeypatch.setattr("veridian_ipc.proofs.command.CI_SCOPES", ("channels",))
    monkeypatch.setattr("veridian_ipc.proofs.command.AGREE_SCOPES", ("channels",))


@pytest.mark.usefixtures("small_prove")
def test_prove_prints_the_exhaustive_verdict_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "prove.json"
    assert main(["prove", "--no-crosshair", "--json", str(out)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("exhaustive check: clean: 1 scopes")
    report = json.loads(out.read_text())
    assert report["explore"][0]["scope"] == "channels"
    assert report["obligations"][0]["id"] == "POSIX-ERRNO"


@pytest.mark.usefixtures("small_prove")
def test_prove_fails_on_a_spec_mutant(capsys: pytest.CaptureFixture[str]) -> None:
    with applied("channel-lifo"):
        assert main(["prove", "--no-crosshair"]) == 1
    assert capsys.readouterr().out.startswith("exhaustive check: VIOLATION")


@pytest.mark.usefixtures("small_prove")
def test_prove_no_explore_skips_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "prove.json"
    assert main(["prove", "--no-crosshair", "--no-explore", "--json", str(out)]) == 0
    assert "exhaustive check" not in capsys.readouterr().out
    assert json.loads(out.read_text())["explore"] == []


@pytest.mark.usefixtures("small_prove")
def test_prove_runs_the_agreement_pass_second(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "prove.json"
    assert main(["prove", "--no-crosshair", "--json", str(out)]) == 0
    second = capsys.readouterr().out.splitlines()[1]
    assert second.startswith("encodings vs spec: agree: 1 scopes")
    assert json.loads(out.read_text())["agreement"][0]["scope"] == "channels"


@pytest.mark.usefixtures("small_prove")
def test_prove_fails_when_an_encoding_drifts_from_the_spec(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The ring encoding with CHAN-SEND writing one slot too far: every
    obligation about it may still be proved, but ``prove`` fails."""
    part = agreement.CHECKERS["channel"]
    swapped = tuple(
        enc_channels.SEND_SKIPS_SLOT if t.name == "send" else t
        for t in part.system.transitions
    )
    drifted = dataclasses.replace(part.system, transitions=swapped)
    monkeypatch.setitem(
        agreement.CHECKERS, "channel", dataclasses.replace(part, system=drifted)
    )
    assert main(["prove", "--no-crosshair"]) == 1
    assert "encodings vs spec: DISAGREE in channels" in capsys.readouterr().out
