"""``veridian-ipc prove`` says what it is doing on a terminal (issue 14): a
live line naming the phase (exhaustive check scope k/n, agreement pass scope
k/n, obligation k/n, CrossHair contracts), erased at the end; piped or under
CI, nothing but the report (not even on standard error)."""

from __future__ import annotations

import io
import sys

import pytest

from veridian_ipc.cli.main import main
from veridian_ipc.proofs import agree_explored, command
from veridian_ipc.proofs.agree_explored import AgreeResult
from veridian_ipc.proofs.explore import ExploreResult
from veridian_ipc.proofs.explore_scopes import CI_SCOPES
from veridian_ipc.proofs.obligations import OBLIGATIONS
from veridian_ipc.proofs.progress import PhaseLine, progress_wanted

ONLY = ["prove", "--only", "POSIX-ERRNO", "--only", "INV-QUEUE-BOUND"]


class Screen(io.StringIO):
    """A stream standing for a terminal."""

    def isatty(self) -> bool:
        return True


class Recording(PhaseLine):
    """A phase line on ``Screen`` that keeps every text it was given."""

    def __init__(self, stream: io.StringIO) -> None:
        super().__init__(stream, force_terminal=True)
        self.texts: list[str] = []

    def show(self, text: str) -> None:
        self.texts.append(text)
        super().show(text)


def test_prove_names_each_obligation_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = Screen()
    made: list[Recording] = []

    def make() -> PhaseLine:
        made.append(Recording(screen))
        return made[-1]

    monkeypatch.setattr(command, "PhaseLine", make)
    assert main(ONLY) == 0
    assert made[0].texts == [
        "obligation 1/2 · POSIX-ERRNO",
        "obligation 2/2 · INV-QUEUE-BOUND",
    ]
    assert "obligation 2/2 · INV-QUEUE-BOUND" in screen.getvalue()
    assert screen.getvalue().endswith("\x1b[2K")  # the line erased at the end
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "2/2 obligations proved" in captured.out


def test_prove_piped_prints_the_report_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(ONLY) == 0  # standard error captured: not a terminal
    captured = capsys.readouterr()
    assert captured.err == ""
    lines = captured.out.splitlines()
    assert [x.split()[:2] for x in lines[:2]] == [
        ["ok", "POSIX-ERRNO"],
        ["ok", "INV-QUEUE-BOUND"],
    ]
    assert lines[-1].startswith("2/2 obligations proved")


def test_the_exhaustive_check_names_its_scope_k_of_n() -> None:
    line = Recording(Screen())
    seen = line.scopes(["core", "cycles"])
    assert seen is not None
    with line:
        seen(ExploreResult("cycles", 3, states=12, transitions=40, seconds=2.0))
    assert line.texts == [
        "exhaustive check scope 2/2 · cycles: 12 states, 40 transitions, 20/s"
    ]


def test_prove_shows_each_phase_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """The exhaustive check and the agreement pass, scope by scope, then the
    obligations (the passes stubbed, one obligation: the phases are checked)."""
    made: list[Recording] = []

    def make() -> PhaseLine:
        made.append(Recording(Screen()))
        return made[-1]

    def explored(names: list[str], **_: object) -> list[ExploreResult]:
        return [ExploreResult(n, 1) for n in names]

    monkeypatch.setattr(command, "PhaseLine", make)
    monkeypatch.setattr(command, "run_scopes", explored)

    def agreed(names: list[str]) -> list[AgreeResult]:
        return [AgreeResult(ExploreResult(n, 1)) for n in names]

    monkeypatch.setattr(agree_explored, "agree_scopes", agreed)
    monkeypatch.setattr(command, "AGREE_SCOPES", ("core", "quota"))
    one = [ob for ob in OBLIGATIONS if ob.id == "POSIX-ERRNO"]
    monkeypatch.setattr(command, "OBLIGATIONS", one)
    assert main(["prove", "--no-crosshair"]) == 0
    n = len(CI_SCOPES)
    assert made[0].texts == [
        *(
            f"exhaustive check scope {k}/{n} · {name}"
            for k, name in enumerate(CI_SCOPES, start=1)
        ),
        "agreement pass scope 1/2 · core",
        "agreement pass scope 2/2 · quota",
        "obligation 1/1 · POSIX-ERRNO",
    ]


def test_the_line_is_inert_when_not_wanted_or_without_rich(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    assert progress_wanted(Screen(), {}) is True
    assert progress_wanted(Screen(), {"CI": "true"}) is False
    assert progress_wanted(Screen(), {"TERM": "dumb"}) is False
    assert progress_wanted(io.StringIO(), {}) is False
    piped = PhaseLine(io.StringIO())
    assert not piped.active
    assert piped.scopes(["core"]) is None
    with piped:
        piped.show("obligation 1/1 · X")  # nothing shown, nothing raised
    monkeypatch.setitem(sys.modules, "rich.live", None)  # rich missing
    screen = Screen()
    bare = PhaseLine(screen, force_terminal=True)
    assert not bare.active
    with bare:
        bare.show("obligation 1/1 · X")
    assert screen.getvalue() == ""
